#include "client/membership_plan.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gryadka::ctl {
namespace {

bool Contains(const v1::QuorumSet& set, const std::string& address) {
  return std::find(set.acceptors().begin(), set.acceptors().end(), address) !=
         set.acceptors().end();
}

std::set<std::string> Names(const v1::QuorumSet& set) {
  return {set.acceptors().begin(), set.acceptors().end()};
}

bool SameSet(const v1::QuorumSet& a, const v1::QuorumSet& b) {
  return Names(a) == Names(b) && core::EffectiveQuorum(a) == core::EffectiveQuorum(b);
}

bool Majority(const v1::QuorumSet& set) {
  return core::EffectiveQuorum(set) == set.acceptors_size() / 2 + 1;
}

// Members of `a` not in `b`, in `a`'s order.
std::vector<std::string> Minus(const v1::QuorumSet& a, const v1::QuorumSet& b) {
  std::vector<std::string> out;
  for (const auto& x : a.acceptors()) {
    if (!Contains(b, x)) out.push_back(x);
  }
  return out;
}

std::string ProposerLine(const ProposerReport& r) {
  return absl::StrCat("proposer ", r.name, ": ", core::DescribeMembership(r.response.membership()),
                      " (source ", r.response.source().empty() ? "?" : r.response.source(),
                      ", rounds in older epochs ", r.response.rounds_in_older_epochs(), ")");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TargetAcceptors(const MembershipArgs& args,
                                                         const v1::QuorumSet& prepare) {
  std::vector<std::string> out(prepare.acceptors().begin(), prepare.acceptors().end());
  const std::string& first = args.addresses.at(0);
  switch (args.action) {
    case MembershipAction::kAdd:
      if (!Contains(prepare, first)) out.push_back(first);
      return out;
    case MembershipAction::kRemove:
      out.erase(std::remove(out.begin(), out.end(), first), out.end());
      return out;
    case MembershipAction::kReplace: {
      const std::string& added = args.addresses.at(1);
      const bool has_old = Contains(prepare, first);
      const bool has_new = Contains(prepare, added);
      if (has_old && has_new) {
        return absl::FailedPreconditionError(absl::StrCat(
            "both ", first, " and ", added, " are acceptors of the prepare set [",
            absl::StrJoin(out, ", "), "]; to drop ", first, " use: membership remove ", first));
      }
      if (!has_old && !has_new) {
        return absl::FailedPreconditionError(absl::StrCat(
            first, " is not an acceptor of the prepare set [", absl::StrJoin(out, ", "),
            "]: nothing to replace (to add ", added, " use: membership add ", added, ")"));
      }
      std::replace(out.begin(), out.end(), first, added);
      return out;
    }
    case MembershipAction::kStatus:
      break;
  }
  return absl::InternalError("TargetAcceptors called for status");
}

std::optional<std::string> ChangeInProgress(const v1::Membership& running) {
  std::vector<std::string> why;
  if (Names(running.prepare()) != Names(running.accept())) {
    why.push_back("the accept set differs from the prepare set");
  }
  if (!running.rescan_from().acceptors().empty()) why.push_back("a rescan is pending");
  if (!Majority(running.prepare()) || !Majority(running.accept())) {
    why.push_back("a quorum is not a majority");
  }
  if (why.empty()) return std::nullopt;
  return absl::StrJoin(why, ", ");
}

std::optional<std::string> FinishCommand(const v1::Membership& running) {
  if (!ChangeInProgress(running).has_value()) return std::nullopt;
  // Step 1 of every change moves the accept set to the target: the target is the accept set.
  const std::vector<std::string> added = Minus(running.accept(), running.prepare());
  const std::vector<std::string> removed = Minus(running.prepare(), running.accept());
  if (added.size() == 1 && removed.empty()) return absl::StrCat("add ", added[0]);
  if (added.empty() && removed.size() == 1) return absl::StrCat("remove ", removed[0]);
  if (added.size() == 1 && removed.size() == 1) {
    return absl::StrCat("replace ", removed[0], " ", added[0]);
  }
  if (added.empty() && removed.empty() && running.prepare().acceptors_size() > 0) {
    // Only quorums (or a rescan) are left: adding a present acceptor changes the set by nothing
    // and runs the remaining steps.
    return absl::StrCat("add ", running.prepare().acceptors(0));
  }
  return std::nullopt;
}

std::vector<std::string> StatusLines(const std::vector<ProposerReport>& reports,
                                     const v1::Membership& running,
                                     const std::string& command_prefix) {
  std::vector<std::string> lines;
  for (const ProposerReport& r : reports) lines.push_back(ProposerLine(r));
  lines.push_back(absl::StrCat("running: ", core::DescribeMembership(running)));
  std::vector<std::string> behind;
  for (const ProposerReport& r : reports) {
    if (r.response.membership().epoch() < running.epoch()) {
      behind.push_back(absl::StrCat(r.name, " (epoch ", r.response.membership().epoch(), ")"));
    }
  }
  if (!behind.empty()) {
    lines.push_back(absl::StrCat("behind the running epoch ", running.epoch(), ": ",
                                 absl::StrJoin(behind, ", "),
                                 " (any membership command brings them to it)"));
  }
  const std::optional<std::string> why = ChangeInProgress(running);
  if (!why.has_value()) {
    lines.push_back("no change in progress");
    return lines;
  }
  lines.push_back(absl::StrCat("change in progress: ", *why));
  const std::optional<std::string> finish = FinishCommand(running);
  lines.push_back(finish.has_value()
                      ? absl::StrCat("finish it with: ", command_prefix, " ", *finish)
                      : "no single add/remove/replace finishes it; run the command that started "
                        "it again");
  return lines;
}

std::vector<std::string> PlanLines(const std::vector<ProposerReport>& reports,
                                   const v1::Membership& running,
                                   const std::vector<core::MembershipStep>& steps) {
  std::vector<std::string> names;
  std::vector<std::string> behind;
  for (const ProposerReport& r : reports) {
    names.push_back(r.name);
    if (r.response.membership().epoch() < running.epoch()) behind.push_back(r.name);
  }
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("proposers (", names.size(), "): ", absl::StrJoin(names, ", ")));
  lines.push_back(absl::StrCat("running: ", core::DescribeMembership(running)));
  if (!behind.empty()) {
    lines.push_back(absl::StrCat("bring to epoch ", running.epoch(), ": ",
                                 absl::StrJoin(behind, ", ")));
  }
  if (running.epoch() > 0) {
    lines.push_back(absl::StrCat("confirm epoch ", running.epoch(),
                                 ": wait for every proposer, fence its acceptors"));
  }
  if (steps.empty()) {
    lines.push_back("no step left: the target is running");
    return lines;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    lines.push_back(absl::StrCat("step ", i + 1, "/", steps.size(), ": ",
                                 steps[i].kind == core::MembershipStep::Kind::kRescan
                                     ? ""
                                     : "configure: ",
                                 steps[i].description));
  }
  return lines;
}

absl::StatusOr<v1::Membership> RunningMembership(const std::vector<ProposerReport>& reports) {
  const ProposerReport* best = &reports.at(0);
  for (const ProposerReport& r : reports) {
    if (r.response.membership().epoch() > best->response.membership().epoch()) best = &r;
  }
  for (const ProposerReport& r : reports) {
    if (r.response.membership().epoch() == best->response.membership().epoch() &&
        !SameMembership(r.response.membership(), best->response.membership())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "proposers ", best->name, " and ", r.name, " run different configurations under epoch ",
          best->response.membership().epoch(), ": [",
          core::DescribeMembership(best->response.membership()), "] and [",
          core::DescribeMembership(r.response.membership()),
          "]; fix their --membership_file or flags first"));
    }
  }
  return best->response.membership();
}

bool SameMembership(const v1::Membership& a, const v1::Membership& b) {
  return a.epoch() == b.epoch() && SameSet(a.prepare(), b.prepare()) &&
         SameSet(a.accept(), b.accept()) &&
         (a.rescan_from().acceptors().empty()
              ? b.rescan_from().acceptors().empty()
              : SameSet(a.rescan_from(), b.rescan_from()));
}

}  // namespace gryadka::ctl
