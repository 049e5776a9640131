#include "proposer/core/ops.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

using v1::ChangeOp;
using v1::QueryOp;
using v1::Record;

Record Rec(std::string value, uint64_t version) {
  Record r;
  r.set_value(std::move(value));
  r.set_version(version);
  return r;
}

QueryOp RecordQuery() {
  QueryOp q;
  q.mutable_record();
  return q;
}

ChangeOp Put(std::string v) {
  ChangeOp op;
  op.mutable_put()->set_value(std::move(v));
  return op;
}

TEST(OpsTest, ReadIsIdentityAndAlwaysApplied) {
  ChangeOp op;
  op.mutable_read();
  Record r = Rec("x", 3);
  auto out = ApplyChange(op, Limits{}, &r);
  EXPECT_TRUE(out.applied);
  EXPECT_FALSE(out.changed);
  EXPECT_EQ(r.value(), "x");
  EXPECT_EQ(r.version(), 3u);
}

TEST(OpsTest, PutBumpsVersion) {
  Record r;
  auto out = ApplyChange(Put("a"), Limits{}, &r);
  EXPECT_TRUE(out.applied && out.changed);
  EXPECT_EQ(r.version(), 1u);
  ApplyChange(Put("b"), Limits{}, &r);
  EXPECT_EQ(r.value(), "b");
  EXPECT_EQ(r.version(), 2u);
}

TEST(OpsTest, PutIfAbsentDeclinesWhenPresent) {
  ChangeOp op;
  op.mutable_put_if_absent()->set_value("v");
  Record r;
  EXPECT_TRUE(ApplyChange(op, Limits{}, &r).applied);
  EXPECT_EQ(r.version(), 1u);
  auto out = ApplyChange(op, Limits{}, &r);
  EXPECT_FALSE(out.applied);
  EXPECT_FALSE(out.changed);
  EXPECT_NE(out.decline_reason.find("present"), std::string::npos);
  EXPECT_EQ(r.version(), 1u);
}

TEST(OpsTest, CompareAndSetOnVersion) {
  ChangeOp op;
  op.mutable_compare_and_set()->set_expected_version(0);
  op.mutable_compare_and_set()->set_value("first");
  Record r;
  EXPECT_TRUE(ApplyChange(op, Limits{}, &r).applied);  // expected 0 = must be absent
  auto stale = ApplyChange(op, Limits{}, &r);
  EXPECT_FALSE(stale.applied);
  EXPECT_EQ(stale.decline_reason, "version is 1, expected 0");
  op.mutable_compare_and_set()->set_expected_version(1);
  op.mutable_compare_and_set()->set_value("second");
  EXPECT_TRUE(ApplyChange(op, Limits{}, &r).applied);
  EXPECT_EQ(r.value(), "second");
  EXPECT_EQ(r.version(), 2u);
}

TEST(OpsTest, IncrementTreatsAbsentAsZeroAndDeclinesNonIntegers) {
  ChangeOp op;
  op.mutable_increment()->set_delta(5);
  Record r;
  EXPECT_TRUE(ApplyChange(op, Limits{}, &r).applied);
  EXPECT_EQ(r.value(), "5");
  op.mutable_increment()->set_delta(-7);
  ApplyChange(op, Limits{}, &r);
  EXPECT_EQ(r.value(), "-2");
  EXPECT_EQ(r.version(), 2u);

  Record text = Rec("abc", 4);
  auto out = ApplyChange(op, Limits{}, &text);
  EXPECT_FALSE(out.applied);
  EXPECT_EQ(text.version(), 4u);
  EXPECT_NE(out.decline_reason.find("not a decimal int64"), std::string::npos);

  for (const char* bad : {"", "1.5", " 1", "1 ", "0x10", "99999999999999999999", "-"}) {
    Record b = Rec(bad, 1);
    EXPECT_FALSE(ApplyChange(op, Limits{}, &b).applied) << "'" << bad << "'";
  }
  Record plus = Rec("+3", 1);
  EXPECT_TRUE(ApplyChange(op, Limits{}, &plus).applied);
  EXPECT_EQ(plus.value(), "-4");
}

TEST(OpsTest, IncrementDeclinesOnOverflow) {
  ChangeOp op;
  op.mutable_increment()->set_delta(1);
  Record r = Rec("9223372036854775807", 1);
  auto out = ApplyChange(op, Limits{}, &r);
  EXPECT_FALSE(out.applied);
  EXPECT_NE(out.decline_reason.find("overflow"), std::string::npos);
}

TEST(OpsTest, AppendConcatenatesAndRespectsTheValueLimit) {
  ChangeOp op;
  op.mutable_append()->set_suffix("ab");
  Record r;
  ApplyChange(op, Limits{}, &r);
  ApplyChange(op, Limits{}, &r);
  EXPECT_EQ(r.value(), "abab");
  EXPECT_EQ(r.version(), 2u);
  Limits small;
  small.max_value_bytes = 5;
  auto out = ApplyChange(op, small, &r);
  EXPECT_FALSE(out.applied);
  EXPECT_EQ(r.value(), "abab");
}

