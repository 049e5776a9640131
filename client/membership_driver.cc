#include "client/membership_driver.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/membership_plan.h"
#include "proposer/core/membership.h"

namespace gryadka::ctl {
namespace {

using core::DescribeMembership;

absl::Status Unreachable(const ProposerAdmin& p, const absl::Status& s) {
  return absl::Status(
      s.code(),
      absl::StrCat(s.message(),
                   "\nproposer ", p.name(), " did not answer; every proposer must take every step. "
                   "Fix it and run the same command again, or leave it out of --proposers if it "
                   "is gone for good: once the acceptors are fenced at the new epoch its rounds "
                   "are refused, and it adopts the new configuration from the refusal."));
}

class Driver {
 public:
  explicit Driver(const MembershipContext& c) : c_(c) {}

  absl::Status Run() {
    const bool status = c_.args.action == MembershipAction::kStatus;
    absl::Status unreachable = ReadAll(/*tolerate_unreachable=*/status);
    if (!unreachable.ok() && (!status || reports_.empty())) return unreachable;
    absl::StatusOr<v1::Membership> running = RunningMembership(reports_);
    if (!running.ok()) return running.status();
    running_ = *running;
    if (status) {
      for (const std::string& line : StatusLines(reports_, running_, c_.command_prefix)) {
        c_.print(line);
      }
      return unreachable;
    }
    absl::StatusOr<std::vector<std::string>> target = TargetAcceptors(c_.args, running_.prepare());
    if (!target.ok()) return target.status();
    if (absl::Status s = CheckNoOtherChange(*target); !s.ok()) return s;
    absl::StatusOr<std::vector<core::MembershipStep>> plan =
        core::PlanMembershipChange(running_, *target);
    if (!plan.ok()) return plan.status();
    c_.print(absl::StrCat("membership ", c_.args.action_name, ": target [",
                          absl::StrJoin(*target, ", "), "]"));
    for (const std::string& line : PlanLines(reports_, running_, *plan)) c_.print(line);
    if (c_.args.dry_run) {
      c_.print("dry run: nothing changed");
      return absl::OkStatus();
    }
    if (absl::Status s = Confirm(); !s.ok()) return s;
    for (size_t i = 0; i < plan->size(); ++i) {
      const core::MembershipStep& step = (*plan)[i];
      const std::string label = absl::StrCat("step ", i + 1, "/", plan->size());
      c_.print(absl::StrCat(label, " started: ", step.description));
      absl::Status s = step.kind == core::MembershipStep::Kind::kRescan ? Rescan(step.membership)
                                                                        : Configure(step.membership);
      if (!s.ok()) {
        return absl::Status(s.code(), absl::StrCat(label, " failed: ", s.message(),
                                                   "\nRun the same command again to resume."));
      }
      c_.print(absl::StrCat(label, " done"));
    }
    c_.print(absl::StrCat("done: ", DescribeMembership(running_)));
    return absl::OkStatus();
  }

 private:
  // A change in progress moved the accept set to its target first: another target now would
  // change the accept set again before the rescan and the prepare step of the first change.
  absl::Status CheckNoOtherChange(const std::vector<std::string>& target) const {
    if (!ChangeInProgress(running_).has_value()) return absl::OkStatus();
    const std::set<std::string> accept(running_.accept().acceptors().begin(),
                                       running_.accept().acceptors().end());
    if (accept == std::set<std::string>(target.begin(), target.end())) return absl::OkStatus();
    const std::optional<std::string> finish = FinishCommand(running_);
    return absl::FailedPreconditionError(absl::StrCat(
        "a change to [", absl::StrJoin(running_.accept().acceptors(), ", "),
        "] is in progress (", DescribeMembership(running_), "); finish it first",
        finish.has_value() ? absl::StrCat(" with: membership ", *finish) : "",
        ", then run this command"));
  }

  // Reads every proposer. Two targets that reach the same process (same proposer_id, e.g.
  // "localhost:8080" and "127.0.0.1:8080") are one proposer: the second is dropped.
  // With `tolerate_unreachable` (status), a proposer that does not answer gets a line and the
  // others are still read; the first such error is returned at the end.
  absl::Status ReadAll(bool tolerate_unreachable) {
    std::vector<ProposerAdmin*> distinct;
    absl::Status first_error;
    for (ProposerAdmin* p : c_.proposers) {
      absl::StatusOr<v1::GetMembershipResponse> r = p->GetMembership(c_.call_deadline_ms);
      if (!r.ok()) {
        if (!tolerate_unreachable) return Unreachable(*p, r.status());
        c_.print(absl::StrCat("proposer ", p->name(), ": does not answer: ", r.status().ToString()));
        if (first_error.ok()) first_error = Unreachable(*p, r.status());
        continue;
      }
      const auto same = std::find_if(reports_.begin(), reports_.end(), [&](const ProposerReport& x) {
        return r->proposer_id() != 0 && x.response.proposer_id() == r->proposer_id();
      });
      if (same != reports_.end()) {
        c_.print(absl::StrCat("note: ", p->name(), " is the same proposer as ", same->name,
                              "; using ", same->name));
        continue;
      }
      distinct.push_back(p);
      reports_.push_back({p->name(), *std::move(r)});
    }
    proposers_ = std::move(distinct);
    return first_error;
  }

