// gryadkactl membership: argument parsing, the target set, status and plan lines, and the
// driver against in-memory fake proposers (races, laggards, unreachable proposers, fencing,
// rescan resumption, re-running after an interruption).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "client/ctl_args.h"
#include "client/membership_driver.h"
#include "client/membership_plan.h"
#include "gtest/gtest.h"
#include "proposer/core/membership.h"

namespace gryadka::ctl {
namespace {

using core::MajorityMembership;

absl::StatusOr<Args> Parse(std::vector<absl::string_view> args, const char* env = nullptr) {
  return ParseArgs(args, env);
}

TEST(MembershipArgs, ActionsAddressesAndFlags) {
  absl::StatusOr<Args> a = Parse({"membership", "add", "10.0.0.4:6379", "--proposers=a:1,b:2",
                                  "--dry-run", "--step_timeout_ms=5000",
                                  "--rescan_keys_per_second", "200", "--poll_interval_ms=20"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, Command::kMembership);
  EXPECT_EQ(a->membership.action, MembershipAction::kAdd);
  EXPECT_EQ(a->membership.addresses, std::vector<std::string>{"10.0.0.4:6379"});
  EXPECT_EQ(a->targets, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(a->membership.dry_run);
  EXPECT_EQ(a->membership.step_timeout_ms, 5000);
  EXPECT_EQ(a->membership.poll_interval_ms, 20);
  EXPECT_EQ(a->membership.rescan_keys_per_second, 200u);

  a = Parse({"membership", "replace", "[::1]:6379", "redis-3.redis:6379"}, "dns:///p:8080");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->membership.action, MembershipAction::kReplace);
  EXPECT_EQ(a->membership.addresses,
            (std::vector<std::string>{"[::1]:6379", "redis-3.redis:6379"}));
  EXPECT_EQ(a->targets, std::vector<std::string>{"dns:///p:8080"});
  EXPECT_FALSE(a->membership.dry_run);
  EXPECT_EQ(a->membership.step_timeout_ms, kDefaultStepTimeoutMs);

  a = Parse({"membership", "status", "--target=x:1"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->membership.action, MembershipAction::kStatus);
  EXPECT_EQ(a->targets, std::vector<std::string>{"x:1"});
}

TEST(MembershipArgs, UsageErrorsNameTheBadArgument) {
  const std::vector<std::pair<std::vector<absl::string_view>, std::string>> cases = {
      {{"membership"}, "membership needs an action"},
      {{"membership", "grow", "a:1"}, "unknown membership action \"grow\""},
      {{"membership", "add"}, "usage: gryadkactl membership add ADDR"},
      {{"membership", "status", "a:1"}, "usage: gryadkactl membership status"},
      {{"membership", "replace", "a:1"}, "usage: gryadkactl membership replace OLD NEW"},
      {{"membership", "add", "redis"}, "invalid acceptor address \"redis\""},
      {{"membership", "add", "h:0"}, "invalid acceptor address \"h:0\""},
      {{"membership", "add", "h:70000"}, "invalid acceptor address \"h:70000\""},
      {{"membership", "add", ":6379"}, "invalid acceptor address \":6379\""},
      {{"membership", "add", "a b:1"}, "invalid acceptor address \"a b:1\""},
      {{"membership", "remove", "[::1:6379"}, "invalid acceptor address \"[::1:6379\""},
      {{"membership", "replace", "a:1", "a:1"}, "OLD and NEW are both a:1"},
      {{"membership", "add", "a:1", "--step_timeout_ms=0"}, "invalid --step_timeout_ms \"0\""},
      {{"membership", "add", "a:1", "--poll_interval_ms=x"}, "invalid --poll_interval_ms \"x\""},
      {{"membership", "add", "a:1", "--rescan_keys_per_second=-1"},
       "invalid --rescan_keys_per_second \"-1\""},
      {{"membership", "add", "a:1", "--proposers=a:1,,b:2"}, "--proposers \"a:1,,b:2\" has an empty entry"},
      {{"membership", "add", "a:1", "--proposers=p:1", "--target=p:1"}, "not both"},
      {{"membership", "status", "--json"}, "--json is not supported"},
      {{"membership", "status", "--dry-run=yes"}, "--dry-run takes no value"},
      {{"get", "k", "--dry-run"}, "--dry-run applies to membership commands only"},
      {{"get", "k", "--proposers=a:1"}, "--proposers applies to membership commands only"},
  };
  for (const auto& [args, expected] : cases) {
    absl::StatusOr<Args> a = Parse(args);
    ASSERT_FALSE(a.ok()) << expected;
    EXPECT_NE(a.status().message().find(expected), std::string::npos)
        << a.status().message() << " lacks " << expected;
  }
}

MembershipArgs Action(MembershipAction action, std::vector<std::string> addresses) {
  MembershipArgs a;
  a.action = action;
  a.addresses = std::move(addresses);
  return a;
}

TEST(TargetAcceptors, ComesFromThePrepareSetSoARerunAimsAtTheSameSet) {
  const v1::QuorumSet abc = MajorityMembership({"a:1", "b:1", "c:1"}, 0).prepare();
  using V = std::vector<std::string>;
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kAdd, {"d:1"}), abc),
            (V{"a:1", "b:1", "c:1", "d:1"}));
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kAdd, {"b:1"}), abc),
            (V{"a:1", "b:1", "c:1"}));
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kRemove, {"b:1"}), abc), (V{"a:1", "c:1"}));
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kRemove, {"z:1"}), abc),
            (V{"a:1", "b:1", "c:1"}));
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kReplace, {"b:1", "n:1"}), abc),
            (V{"a:1", "n:1", "c:1"}));
  const v1::QuorumSet anc = MajorityMembership({"a:1", "n:1", "c:1"}, 0).prepare();
  EXPECT_EQ(*TargetAcceptors(Action(MembershipAction::kReplace, {"b:1", "n:1"}), anc),
            (V{"a:1", "n:1", "c:1"}));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      TargetAcceptors(Action(MembershipAction::kReplace, {"x:1", "y:1"}), abc).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      TargetAcceptors(Action(MembershipAction::kReplace, {"a:1", "b:1"}), abc).status()));
}

