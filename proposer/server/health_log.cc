#include "proposer/server/health_log.h"

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proposer/server/logging.h"

namespace gryadka::server {
namespace {

bool At(const std::vector<bool>& v, core::AcceptorId id, bool absent) {
  return id >= 0 && static_cast<size_t>(id) < v.size() ? v[id] : absent;
}

std::string ErrorOf(const Shard::Snapshot& s, core::AcceptorId id) {
  if (id < 0 || static_cast<size_t>(id) >= s.health_errors.size()) return "no health sample yet";
  return s.health_errors[id].empty() ? "unhealthy" : s.health_errors[id];
}

std::string QuorumDescription(const core::ProposerConfig& c) {
  return absl::StrCat("prepare ", c.prepare_quorum, " of ", c.prepare_set.size(), ", accept ",
                      c.accept_quorum, " of ", c.accept_set.size());
}

}  // namespace

void HealthLog::Observe(const AppliedMembership& m, const Shard::Snapshot& s, bool serving,
                        int64_t now_ms) {
  if (first_sample_ms_ < 0) first_sample_ms_ = now_ms;
  const bool first_verdict = !serving_.has_value();
  if (first_verdict) {
    bool all_known = true;
    for (core::AcceptorId id : m.members) all_known = all_known && At(s.health_known, id, false);
    if (!all_known && now_ms - first_sample_ms_ < first_verdict_wait_ms_) return;
    // The verdict first, then the acceptors found down (cause after effect only at start).
    LogQuorum(m, s, serving, true, now_ms);
  }
  const uint64_t epoch = m.membership.epoch();
  absl::flat_hash_set<std::string> members;
  for (core::AcceptorId id : m.members) {
    const std::string& address = m.addresses[id];
    members.insert(address);
    if (!At(s.health_known, id, false)) continue;  // no verdict yet: logged once there is one
    const bool up = At(s.healthy, id, false);
    ObserveAcceptor(address, up, up ? "" : ErrorOf(s, id), first_verdict, epoch, now_ms);
  }
  absl::erase_if(acceptors_, [&members](const auto& kv) { return !members.contains(kv.first); });
  if (!first_verdict && serving != *serving_) LogQuorum(m, s, serving, false, now_ms);
}

void HealthLog::ObserveAcceptor(const std::string& address, bool up, const std::string& error,
                                bool first_verdict, uint64_t epoch, int64_t now_ms) {
  auto [it, inserted] = acceptors_.try_emplace(address, AcceptorState{up, now_ms});
  if (!inserted && it->second.up == up) return;
  const int64_t previous_ms = now_ms - it->second.since_ms;
  it->second = AcceptorState{up, now_ms};
  const std::string epoch_text = absl::StrCat(epoch);
  if (!up) {
    if (inserted) {
      Log(LogLevel::kWarning, "acceptor down",
          {{"acceptor", address}, {"reason", error}, {"epoch", epoch_text}});
    } else {
      Log(LogLevel::kWarning, "acceptor down",
          {{"acceptor", address}, {"reason", error}, {"epoch", epoch_text},
           {"was_up_ms", absl::StrCat(previous_ms)}});
    }
    return;
  }
  // An acceptor up at the first verdict is named by the verdict line; one that joined later
  // (membership change) or came back gets its own line.
  if (inserted && first_verdict) return;
  if (inserted) {
    Log(LogLevel::kInfo, "acceptor up", {{"acceptor", address}, {"epoch", epoch_text}});
  } else {
    Log(LogLevel::kInfo, "acceptor up",
        {{"acceptor", address}, {"epoch", epoch_text}, {"was_down_ms", absl::StrCat(previous_ms)}});
  }
}

void HealthLog::LogQuorum(const AppliedMembership& m, const Shard::Snapshot& s, bool serving,
                          bool first_verdict, int64_t now_ms) {
  std::vector<std::string> reachable, unreachable, reasons;
  for (core::AcceptorId id : m.members) {
    const std::string& address = m.addresses[id];
    if (At(s.healthy, id, false)) {
      reachable.push_back(address);
      continue;
    }
    unreachable.push_back(address);
    reasons.push_back(absl::StrCat(address, ": ",
                                   At(s.health_known, id, false) ? ErrorOf(s, id)
                                                                 : "no health verdict yet"));
  }
  const char* msg = first_verdict
                        ? (serving ? "acceptor quorum reachable: serving"
                                   : "no acceptor quorum reachable: not serving")
                        : (serving ? "acceptor quorum regained: serving"
                                   : "acceptor quorum lost: not serving");
  const std::string reachable_text = absl::StrJoin(reachable, ",");
  const std::string unreachable_text = absl::StrJoin(unreachable, ",");
  const std::string reasons_text = absl::StrJoin(reasons, "; ");
  const std::string quorum_text = QuorumDescription(m.config);
  const std::string epoch_text = absl::StrCat(m.membership.epoch());
  const LogLevel level = serving ? LogLevel::kInfo : LogLevel::kWarning;
  if (first_verdict) {
    Log(level, msg,
        {{"reachable_acceptors", reachable_text}, {"unreachable_acceptors", unreachable_text},
         {"unreachable_reasons", reasons_text}, {"quorum", quorum_text}, {"epoch", epoch_text}});
  } else {
    Log(level, msg,
        {{"reachable_acceptors", reachable_text}, {"unreachable_acceptors", unreachable_text},
         {"unreachable_reasons", reasons_text}, {"quorum", quorum_text}, {"epoch", epoch_text},
         {serving ? "was_not_serving_ms" : "was_serving_ms",
          absl::StrCat(now_ms - serving_since_ms_)}});
  }
  serving_ = serving;
  serving_since_ms_ = now_ms;
}

}  // namespace gryadka::server
