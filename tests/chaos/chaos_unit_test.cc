// The harness's own logic without processes: the seeded schedule, how a status becomes an
// outcome, and the verdict on hand-made histories (a lost write, a success without a quorum,
// the windows without success).
#include <gtest/gtest.h>

#include <set>

#include "absl/status/status.h"
#include "tests/chaos/recorder.h"
#include "tests/chaos/schedule.h"
#include "tests/chaos/verdict.h"

namespace gryadka::chaos {
namespace {

using sim::Outcome;

TEST(ChaosScheduleTest, SameSeedGivesTheSameScheduleAndAnotherSeedAnother) {
  ScheduleOptions o;
  o.seed = 42;
  const auto a = BuildSchedule(o), b = BuildSchedule(o);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(DescribeFault(a[i]), DescribeFault(b[i]));
  o.seed = 43;
  const auto c = BuildSchedule(o);
  bool differs = c.size() != a.size();
  for (size_t i = 0; !differs && i < a.size(); ++i) differs = DescribeFault(a[i]) != DescribeFault(c[i]);
  EXPECT_TRUE(differs);
}

TEST(ChaosScheduleTest, SafetyRunHasOneFaultAtATimeAndEveryKindInSixtySeconds) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    ScheduleOptions o;
    o.seed = seed;
    const auto faults = BuildSchedule(o);
    std::set<FaultKind> kinds;
    for (size_t i = 0; i < faults.size(); ++i) {
      kinds.insert(faults[i].kind);
      EXPECT_LE(faults[i].start_ms + faults[i].duration_ms, o.duration_ms);
      if (i > 0) {
        EXPECT_GT(faults[i].start_ms, faults[i - 1].start_ms + faults[i - 1].duration_ms);
      }
    }
    EXPECT_EQ(kinds.size(), static_cast<size_t>(kFaultKinds)) << "seed " << seed;
  }
}

TEST(ChaosScheduleTest, MajorityDownRunTakesTwoDistinctAcceptorsDownTogether) {
  ScheduleOptions o;
  o.seed = 5;
  o.duration_ms = 25000;
  o.majority_down = true;
  const auto faults = BuildSchedule(o);
  ASSERT_GE(faults.size(), 2u);
  ASSERT_EQ(faults.size() % 2, 0u);
  for (size_t i = 0; i < faults.size(); i += 2) {
    EXPECT_EQ(faults[i].group, faults[i + 1].group);
    EXPECT_EQ(faults[i].start_ms, faults[i + 1].start_ms);
    EXPECT_NE(faults[i].target, faults[i + 1].target);
    EXPECT_TRUE(IsAcceptorFault(faults[i].kind));
  }
}

TEST(ChaosOutcomeTest, OnlyAPromiseOrAnUnsentRequestMakesAFailureNotApplied) {
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::OkStatus()), Outcome::kOk);
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::UnavailableError(
                "no quorum of acceptors: x; nothing was written, safe to retry [target t, attempt 4 of 4]")),
            Outcome::kNotApplied);
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::UnavailableError("failed to connect to all addresses; x")),
            Outcome::kNotApplied);
  // A connection lost mid-call: the change may have been applied.
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::UnavailableError("Socket closed [target t, attempt 1 of 4]")),
            Outcome::kUnknown);
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::DeadlineExceededError("Deadline Exceeded")), Outcome::kUnknown);
  EXPECT_EQ(ChaosOutcomeOfStatus(absl::AbortedError("outcome unknown")), Outcome::kUnknown);
}