TEST(FinishCommand, NamesTheCommandThatFinishesAnInterruptedChange) {
  const v1::Membership abc = MajorityMembership({"a:1", "b:1", "c:1"}, 0);
  EXPECT_FALSE(FinishCommand(abc).has_value());
  EXPECT_FALSE(ChangeInProgress(abc).has_value());
  auto after_first_step = [&](std::vector<std::string> target) {
    return (*core::PlanMembershipChange(abc, target))[0].membership;
  };
  EXPECT_EQ(FinishCommand(after_first_step({"a:1", "b:1", "c:1", "d:1"})), "add d:1");
  EXPECT_EQ(FinishCommand(after_first_step({"a:1", "c:1"})), "remove b:1");
  EXPECT_EQ(FinishCommand(after_first_step({"a:1", "n:1", "c:1"})), "replace b:1 n:1");
  EXPECT_EQ(ChangeInProgress(after_first_step({"a:1", "n:1", "c:1"})),
            "the accept set differs from the prepare set, a rescan is pending, a quorum is not "
            "a majority");
  // After "prepare on the target set" only the accept quorum is left to lower.
  const auto plan = *core::PlanMembershipChange(abc, {"a:1", "n:1", "c:1"});
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(FinishCommand(plan[2].membership), "add a:1");
  EXPECT_FALSE(FinishCommand(plan[3].membership).has_value());
}

std::vector<ProposerReport> Reports(const std::vector<v1::Membership>& ms) {
  std::vector<ProposerReport> out;
  for (size_t i = 0; i < ms.size(); ++i) {
    ProposerReport r{"p" + std::to_string(i) + ":80", {}};
    *r.response.mutable_membership() = ms[i];
    r.response.set_source("flags");
    out.push_back(r);
  }
  return out;
}

