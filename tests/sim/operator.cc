#include "tests/sim/operator.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/sim/workload.h"

namespace gryadka::sim {
namespace {

// kFlux: the sizes of the successive target sets, from three members.
constexpr int kFluxSizes[] = {4, 5, 4, 3, 4, 5, 4, 3};

}  // namespace

Operator::Operator(EventLoop* loop, EventLog* log, const SimParams& params, Cluster* cluster,
                   History* history)
    : loop_(loop),
      log_(log),
      params_(params),
      cluster_(cluster),
      history_(history),
      rng_(StreamSeed(params.seed, kStreamOperator)) {
  std::vector<std::string> initial;
  for (core::AcceptorId a : params.proposer.prepare_set) initial.push_back(AcceptorAddress(a));
  running_ = core::MajorityMembership(initial, params.proposer.epoch);
}

void Operator::Start() {
  const int64_t start_us =
      (params_.operator_delay_ms + rng_.Range(0, params_.operator_start_max_ms)) * 1000;
  if (params_.dead_acceptor >= 0) {
    const int dead = params_.dead_acceptor;
    loop_->After(start_us / 2, [this, dead] { cluster_->KillAcceptorForGood(dead); });
  }
  loop_->After(start_us, [this] {
    log_->Add(loop_->now_us(), absl::StrCat("operator: start from ",
                                            core::DescribeMembership(running_)));
    NextStep();
  });
}

void Operator::After(int64_t delay_us, std::function<void()> fn) {
  loop_->After(delay_us, [this, fn = std::move(fn)] {
    if (!failed_) fn();
  });
}

void Operator::Fail(const std::string& why) {
  failed_ = true;
  failures_.push_back(absl::StrCat("operator: ", why));
  log_->Add(loop_->now_us(), absl::StrCat("operator: FAILED: ", why));
}

std::vector<std::string> Operator::Members() const {
  return {running_.prepare().acceptors().begin(), running_.prepare().acceptors().end()};
}

int Operator::RandomNonMember(const std::vector<std::string>& members, bool fresh_only) {
  std::vector<int> candidates;
  for (int a = 0; a < cluster_->acceptors(); ++a) {
    if (cluster_->acceptor_dead(a)) continue;
    if (fresh_only && ever_members_.contains(AcceptorAddress(a))) continue;
    if (std::find(members.begin(), members.end(), AcceptorAddress(a)) == members.end()) {
      candidates.push_back(a);
    }
  }
  if (candidates.empty()) return -1;
  return candidates[rng_.Uniform(candidates.size())];
}

std::optional<std::vector<std::string>> Operator::NextTarget() {
  std::vector<std::string> members = Members();
  const int n = changes_started_++;
  for (const std::string& m : members) ever_members_.insert(m);
  auto add = [&]() -> std::optional<std::vector<std::string>> {
    // A replacement is an acceptor that was never a member (the one leaving is not one).
    const int a = RandomNonMember(members, params_.membership != MembershipChange::kFlux);
    if (a < 0) return std::nullopt;
    members.push_back(AcceptorAddress(a));
    return members;
  };
  auto remove_one_of = [&](std::vector<std::string> pool) {
    const std::string gone = pool[rng_.Uniform(pool.size())];
    members.erase(std::find(members.begin(), members.end(), gone));
  };
  switch (params_.membership) {
    case MembershipChange::kNone:
      return std::nullopt;
    case MembershipChange::kGrow:
      if (n >= 1) return std::nullopt;
      return add();
    case MembershipChange::kReplaceDead: {
      if (n >= 1) return std::nullopt;
      const std::string dead = AcceptorAddress(params_.dead_acceptor);
      std::optional<std::vector<std::string>> grown = add();
      if (!grown) return std::nullopt;
      members.erase(std::find(members.begin(), members.end(), dead));
      return members;
    }
    case MembershipChange::kMissedStep: {
      if (n == 0) return add();
      if (n >= 2) return std::nullopt;
      // Replace one of the starting members by the last spare.
      std::vector<std::string> initial;
      for (core::AcceptorId a : params_.proposer.prepare_set) {
        const std::string address = AcceptorAddress(a);
        if (std::find(members.begin(), members.end(), address) != members.end()) {
          initial.push_back(address);
        }
      }
      remove_one_of(initial);
      return add();
    }
    case MembershipChange::kRotate: {
      if (n >= params_.initial_members) return std::nullopt;
      members.erase(members.begin());
      return add();
    }
    case MembershipChange::kFlux: {
      if (n >= static_cast<int>(std::size(kFluxSizes))) return std::nullopt;
      if (kFluxSizes[n] > static_cast<int>(members.size())) return add();
      // The longest-serving member (members keep their order of joining) or a random one; the
      // unsafe scenario always rotates the oldest out, so that a cold key's holders all leave.
      if (params_.skip_rescan || rng_.Uniform(2) == 0) {
        members.erase(members.begin());
      } else {
        remove_one_of(members);
      }
      return members;
    }
  }
  return std::nullopt;
}

void Operator::NextStep() {
  if (!target_.has_value()) {
    target_ = NextTarget();
    if (!target_.has_value()) {
      auto finish = [this] {
        done_ = true;
        log_->Add(loop_->now_us(), "operator: done");
      };
      if (params_.membership == MembershipChange::kFlux) return finish();  // audited already
      return Audit(finish);
    }
    log_->Add(loop_->now_us(), absl::StrCat("operator: target [", absl::StrJoin(*target_, ", "),
                                            "]"));
  }
  absl::StatusOr<std::vector<core::MembershipStep>> plan =
      core::PlanMembershipChange(running_, *target_);
  if (!plan.ok()) return Fail(std::string(plan.status().message()));
  if (plan->empty()) {
    ++stats_.changes;
    const bool audit = params_.membership == MembershipChange::kFlux &&
                       static_cast<int>(target_->size()) == params_.initial_members;
    target_.reset();
    auto next = [this] {
      After(rng_.Range(0, params_.operator_step_gap_max_ms) * 1000, [this] { NextStep(); });
    };
    if (audit) return Audit(next);
    return next();
  }
  const core::MembershipStep& step = plan->front();
  log_->Add(loop_->now_us(), absl::StrCat("operator: step: ", step.description));
  if (step.kind == core::MembershipStep::Kind::kConfigure) return Configure(step.membership);
  // A rescan is followed by the configure step that clears rescan_from.
  if (plan->size() < 2 || (*plan)[1].kind != core::MembershipStep::Kind::kConfigure) {
    return Fail("a rescan step not followed by a configure step");
  }
  const v1::Membership next = (*plan)[1].membership;
  ++stats_.rescan_steps;
  if (params_.skip_rescan) {
    ++stats_.rescans_skipped;
    log_->Add(loop_->now_us(), "operator: rescan SKIPPED (unsafe scenario)");
    return Configure(next);
  }
  after_reads_ = [this, next] {
    After(rng_.Range(0, params_.operator_step_gap_max_ms) * 1000, [this, next] {
      log_->Add(loop_->now_us(), "operator: rescan done");
      Configure(next);
    });
  };
  Rescan(0);
}

void Operator::Audit(std::function<void()> then) {
  keys_.clear();
  for (int k = 0; k < params_.keys; ++k) keys_.push_back(KeyName(k));
  log_->Add(loop_->now_us(), absl::StrCat("operator: audit at ", core::DescribeMembership(running_),
                                          ": reading every key"));
  ReadKeys(std::move(then));
}

void Operator::Configure(const v1::Membership& m) {
  ++stats_.configure_steps;
  cluster_->Publish(m);
  ConfigureProposer(m, 0);
}

// Proposers in slot order, one at a time with seeded gaps; the missed-step proposer is skipped.
void Operator::ConfigureProposer(const v1::Membership& m, int p) {
  if (p >= params_.proposers) return WaitForProposers(m, 0);
  if (p != params_.missed_proposer) cluster_->ConfigureProposer(p, m);
  const int64_t gap_max_ms = params_.operator_proposer_gap_max_ms;
  After(rng_.Range(gap_max_ms / 2, gap_max_ms) * 1000,
        [this, m, p] { ConfigureProposer(m, p + 1); });
}

void Operator::WaitForProposers(const v1::Membership& m, int polls) {
  bool ready = true;
  for (int p = 0; p < params_.proposers; ++p) {
    if (p == params_.missed_proposer) continue;
    const core::Proposer* core = cluster_->proposer(p);
    if (core == nullptr) continue;  // restarts with the published configuration
    if (core->config().epoch < m.epoch()) cluster_->ConfigureProposer(p, m);
    ready = ready && core->config().epoch >= m.epoch() && core->rounds_in_older_epochs() == 0;
  }
  if (ready) return Fence(m, 0);
  if (polls >= kWaitPollsMax) {
    return Fail(absl::StrCat("proposers still run rounds of older epochs than ", m.epoch(),
                             " after ", kWaitPollsMax, " polls"));
  }
  After(kPollUs, [this, m, polls] { WaitForProposers(m, polls + 1); });
}

void Operator::Fence(const v1::Membership& m, int attempt) {
  std::vector<std::string> targets = core::MembershipAcceptors(m);
  for (const std::string& a : core::MembershipAcceptors(running_)) {
    if (std::find(targets.begin(), targets.end(), a) == targets.end()) targets.push_back(a);
  }
  const std::string blob = m.SerializeAsString();
  std::vector<std::string> fenced;
  for (const std::string& address : targets) {
    const core::AcceptorId a = ParseAcceptorAddress(address, cluster_->acceptors());
    AcceptorNode& node = cluster_->acceptor(a);
    if (node.state() != AcceptorNode::State::kUp) continue;  // unreachable: skipped
    node.Fence(m.epoch(), blob);
    fenced.push_back(address);
  }
  log_->Add(loop_->now_us(), absl::StrCat("operator: fence epoch ", m.epoch(), " on [",
                                          absl::StrJoin(fenced, ", "), "]"));
  if (!core::FenceBlocks(running_, fenced)) {
    ++stats_.fence_retries;
    if (attempt + 1 >= kFenceAttemptsMax) {
      return Fail(absl::StrCat("could not fence enough acceptors for epoch ", m.epoch()));
    }
    After(kFenceRetryUs, [this, m, attempt] { Fence(m, attempt + 1); });
    return;
  }
  running_ = m;
  log_->Add(loop_->now_us(), absl::StrCat("operator: running ", core::DescribeMembership(m)));
  After(rng_.Range(0, params_.operator_step_gap_max_ms) * 1000, [this] { NextStep(); });
}

void Operator::Rescan(int attempt) {
  std::vector<std::string> reachable;
  for (int a = 0; a < cluster_->acceptors(); ++a) {
    if (cluster_->acceptor(a).state() == AcceptorNode::State::kUp) {
      reachable.push_back(AcceptorAddress(a));
    }
  }
  absl::StatusOr<std::vector<std::string>> sources = core::RescanSources(running_, reachable);
  if (!sources.ok()) {
    if (attempt + 1 >= kFenceAttemptsMax) {
      return Fail(absl::StrCat("rescan: ", sources.status().message()));
    }
    After(kFenceRetryUs, [this, attempt] { Rescan(attempt + 1); });
    return;
  }
  std::set<std::string> keys;
  for (const std::string& address : *sources) {
    for (std::string& key :
         cluster_->acceptor(ParseAcceptorAddress(address, cluster_->acceptors())).Keys()) {
      keys.insert(std::move(key));
    }
  }
  keys_.assign(keys.begin(), keys.end());
  stats_.keys_rescanned += keys_.size();
  log_->Add(loop_->now_us(), absl::StrCat("operator: rescan of [", absl::StrJoin(*sources, ", "),
                                          "]: ", keys_.size(), " keys"));
  ReadKeys(after_reads_);
}

void Operator::ReadKeys(std::function<void()> then) {
  after_reads_ = std::move(then);
  next_key_ = 0;
  ReadNextKey(0);
}

void Operator::ReadNextKey(int attempt) {
  if (next_key_ >= keys_.size()) {
    std::function<void()> then = std::move(after_reads_);
    after_reads_ = nullptr;
    return then();
  }
  if (attempt >= kReadAttemptsMax) {
    return Fail(absl::StrCat("reading key ", keys_[next_key_], " failed ", attempt, " times"));
  }
  read_attempt_ = attempt;
  std::vector<int> up;
  for (int p = 0; p < params_.proposers; ++p) {
    const core::Proposer* core = cluster_->proposer(p);
    if (p != params_.missed_proposer && core != nullptr &&
        core->config().epoch == running_.epoch()) {
      up.push_back(p);
    }
  }
  if (up.empty()) {
    After(kReadRetryUs, [this, attempt] { ReadNextKey(attempt + 1); });
    return;
  }
  const int p = up[rng_.Uniform(up.size())];
  core::ClientRequest req;
  req.id = next_request_id_++;
  req.key = keys_[next_key_];
  req.change.mutable_read();
  req.query.mutable_record();
  req.deadline_ms = loop_->now_ms() + params_.client.deadline_ms;
  PendingRead pending;
  pending.request_id = req.id;
  pending.history_id =
      history_->Invoke(params_.clients, req.key, req.change, req.query, loop_->now_us());
  pending.to = cluster_->addr(p);
  pending_ = pending;
  log_->Add(loop_->now_us(), absl::StrCat("operator: read #", pending.history_id, " r", req.id,
                                          " -> ", AddrName(pending.to), " ", req.key));
  const uint64_t id = req.id;
  const int64_t give_up_us = (req.deadline_ms + params_.client.timeout_grace_ms) * 1000;
  loop_->At(give_up_us, [this, id] {
    if (!pending_.has_value() || pending_->request_id != id) return;
    failures_.push_back(absl::StrCat("operator: proposer ", AddrName(pending_->to),
                                     " never answered read r", id, " by its deadline"));
    OnReadDone(Outcome::kUnknown, "the operator timed out waiting for the answer");
  });
  cluster_->Submit(p, std::move(req));
}

void Operator::OnReadDone(Outcome outcome, const std::string& error) {
  const PendingRead done = *pending_;
  pending_.reset();
  history_->Complete(done.history_id, outcome, {}, error, loop_->now_us());
  ++stats_.reads_failed;
  const int attempt = read_attempt_;
  After(kReadRetryUs, [this, attempt] { ReadNextKey(attempt + 1); });
}

void Operator::OnCompletion(int /*proposer*/, const core::Completion& completion) {
  if (!pending_.has_value() || pending_->request_id != completion.id) return;  // late
  if (!completion.status.ok()) {
    return OnReadDone(OutcomeOfStatus(completion.status), completion.status.ToString());
  }
  const PendingRead done = *pending_;
  pending_.reset();
  history_->Complete(done.history_id, Outcome::kOk, completion.response, "", loop_->now_us());
  log_->Add(loop_->now_us(), absl::StrCat("operator: answer ",
                                          DescribeOp(history_->op(done.history_id))));
  ++next_key_;
  After(0, [this] { ReadNextKey(0); });
}

void Operator::OnProposerCrashed(int /*proposer*/, const std::vector<uint64_t>& request_ids) {
  for (uint64_t id : request_ids) {
    if (pending_.has_value() && pending_->request_id == id) {
      OnReadDone(Outcome::kUnknown, "the proposer crashed (connection reset)");
    }
  }
}

}  // namespace gryadka::sim