// A hand-made run: client 0 writes, client 1 reads at the end (workload_clients = 1).
class ChaosVerdictTest : public ::testing::Test {
 protected:
  uint64_t Cas(const std::string& key, uint64_t expected, const std::string& value, int64_t from_ms,
               int64_t to_ms, bool ok = true) {
    v1::ChangeOp change;
    change.mutable_compare_and_set()->set_expected_version(expected);
    change.mutable_compare_and_set()->set_value(value);
    return Add(0, key, change, from_ms, to_ms, ok, value, expected + 1);
  }
  uint64_t FinalRead(const std::string& key, const std::string& value, uint64_t version, int64_t at_ms) {
    v1::ChangeOp change;
    change.mutable_read();
    const uint64_t id = Add(1, key, change, at_ms, at_ms + 1, true, value, version);
    run_.final_reads.push_back(id);
    return id;
  }
  uint64_t Add(int client, const std::string& key, const v1::ChangeOp& change, int64_t from_ms,
               int64_t to_ms, bool ok, const std::string& value, uint64_t version) {
    v1::QueryOp query;
    query.mutable_record();
    const uint64_t id = history_.Invoke(client, key, change, query, from_ms * 1000);
    v1::ChangeQueryResponse response;
    response.set_applied(true);
    response.mutable_result()->mutable_record()->set_value(value);
    response.mutable_result()->mutable_record()->set_version(version);
    history_.Complete(id, ok ? Outcome::kOk : Outcome::kNotApplied, ok ? response : v1::ChangeQueryResponse(),
                      ok ? "" : "UNAVAILABLE", to_ms * 1000);
    codes_.push_back(ok ? absl::StatusCode::kOk : absl::StatusCode::kUnavailable);
    return id;
  }
  Verdict Judge() {
    run_.workload_clients = 1;
    run_.bound_proposers = {-1};
    run_.proposers = 1;
    run_.workload_end_us = 10'000'000;
    run_.history = &history_;
    run_.codes = &codes_;
    return chaos::Judge(run_);
  }
  static bool Passed(const Verdict& v, const std::string& check_prefix) {
    for (const Check& c : v.checks) {
      if (c.name.rfind(check_prefix, 0) == 0) return c.passed;
    }
    ADD_FAILURE() << "no check named " << check_prefix;
    return false;
  }
  sim::History history_;
  std::vector<absl::StatusCode> codes_;
  RunRecord run_;
};

TEST_F(ChaosVerdictTest, CleanHistoryPassesEveryCheck) {
  Cas("k", 0, "1", 0, 10);
  Cas("k", 1, "2", 20, 30);
  FinalRead("k", "2", 2, 9000);
  const Verdict v = Judge();
  EXPECT_EQ(v.failed(), 0) << v.report;
  EXPECT_NE(v.json.find("\"acknowledged_writes_lost\":0"), std::string::npos) << v.json;
}

TEST_F(ChaosVerdictTest, AcknowledgedWriteMissingFromTheFinalReadIsLostAndNotLinearizable) {
  Cas("k", 0, "1", 0, 10);
  Cas("k", 1, "2", 20, 30);
  FinalRead("k", "1", 1, 9000);
  const Verdict v = Judge();
  EXPECT_FALSE(Passed(v, "no acknowledged write is lost")) << v.report;
  EXPECT_FALSE(Passed(v, "history is linearizable")) << v.report;
  EXPECT_NE(v.json.find("\"acknowledged_writes_lost\":1"), std::string::npos) << v.json;
  EXPECT_EQ(v.failed(), 2);
}

TEST_F(ChaosVerdictTest, SuccessWhileAMajorityIsDownFailsTheMajorityChecks) {
  run_.majority_down = true;
  for (int target : {0, 1}) {
    FaultRecord f;
    f.fault = {.kind = FaultKind::kRedisKill, .target = target, .group = 1};
    f.applied_us = 1'000'000;
    f.heal_started_us = 4'900'000;
    f.healed_us = 5'000'000;
    run_.faults.push_back(f);
  }
  Cas("k", 0, "1", 3000, 3010);  // after the settle time, before the heal: impossible
  Cas("k", 1, "2", 3100, 3200, /*ok=*/false);
  Cas("k", 1, "2", 6000, 6010);
  FinalRead("k", "2", 2, 9000);
  const Verdict v = Judge();
  EXPECT_FALSE(Passed(v, "no call succeeds while a majority is down")) << v.report;
  EXPECT_TRUE(Passed(v, "calls succeed again after the majority is back")) << v.report;
}

TEST_F(ChaosVerdictTest, WindowWithoutSuccessIsMeasuredFromTheFaultToTheNextSuccess) {
  FaultRecord f;
  f.fault = {.kind = FaultKind::kRedisPause, .target = 0};
  f.applied_us = 1'000'000;
  f.healed_us = 2'000'000;
  run_.faults.push_back(f);
  int64_t t = 0;
  uint64_t version = 0;
  // Successes every 10 ms except between 1000 ms and 1480 ms.
  for (; t < 3500; t += 10) {
    if (t > 1000 && t < 1480) continue;
    Cas("k", version, std::to_string(version + 1), t, t + 1);
    ++version;
  }
  FinalRead("k", std::to_string(version), version, 9000);
  const Verdict v = Judge();
  EXPECT_NE(v.json.find("\"redis_pause\":{\"events\":1,\"max_ms\":480.0,\"each_ms\":[480.0]}"), std::string::npos) << v.json;
}

}  // namespace
}  // namespace gryadka::chaos