  // Makes `p` run `target` (compare-and-set from the epoch it runs). A proposer that already
  // runs `target` (another run, a fence notice or a membership file got there first) is done.
  absl::Status SetOn(ProposerAdmin& p, const v1::Membership& target) {
    absl::StatusOr<v1::GetMembershipResponse> now = p.GetMembership(c_.call_deadline_ms);
    if (!now.ok()) return Unreachable(p, now.status());
    if (SameMembership(now->membership(), target)) return absl::OkStatus();
    if (now->membership().epoch() < target.epoch()) {
      v1::SetMembershipRequest request;
      request.set_expected_epoch(now->membership().epoch());
      *request.mutable_membership() = target;
      absl::StatusOr<v1::SetMembershipResponse> set = p.SetMembership(request, c_.call_deadline_ms);
      if (set.ok() && SameMembership(set->membership(), target)) return absl::OkStatus();
      if (!set.ok() && !absl::IsFailedPrecondition(set.status()) &&
          !absl::IsUnavailable(set.status()) && !absl::IsDeadlineExceeded(set.status())) {
        return set.status();
      }
      // A lost race or an unknown outcome: what runs now decides.
      now = p.GetMembership(c_.call_deadline_ms);
      if (!now.ok()) return Unreachable(p, now.status());
      if (SameMembership(now->membership(), target)) return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "proposer ", p.name(), " runs [", DescribeMembership(now->membership()), "] instead of [",
        DescribeMembership(target),
        "]: another change is running or was made by hand; see gryadkactl membership status"));
  }

  // Waits until every proposer runs `target` with no round in an older epoch; a proposer found
  // behind (e.g. restarted from its flags) gets `target` again.
  absl::Status WaitAll(const v1::Membership& target) {
    const absl::Time give_up = absl::Now() + absl::Milliseconds(c_.args.step_timeout_ms);
    while (true) {
      std::vector<std::string> waiting;
      for (ProposerAdmin* p : proposers_) {
        absl::StatusOr<v1::GetMembershipResponse> r = p->GetMembership(c_.call_deadline_ms);
        if (!r.ok()) return Unreachable(*p, r.status());
        if (!SameMembership(r->membership(), target)) {
          if (absl::Status s = SetOn(*p, target); !s.ok()) return s;
          waiting.push_back(absl::StrCat(p->name(), " (at epoch ", r->membership().epoch(), ")"));
        } else if (r->rounds_in_older_epochs() > 0) {
          waiting.push_back(absl::StrCat(p->name(), " (", r->rounds_in_older_epochs(),
                                         " rounds in older epochs)"));
        }
      }
      if (waiting.empty()) return absl::OkStatus();
      if (absl::Now() >= give_up) {
        return absl::DeadlineExceededError(absl::StrCat(
            "after --step_timeout_ms=", c_.args.step_timeout_ms, " not every proposer runs epoch ",
            target.epoch(), " with no round in an older one: ", absl::StrJoin(waiting, ", ")));
      }
      absl::SleepFor(absl::Milliseconds(c_.args.poll_interval_ms));
    }
  }

  // Fences the acceptors of `target` and `also` at target's epoch; OK iff the acceptors that
  // answered block every quorum of each of `previous`.
  absl::Status Fence(const v1::Membership& target, const std::vector<v1::Membership>& previous) {
    v1::FenceAcceptorsRequest request;
    *request.mutable_membership() = target;
    for (const v1::Membership& m : previous) {
      for (const std::string& a : core::MembershipAcceptors(m)) request.add_also(a);
    }
    absl::Status last;
    for (ProposerAdmin* p : proposers_) {
      absl::StatusOr<v1::FenceAcceptorsResponse> r = p->FenceAcceptors(request, c_.call_deadline_ms);
      if (!r.ok()) {
        last = r.status();
        continue;
      }
      return CheckFence(target, previous, *r);
    }
    return absl::Status(last.code(), absl::StrCat("no proposer could fence the acceptors at epoch ",
                                                  target.epoch(), ": ", last.message()));
  }