TEST(PlanLines, OneLinePerStepWithTheProposersAndLaggards) {
  const v1::Membership e0 = MajorityMembership({"a:1", "b:1", "c:1"}, 0);
  const v1::Membership e1 = MajorityMembership({"a:1", "b:1", "c:1"}, 1);
  const auto plan = *core::PlanMembershipChange(e1, {"a:1", "b:1", "c:1", "d:1"});
  EXPECT_EQ(absl::StrJoin(PlanLines(Reports({e1, e0}), e1, plan), "\n"),
            "proposers (2): p0:80, p1:80\n"
            "running: epoch 1: prepare 2 of [a:1, b:1, c:1], accept 2 of [a:1, b:1, c:1]\n"
            "bring to epoch 1: p1:80\n"
            "confirm epoch 1: wait for every proposer, fence its acceptors\n"
            "step 1/3: configure: accept on the target set -> epoch 2: prepare 2 of [a:1, b:1, "
            "c:1], accept 3 of [a:1, b:1, c:1, d:1], rescan pending from 2 of [a:1, b:1, c:1]\n"
            "step 2/3: rescan: rewrite every key found on [a:1, b:1, c:1] through accept 3 of "
            "[a:1, b:1, c:1, d:1]\n"
            "step 3/3: configure: prepare on the target set -> epoch 3: prepare 3 of [a:1, b:1, "
            "c:1, d:1], accept 3 of [a:1, b:1, c:1, d:1]");
  EXPECT_EQ(PlanLines(Reports({e0}), e0, {}).back(), "no step left: the target is running");
}

TEST(StatusLines, SaysAChangeIsInProgressAndHowToFinishIt) {
  const v1::Membership e0 = MajorityMembership({"a:1", "b:1", "c:1"}, 0);
  const v1::Membership e1 = (*core::PlanMembershipChange(e0, {"a:1", "c:1"}))[0].membership;
  EXPECT_EQ(absl::StrJoin(StatusLines(Reports({e1, e0}), e1, "gryadkactl membership"), "\n"),
            "proposer p0:80: epoch 1: prepare 2 of [a:1, b:1, c:1], accept 2 of [a:1, c:1], "
            "rescan pending from 2 of [a:1, b:1, c:1] (source flags, rounds in older epochs 0)\n"
            "proposer p1:80: epoch 0: prepare 2 of [a:1, b:1, c:1], accept 2 of [a:1, b:1, c:1] "
            "(source flags, rounds in older epochs 0)\n"
            "running: epoch 1: prepare 2 of [a:1, b:1, c:1], accept 2 of [a:1, c:1], rescan "
            "pending from 2 of [a:1, b:1, c:1]\n"
            "behind the running epoch 1: p1:80 (epoch 0) (any membership command brings them to "
            "it)\n"
            "change in progress: the accept set differs from the prepare set, a rescan is "
            "pending\n"
            "finish it with: gryadkactl membership remove b:1");
  EXPECT_EQ(StatusLines(Reports({e0}), e0, "x").back(), "no change in progress");
}

TEST(RunningMembership, HighestEpochWinsAndAnEpochConflictIsAnError) {
  const v1::Membership e0 = MajorityMembership({"a:1", "b:1", "c:1"}, 0);
  const v1::Membership e2 = MajorityMembership({"a:1", "b:1", "c:1"}, 2);
  EXPECT_EQ(RunningMembership(Reports({e0, e2, e0}))->epoch(), 2u);
  const v1::Membership other2 = MajorityMembership({"a:1", "b:1", "d:1"}, 2);
  absl::StatusOr<v1::Membership> r = RunningMembership(Reports({e2, other2}));
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
}

// ---- The driver against fake proposers sharing fake acceptors. ----

struct FakeAcceptors {
  std::map<std::string, uint64_t> min_epoch;  // absent = 0
  std::set<std::string> down;
};

class FakeProposer : public ProposerAdmin {
 public:
  FakeProposer(std::string name, FakeAcceptors* acceptors, v1::Membership m)
      : name_(std::move(name)), acceptors_(acceptors), m_(std::move(m)) {}
  const std::string& name() const override { return name_; }