TEST(OpsTest, DeleteMakesAbsentAndHonoursExpectedVersion) {
  ChangeOp op;
  op.mutable_delete_()->set_expected_version(2);
  Record r = Rec("v", 3);
  EXPECT_FALSE(ApplyChange(op, Limits{}, &r).applied);
  EXPECT_EQ(r.version(), 3u);
  op.mutable_delete_()->set_expected_version(3);
  auto out = ApplyChange(op, Limits{}, &r);
  EXPECT_TRUE(out.applied && out.changed);
  EXPECT_EQ(r.version(), 0u);
  EXPECT_EQ(r.value(), "");
  ChangeOp plain;
  plain.mutable_delete_();
  out = ApplyChange(plain, Limits{}, &r);  // deleting an absent key: applied, no change
  EXPECT_TRUE(out.applied);
  EXPECT_FALSE(out.changed);
}

TEST(OpsTest, QueriesProjectTheRecord) {
  Record r = Rec("v", 9);
  v1::QueryResult out;
  ApplyQuery(RecordQuery(), r, &out);
  EXPECT_EQ(out.record().value(), "v");
  QueryOp version;
  version.mutable_version();
  ApplyQuery(version, r, &out);
  EXPECT_EQ(out.version(), 9u);
  QueryOp none;
  none.mutable_none();
  ApplyQuery(none, r, &out);
  EXPECT_TRUE(out.has_none());
}

TEST(OpsTest, ValidationNamesTheProblem) {
  Limits limits;
  limits.max_key_bytes = 4;
  limits.max_value_bytes = 3;
  auto msg = [&](const std::string& key, const ChangeOp& c, const QueryOp& q) {
    absl::Status s = ValidateRequest(key, c, q, limits);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  };
  EXPECT_NE(msg("", Put("a"), RecordQuery()).find("key is empty"), std::string::npos);
  EXPECT_NE(msg("12345", Put("a"), RecordQuery()).find("key is 5 bytes"), std::string::npos);
  EXPECT_NE(msg("k", Put("abcd"), RecordQuery()).find("value is 4 bytes"), std::string::npos);
  EXPECT_NE(msg("k", ChangeOp(), RecordQuery()).find("change op is not set"), std::string::npos);
  EXPECT_NE(msg("k", Put("a"), QueryOp()).find("query op is not set"), std::string::npos);
  EXPECT_TRUE(ValidateRequest("k", Put("abc"), RecordQuery(), limits).ok());
}

TEST(OpsTest, UnknownOpNumberIsNamed) {
  // A newer client's op: field 42 of ChangeOp, encoded by hand (tag = 42<<3 | 2, empty message).
  ChangeOp op;
  ASSERT_TRUE(op.ParseFromString(std::string("\xd2\x02\x00", 3)));
  absl::Status s = ValidateRequest("k", op, RecordQuery(), Limits{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("change op number 42 is unknown"), std::string::npos) << s;
}

// Found by tests/fuzz/ops_fuzz: with --max_value_bytes below 20, an increment wrote a value
// longer than the limit (e.g. "-12" - 5 = "-17" with a 2-byte limit).
TEST(OpsTest, IncrementDeclinesWhenTheResultWouldExceedTheValueLimit) {
  ChangeOp op;
  op.mutable_increment()->set_delta(-5);
  Limits small;
  small.max_value_bytes = 2;
  Record r = Rec("-12", 1);
  auto out = ApplyChange(op, small, &r);
  EXPECT_FALSE(out.applied);
  EXPECT_NE(out.decline_reason.find("over the limit of 2 bytes"), std::string::npos) << out.decline_reason;
  EXPECT_EQ(r.value(), "-12");
  EXPECT_EQ(r.version(), 1u);
  Record fits = Rec("-1", 1);
  op.mutable_increment()->set_delta(9);
  EXPECT_TRUE(ApplyChange(op, small, &fits).applied);
  EXPECT_EQ(fits.value(), "8");
}

// std::from_chars accepts a leading '-', so after skipping '+' the parser took "+-5" as -5.
TEST(OpsTest, IncrementDeclinesAPlusSignFollowedByAMinusSign) {
  ChangeOp op;
  op.mutable_increment()->set_delta(1);
  for (const char* bad : {"+-5", "++5", "-+5", "+"}) {
    Record r = Rec(bad, 1);
    EXPECT_FALSE(ApplyChange(op, Limits{}, &r).applied) << "'" << bad << "'";
    EXPECT_EQ(r.value(), bad);
  }
}

}  // namespace
}  // namespace gryadka::core

namespace gryadka::core {
namespace {

TEST(OpsTest, ChangeAtTheLargestVersionDeclinesInsteadOfWrappingToAbsent) {
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const Limits limits;
  std::vector<ChangeOp> keeping(3);
  keeping[0].mutable_put()->set_value("new");
  keeping[1].mutable_increment()->set_delta(1);
  keeping[2].mutable_append()->set_suffix("x");
  for (const ChangeOp& op : keeping) {
    Record r = Rec("7", kMax);
    const ChangeOutcome out = ApplyChange(op, limits, &r);
    EXPECT_FALSE(out.applied) << ChangeOpName(op);
    EXPECT_NE(out.decline_reason.find("largest uint64"), std::string::npos) << out.decline_reason;
    EXPECT_EQ(r.version(), kMax);
    EXPECT_EQ(r.value(), "7");
  }
  ChangeOp del;
  del.mutable_delete_();
  Record r = Rec("7", kMax);
  EXPECT_TRUE(ApplyChange(del, limits, &r).applied);
  EXPECT_EQ(r.version(), 0u);
}

}  // namespace
}  // namespace gryadka::core
