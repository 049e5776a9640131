// Keys under the prefix that are not Gryadka registers: the acceptor refuses them with
// kInvalidState and a message that says what was found and what to do; it leaves them untouched
// and keeps serving other keys.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "tests/acceptor/redis_acceptor_harness.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::Ballot;
using Status = core::AcceptorReply::Status;

TEST_F(RedisAcceptorTest, StringAtRegisterKeyIsInvalidStateAndOtherKeysStillWork) {
  ASSERT_EQ(Redis({"SET", "gryadka:foo", "bar"}).str, "OK");
  const AcceptorReply prepare = Call(PrepareRequest(NextId(), "foo", Ballot{1, 1}));
  EXPECT_EQ(prepare.status, Status::kInvalidState) << Show(prepare);
  EXPECT_EQ(prepare.error, "redis key 'gryadka:foo' on " + redis_->Describe() +
                               " holds a string, not a Gryadka register; delete it or change "
                               "--redis_prefix");
  const AcceptorReply accept = Call(AcceptRequest(NextId(), "foo", Ballot{2, 1}, "x"));
  EXPECT_EQ(accept.status, Status::kInvalidState) << Show(accept);
  EXPECT_EQ(Redis({"GET", "gryadka:foo"}).str, "bar");

  const AcceptorReply other = Call(PrepareRequest(NextId(), "other", Ballot{1, 1}));
  EXPECT_EQ(other.status, Status::kOk) << Show(other);
}

TEST_F(RedisAcceptorTest, ListAtRegisterKeyNamesItsType) {
  ASSERT_EQ(Redis({"RPUSH", "gryadka:lst", "a"}).integer, 1);
  const AcceptorReply r = Call(PrepareRequest(NextId(), "lst", Ballot{1, 1}));
  EXPECT_EQ(r.status, Status::kInvalidState) << Show(r);
  EXPECT_TRUE(absl::StrContains(r.error, "holds a list")) << r.error;
}

TEST_F(RedisAcceptorTest, HashWithGarbageBallotFieldsIsInvalidState) {
  ASSERT_EQ(Redis({"HSET", "gryadka:badp", "p", "garbage"}).integer, 1);
  // Upper-case hex is not Ballot::Encode() either.
  ASSERT_EQ(Redis({"HSET", "gryadka:bada", "a", "0000000000000001000000000000000A"}).integer, 1);
  const AcceptorReply p = Call(PrepareRequest(NextId(), "badp", Ballot{1, 1}));
  EXPECT_EQ(p.status, Status::kInvalidState) << Show(p);
  EXPECT_TRUE(absl::StrContains(p.error, "field 'p' is 'garbage'")) << p.error;
  const AcceptorReply a = Call(AcceptRequest(NextId(), "bada", Ballot{9, 1}, "x"));
  EXPECT_EQ(a.status, Status::kInvalidState) << Show(a);
  EXPECT_TRUE(absl::StrContains(a.error, "field 'a'")) << a.error;
  EXPECT_EQ(Redis({"HGET", "gryadka:badp", "p"}).str, "garbage");
}

TEST_F(RedisAcceptorTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key("k\0\xff ey", 6), value("\0\0v\xfe\0", 5);
  ASSERT_EQ(Call(AcceptRequest(NextId(), key, Ballot{1, 1}, value)).status, Status::kOk);
  const AcceptorReply r = Call(PrepareRequest(NextId(), key, Ballot{2, 1}));
  EXPECT_EQ(r.status, Status::kOk) << Show(r);
  EXPECT_EQ(r.value, value);
  EXPECT_EQ(Redis({"HGET", "gryadka:" + key, "v"}).str, value);
}

}  // namespace
}  // namespace gryadka::acceptor