  absl::StatusOr<v1::GetMembershipResponse> GetMembership(int64_t) override {
    if (down) return absl::UnavailableError("proposer " + name_ + ": connection refused");
    v1::GetMembershipResponse r;
    *r.mutable_membership() = m_;
    r.set_rounds_in_older_epochs(older_rounds > 0 ? older_rounds-- : 0);
    r.set_source("flags");
    r.set_proposer_id(proposer_id);
    return r;
  }
  absl::StatusOr<v1::SetMembershipResponse> SetMembership(const v1::SetMembershipRequest& req,
                                                          int64_t) override {
    if (down) return absl::UnavailableError("down");
    ++set_calls;
    if (before_set) before_set(*this);
    if (req.expected_epoch() != m_.epoch()) return absl::FailedPreconditionError("epoch moved");
    m_ = req.membership();
    older_rounds = older_rounds_after_set;
    if (fail_set_after_apply) return absl::UnavailableError("connection lost");
    v1::SetMembershipResponse r;
    *r.mutable_membership() = m_;
    return r;
  }
  absl::StatusOr<v1::FenceAcceptorsResponse> FenceAcceptors(const v1::FenceAcceptorsRequest& req,
                                                            int64_t) override {
    if (down) return absl::UnavailableError("down");
    std::vector<std::string> all = core::MembershipAcceptors(req.membership());
    for (const auto& a : req.also()) {
      if (std::find(all.begin(), all.end(), a) == all.end()) all.push_back(a);
    }
    v1::FenceAcceptorsResponse r;
    for (const auto& a : all) {
      v1::AcceptorFence* f = r.add_acceptors();
      f->set_acceptor(a);
      if (acceptors_->down.count(a) > 0) {
        f->set_error("connection refused");
        continue;
      }
      uint64_t& e = acceptors_->min_epoch[a];
      e = std::max(e, req.membership().epoch());
      f->set_ok(true);
      f->set_min_epoch(e);
    }
    ++fence_calls;
    return r;
  }
  absl::Status Rescan(const v1::RescanRequest& req,
                      const std::function<void(const v1::RescanProgress&)>& on_progress) override {
    if (down) return absl::UnavailableError("down");
    rescan_cursors.push_back(req.cursor());
    if (req.expected_epoch() != m_.epoch()) return absl::FailedPreconditionError("epoch");
    v1::RescanProgress p;
    p.set_keys_scanned(10);
    p.set_cursor(req.cursor() + "x");
    p.set_acceptors_total(2);
    on_progress(p);
    if (rescan_breaks > 0) {
      --rescan_breaks;
      return absl::UnavailableError("stream broken");
    }
    p.set_done(true);
    p.set_acceptors_done(2);
    on_progress(p);
    return absl::OkStatus();
  }

  const v1::Membership& membership() const { return m_; }
  void set_membership(v1::Membership m) { m_ = std::move(m); }

  bool down = false;
  uint64_t proposer_id = 0;
  int older_rounds = 0;
  int older_rounds_after_set = 0;
  bool fail_set_after_apply = false;
  int rescan_breaks = 0;
  int set_calls = 0;
  int fence_calls = 0;
  std::vector<std::string> rescan_cursors;
  std::function<void(FakeProposer&)> before_set;

 private:
  const std::string name_;
  FakeAcceptors* const acceptors_;
  v1::Membership m_;
};

struct Fixture {
  explicit Fixture(int n, const v1::Membership& start) {
    for (int i = 0; i < n; ++i) {
      proposers.push_back(std::make_unique<FakeProposer>("p" + std::to_string(i) + ":80",
                                                         &acceptors, start));
    }
  }
  absl::Status Run(MembershipAction action, std::vector<std::string> addresses,
                   bool dry_run = false) {
    MembershipContext c;
    c.args = Action(action, std::move(addresses));
    c.args.action_name = "test";
    c.args.dry_run = dry_run;
    c.args.poll_interval_ms = 1;
    c.args.step_timeout_ms = 2000;
    for (auto& p : proposers) c.proposers.push_back(p.get());
    c.command_prefix = "gryadkactl membership";
    c.print = [this](const std::string& line) { out.push_back(line); };
    return RunMembership(c);
  }
  std::string Out() const { return absl::StrJoin(out, "\n"); }
  FakeAcceptors acceptors;
  std::vector<std::unique_ptr<FakeProposer>> proposers;
  std::vector<std::string> out;
};

const v1::Membership kAbc = MajorityMembership({"a:1", "b:1", "c:1"}, 0);