  absl::Status CheckFence(const v1::Membership& target, const std::vector<v1::Membership>& previous,
                          const v1::FenceAcceptorsResponse& r) {
    std::vector<std::string> fenced;
    std::vector<std::string> unfenced;
    for (const v1::AcceptorFence& a : r.acceptors()) {
      if (a.ok() && a.min_epoch() >= target.epoch()) {
        fenced.push_back(a.acceptor());
      } else {
        unfenced.push_back(absl::StrCat(a.acceptor(), " (", a.ok() ? "min epoch lower" : a.error(), ")"));
      }
    }
    c_.print(absl::StrCat("  fenced ", fenced.size(), " of ", r.acceptors_size(), " acceptors at epoch ",
                          target.epoch(),
                          unfenced.empty() ? "" : absl::StrCat("; not: ", absl::StrJoin(unfenced, ", "))));
    for (const v1::Membership& m : previous) {
      if (!core::FenceBlocks(m, fenced)) {
        return absl::UnavailableError(absl::StrCat(
            "too few acceptors fenced at epoch ", target.epoch(), " to stop rounds of [",
            DescribeMembership(m), "]; unfenced: ", absl::StrJoin(unfenced, ", "),
            ". Bring them back (or check their addresses) and run the same command again"));
      }
    }
    return absl::OkStatus();
  }

  // Brings proposers behind to the running epoch, waits for all, fences at it.
  absl::Status Confirm() {
    std::vector<v1::Membership> behind;
    for (const ProposerReport& r : reports_) {
      if (r.response.membership().epoch() < running_.epoch()) behind.push_back(r.response.membership());
    }
    if (running_.epoch() == 0 && behind.empty()) return absl::OkStatus();
    c_.print(absl::StrCat("confirm epoch ", running_.epoch(), " started"));
    if (absl::Status s = WaitAll(running_); !s.ok()) return s;
    if (running_.epoch() > 0) {
      if (absl::Status s = Fence(running_, behind); !s.ok()) return s;
    }
    c_.print(absl::StrCat("confirm epoch ", running_.epoch(), " done"));
    return absl::OkStatus();
  }

  absl::Status Configure(const v1::Membership& next) {
    for (ProposerAdmin* p : proposers_) {
      if (absl::Status s = SetOn(*p, next); !s.ok()) return s;
    }
    if (absl::Status s = WaitAll(next); !s.ok()) return s;
    const v1::Membership previous = running_;
    running_ = next;
    return Fence(next, {previous});
  }

  absl::Status Rescan(const v1::Membership& membership) {
    v1::RescanRequest request;
    request.set_expected_epoch(membership.epoch());
    request.set_keys_per_second(c_.args.rescan_keys_per_second);
    uint64_t scanned_before = 0, rewritten_before = 0;  // by earlier streams of this step
    uint64_t scanned = 0, rewritten = 0;
    absl::Status last;
    for (int attempt = 0; attempt < kRescanAttemptsMax; ++attempt) {
      ProposerAdmin& p = *proposers_[attempt % proposers_.size()];
      if (attempt > 0) {
        c_.print(absl::StrCat("  rescan resumed on ", p.name(), " from cursor \"",
                              request.cursor(), "\" after: ", last.message()));
      }
      last = p.Rescan(request, [&](const v1::RescanProgress& progress) {
        scanned = scanned_before + progress.keys_scanned();
        rewritten = rewritten_before + progress.keys_rewritten();
        if (!progress.cursor().empty()) request.set_cursor(progress.cursor());
        c_.print(absl::StrFormat(
            "  rescan: %d keys scanned, %d rewritten%s, acceptors %d/%d, %.0f keys/s, cursor "
            "\"%s\"%s",
            scanned, rewritten,
            progress.keys_skipped() == 0
                ? ""
                : absl::StrCat(", ", progress.keys_skipped(), " skipped (not registers)"),
            progress.acceptors_done(), progress.acceptors_total(), progress.keys_per_second(),
            progress.cursor(), progress.done() ? ", done" : ""));
      });
      if (last.ok()) return absl::OkStatus();
      if (absl::IsFailedPrecondition(last) || absl::IsInvalidArgument(last)) return last;
      scanned_before = scanned;
      rewritten_before = rewritten;
      absl::SleepFor(absl::Milliseconds(kRescanRetryPauseMs));
    }
    return absl::Status(last.code(), absl::StrCat("rescan failed ", kRescanAttemptsMax,
                                                  " times; last: ", last.message()));
  }

  const MembershipContext& c_;
  std::vector<ProposerAdmin*> proposers_;  // c_.proposers, each process once
  std::vector<ProposerReport> reports_;    // parallel to proposers_ (as first read)
  v1::Membership running_;
};

}  // namespace

absl::Status RunMembership(const MembershipContext& context) { return Driver(context).Run(); }

}  // namespace gryadka::ctl
