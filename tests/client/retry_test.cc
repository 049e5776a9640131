// The retry rule (which codes, for which calls) and the backoff bounds.
#include "client/retry.h"

#include "gtest/gtest.h"

namespace gryadka::client {
namespace {

TEST(IsRetryable, NothingWrittenAlwaysOutcomeUnknownOnlyForReads) {
  using C = absl::StatusCode;
  struct Row {
    C code;
    bool read;
    bool change;
  };
  const Row table[] = {
      {C::kUnavailable, true, true},        {C::kDeadlineExceeded, true, false},
      {C::kAborted, true, false},           {C::kInvalidArgument, false, false},
      {C::kFailedPrecondition, false, false}, {C::kResourceExhausted, false, false},
      {C::kInternal, false, false},         {C::kUnknown, false, false},
      {C::kCancelled, false, false},        {C::kNotFound, false, false},
  };
  for (const Row& row : table) {
    EXPECT_EQ(IsRetryable(row.code, CallKind::kRead, true), row.read) << row.code;
    EXPECT_EQ(IsRetryable(row.code, CallKind::kChange, true), row.change) << row.code;
  }
  // An UNAVAILABLE that may have come after the request left: reads only.
  EXPECT_TRUE(IsRetryable(C::kUnavailable, CallKind::kRead, false));
  EXPECT_FALSE(IsRetryable(C::kUnavailable, CallKind::kChange, false));
}

TEST(BackoffMs, DoublesUpToTheMaxWithEqualJitter) {
  for (uint64_t random : {uint64_t{0}, uint64_t{1}, uint64_t{12345}, ~uint64_t{0}}) {
    for (int retry = 0; retry < 40; ++retry) {
      int64_t cap = 20;
      for (int i = 0; i < retry && cap < 1000; ++i) cap *= 2;
      cap = std::min<int64_t>(cap, 1000);
      const int64_t ms = BackoffMs(retry, 20, 1000, random);
      EXPECT_GE(ms, cap / 2) << "retry " << retry;
      EXPECT_LE(ms, cap) << "retry " << retry;
    }
  }
}

TEST(Jitter, VariesAndDiffersBySeed) {
  Jitter a(1), b(2);
  const uint64_t a1 = a.Next();
  EXPECT_NE(a1, a.Next());
  EXPECT_NE(a1, b.Next());
}

}  // namespace
}  // namespace gryadka::client