TEST(RunMembership, AddRunsEveryStepOnEveryProposerAndFencesEachEpoch) {
  Fixture f(3, kAbc);
  f.proposers[1]->older_rounds_after_set = 3;  // drains over a few polls
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  for (auto& p : f.proposers) {
    EXPECT_TRUE(SameMembership(p->membership(),
                               MajorityMembership({"a:1", "b:1", "c:1", "d:1"}, 2)))
        << core::DescribeMembership(p->membership());
  }
  for (const char* a : {"a:1", "b:1", "c:1", "d:1"}) EXPECT_EQ(f.acceptors.min_epoch[a], 2u) << a;
  EXPECT_TRUE(absl::StrContains(f.Out(), "step 2/3 started: rescan")) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "step 3/3 done\ndone: epoch 2")) << f.Out();
  // Running it again changes nothing and only confirms epoch 2.
  f.out.clear();
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "no step left")) << f.Out();
  EXPECT_EQ(f.proposers[0]->membership().epoch(), 2u);
}

TEST(RunMembership, DryRunPrintsThePlanAndChangesNothing) {
  Fixture f(2, kAbc);
  ASSERT_TRUE(f.Run(MembershipAction::kRemove, {"c:1"}, /*dry_run=*/true).ok()) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "step 1/3: configure: accept on the target set"));
  EXPECT_EQ(f.out.back(), "dry run: nothing changed");
  EXPECT_EQ(f.proposers[0]->set_calls + f.proposers[1]->set_calls, 0);
  EXPECT_TRUE(f.acceptors.min_epoch.empty());
}

TEST(RunMembership, AnUnreachableProposerStopsTheChangeWithItsName) {
  Fixture f(3, kAbc);
  f.proposers[2]->down = true;
  absl::Status s = f.Run(MembershipAction::kAdd, {"d:1"});
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "proposer p2:80 did not answer")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "leave it out of --proposers")) << s;
  EXPECT_EQ(f.proposers[0]->set_calls, 0);
}

TEST(RunMembership, ARerunAfterAnInterruptionBetweenProposersFinishesTheChange) {
  Fixture f(3, kAbc);
  // The first run dies after p0 took step 1: p0 runs epoch 1, the others epoch 0.
  const auto plan = *core::PlanMembershipChange(kAbc, {"a:1", "b:1", "c:1", "d:1"});
  f.proposers[0]->set_membership(plan[0].membership);
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "bring to epoch 1: p1:80, p2:80")) << f.Out();
  for (auto& p : f.proposers) EXPECT_EQ(p->membership().epoch(), 2u);
}

TEST(RunMembership, AProposerThatAlreadyRunsTheStepCountsAsDone) {
  Fixture f(2, kAbc);
  // Between the driver's read and its SetMembership, p1 adopts epoch 1 (a fence notice).
  const auto plan = *core::PlanMembershipChange(kAbc, {"a:1", "b:1", "c:1", "d:1"});
  f.proposers[1]->before_set = [&](FakeProposer& p) {
    if (p.membership().epoch() == 0) p.set_membership(plan[0].membership);
  };
  // And p0's first SetMembership applies but its answer is lost.
  f.proposers[0]->fail_set_after_apply = true;
  absl::Status s = f.Run(MembershipAction::kAdd, {"d:1"});
  ASSERT_TRUE(s.ok()) << s << "\n" << f.Out();
  EXPECT_EQ(f.proposers[1]->membership().epoch(), 2u);
}

TEST(RunMembership, AnotherChangeUnderTheSameEpochStopsTheRun) {
  Fixture f(2, kAbc);
  f.proposers[1]->before_set = [](FakeProposer& p) {
    if (p.membership().epoch() == 0) {
      p.set_membership(MajorityMembership({"a:1", "b:1", "x:1"}, 1));
    }
  };
  absl::Status s = f.Run(MembershipAction::kAdd, {"d:1"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "another change is running")) << s;
}

TEST(RunMembership, TooFewFencedAcceptorsStopTheChangeNamingThem) {
  Fixture f(2, kAbc);
  f.acceptors.down = {"b:1", "c:1"};
  absl::Status s = f.Run(MembershipAction::kAdd, {"d:1"});
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "b:1 (connection refused)")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "step 1/3 failed")) << s;
}

TEST(RunMembership, ReplacingADeadAcceptorFencesTheLiveMajority) {
  Fixture f(2, kAbc);
  f.acceptors.down = {"b:1"};
  ASSERT_TRUE(f.Run(MembershipAction::kReplace, {"b:1", "n:1"}).ok()) << f.Out();
  EXPECT_TRUE(SameMembership(f.proposers[0]->membership(),
                             MajorityMembership({"a:1", "n:1", "c:1"}, 3)))
      << core::DescribeMembership(f.proposers[0]->membership());
}

TEST(RunMembership, ABrokenRescanStreamResumesFromItsCursorOnTheNextProposer) {
  Fixture f(2, kAbc);
  f.proposers[0]->rescan_breaks = 1;
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  EXPECT_EQ(f.proposers[0]->rescan_cursors, std::vector<std::string>{""});
  EXPECT_EQ(f.proposers[1]->rescan_cursors, std::vector<std::string>{"x"});
  EXPECT_TRUE(absl::StrContains(f.Out(), "rescan resumed on p1:80 from cursor \"x\"")) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "20 keys scanned")) << f.Out();
}

TEST(RunMembership, ProposersThatNeverDrainTimeOutNamingThem) {
  Fixture f(2, kAbc);
  f.proposers[1]->older_rounds_after_set = 1 << 30;
  absl::Status s = f.Run(MembershipAction::kAdd, {"d:1"});
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "p1:80 (")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "rounds in older epochs")) << s;
}

TEST(RunMembership, AnotherCommandWhileAChangeIsInProgressIsRefusedWithTheFinishingCommand) {
  const auto plan = *core::PlanMembershipChange(kAbc, {"a:1", "b:1", "c:1", "d:1"});
  Fixture f(2, plan[0].membership);  // "add d:1" stopped after its first step
  absl::Status s = f.Run(MembershipAction::kRemove, {"b:1"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "finish it first with: membership add d:1")) << s;
  EXPECT_EQ(f.proposers[0]->set_calls, 0);
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  ASSERT_TRUE(f.Run(MembershipAction::kRemove, {"b:1"}).ok()) << f.Out();
  EXPECT_TRUE(SameMembership(f.proposers[1]->membership(),
                             MajorityMembership({"a:1", "c:1", "d:1"}, 4)))
      << core::DescribeMembership(f.proposers[1]->membership());
}

TEST(RunMembership, TwoTargetsOfOneProposerCountOnce) {
  Fixture f(3, kAbc);
  f.proposers[0]->proposer_id = 7;
  f.proposers[1]->proposer_id = 7;  // e.g. localhost:8080 and 127.0.0.1:8080
  f.proposers[2]->proposer_id = 9;
  ASSERT_TRUE(f.Run(MembershipAction::kAdd, {"d:1"}).ok()) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "note: p1:80 is the same proposer as p0:80")) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "proposers (2): p0:80, p2:80")) << f.Out();
  EXPECT_EQ(f.proposers[1]->set_calls, 0);
}

TEST(RunMembership, StatusPrintsTheProposersThatAnswerAndFailsNamingTheOthers) {
  Fixture f(3, kAbc);
  f.proposers[1]->down = true;
  absl::Status s = f.Run(MembershipAction::kStatus, {});
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "proposer p1:80 did not answer")) << s;
  EXPECT_TRUE(absl::StrContains(f.Out(), "proposer p1:80: does not answer: UNAVAILABLE")) << f.Out();
  EXPECT_TRUE(absl::StrContains(f.Out(), "proposer p2:80: epoch 0")) << f.Out();
  EXPECT_EQ(f.out.back(), "no change in progress");
}

TEST(RunMembership, StatusPrintsEveryProposer) {
  Fixture f(2, kAbc);
  ASSERT_TRUE(f.Run(MembershipAction::kStatus, {}).ok());
  EXPECT_EQ(f.out.size(), 4u) << f.Out();
  EXPECT_EQ(f.out.back(), "no change in progress");
}

}  // namespace
}  // namespace gryadka::ctl
