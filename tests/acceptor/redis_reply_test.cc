// Redis script replies from raw RESP bytes through hiredis's reader (bounded as the acceptor
// bounds it) into AcceptorReply (acceptor_adapter/redis_reply.h). No Redis server needed.
#include "acceptor_adapter/redis_reply.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;

struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// The first reply in `resp` from a bounded reader; null with *error set if the reader failed.
ReplyPtr Read(const std::string& resp, std::string* error = nullptr) {
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  BoundReplyArrays(reader.get());
  EXPECT_EQ(redisReaderFeed(reader.get(), resp.data(), resp.size()), REDIS_OK);
  void* reply = nullptr;
  if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK) {
    if (error != nullptr) *error = reader->errstr;
    return nullptr;
  }
  return ReplyPtr(static_cast<redisReply*>(reply));
}

std::string Ints(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += ":1\r\n";
  return s;
}

// hiredis allocates an array's element table from the announced length before any element
// arrives: "*1000000000" alone made the proposer allocate 8 GB. Found by review while writing
// tests/fuzz/redis_reply_fuzz, which checks the bound on every array it reads.
TEST(RedisReplyTest, AHugeArrayHeaderFailsTheReaderInsteadOfAllocating) {
  std::string error;
  EXPECT_EQ(Read("*1000000000\r\n", &error), nullptr);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(Read("*" + std::to_string(kReplyArrayElementsMax + 1) + "\r\n", &error), nullptr);
  ReplyPtr largest = Read("*" + std::to_string(kReplyArrayElementsMax) + "\r\n" +
                          Ints(kReplyArrayElementsMax));
  ASSERT_NE(largest, nullptr);
  EXPECT_EQ(largest->elements, kReplyArrayElementsMax);
}

TEST(RedisReplyTest, ANestedArrayLongerThanAScriptReplyFailsTheReader) {
  const size_t n = kNestedReplyArrayElementsMax;
  EXPECT_EQ(Read("*1\r\n*" + std::to_string(n + 1) + "\r\n" + Ints(n + 1)), nullptr);
  ReplyPtr ok = Read("*1\r\n*" + std::to_string(n) + "\r\n" + Ints(n));
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->element[0]->elements, n);
}

TEST(RedisReplyTest, ALongRedisErrorIsQuotedOnlyInPart) {
  ReplyPtr reply = Read("-ERR " + std::string(100000, 'x') + "\r\n");
  ASSERT_NE(reply, nullptr);
  AcceptorReply out;
  ParseScriptReply(*reply, ScriptCallContext{AcceptorRequest::Kind::kPrepare, "gryadka:k", "redis a"},
                   &out);
  EXPECT_EQ(out.status, AcceptorReply::Status::kError);
  EXPECT_LT(out.error.size(), kRedisErrorBytesMax + 200);
  EXPECT_NE(out.error.find("ERR xxx"), std::string::npos) << out.error;
  EXPECT_EQ(out.error.substr(out.error.size() - 3), "...");
}

TEST(RedisReplyTest, ABatchReplySplitsPerCallOnlyWhenItHasOneElementPerCall) {
  ReplyPtr reply = Read("*2\r\n*1\r\n$2\r\nok\r\n-ERR oops\r\n");
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(&BatchCallReply(*reply, 2, 0), reply->element[0]);
  EXPECT_EQ(&BatchCallReply(*reply, 2, 1), reply->element[1]);
  EXPECT_EQ(&BatchCallReply(*reply, 3, 1), reply.get());
  ReplyPtr error = Read("-ERR script failed\r\n");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(&BatchCallReply(*error, 2, 1), error.get());
}

AcceptorReply ParsePrepare(const std::string& resp) {
  ReplyPtr reply = Read(resp);
  AcceptorReply out;
  EXPECT_NE(reply, nullptr);
  if (reply == nullptr) return out;
  ParseScriptReply(*reply,
                   ScriptCallContext{AcceptorRequest::Kind::kPrepare, "gryadka:k", "redis a"}, &out);
  return out;
}

TEST(RedisReplyTest, AFencedReplyCarriesTheMinimumEpochAndTheStoredConfig) {
  constexpr char kResp[] = "*3\r\n$6\r\nfenced\r\n$16\r\n00000000000000ff\r\n$3\r\nc\0d\r\n";
  const AcceptorReply out = ParsePrepare(std::string(kResp, sizeof(kResp) - 1));  // with the NUL
  EXPECT_EQ(out.status, AcceptorReply::Status::kFenced) << out.error;
  EXPECT_EQ(out.fence_epoch, 255u);
  EXPECT_EQ(out.fence_config, std::string("c\0d", 3));
  const AcceptorReply empty =
      ParsePrepare("*3\r\n$6\r\nfenced\r\n$16\r\nffffffffffffffff\r\n$0\r\n\r\n");
  EXPECT_EQ(empty.status, AcceptorReply::Status::kFenced) << empty.error;
  EXPECT_EQ(empty.fence_epoch, ~uint64_t{0});
  EXPECT_EQ(empty.fence_config, "");
}

TEST(RedisReplyTest, AFencedReplyWithAMalformedEpochOrShapeIsAnErrorNamingTheAcceptor) {
  for (const std::string resp :
       {"*3\r\n$6\r\nfenced\r\n$16\r\n00000000000000FF\r\n$0\r\n\r\n",  // upper case
        "*3\r\n$6\r\nfenced\r\n$2\r\nff\r\n$0\r\n\r\n",                  // too short
        "*2\r\n$6\r\nfenced\r\n$16\r\n0000000000000001\r\n",               // no config
        "*3\r\n$6\r\nfenced\r\n:1\r\n$0\r\n\r\n"}) {                        // integer
    const AcceptorReply out = ParsePrepare(resp);
    EXPECT_EQ(out.status, AcceptorReply::Status::kError) << resp;
    EXPECT_NE(out.error.find("malformed script reply from redis a"), std::string::npos)
        << out.error;
    EXPECT_EQ(out.fence_epoch, 0u);
    EXPECT_EQ(out.fence_config, "");
  }
}

TEST(RedisReplyTest, EpochsEncodeAsSixteenLowercaseHexDigitsAndDecodeOnlyThat) {
  EXPECT_EQ(EncodeEpoch(0), "0000000000000000");
  EXPECT_EQ(EncodeEpoch(0x1234567890abcdefULL), "1234567890abcdef");
  EXPECT_EQ(EncodeEpoch(~uint64_t{0}), "ffffffffffffffff");
  for (uint64_t e : {uint64_t{0}, uint64_t{1}, uint64_t{0xabc}, ~uint64_t{0}}) {
    EXPECT_EQ(DecodeEpoch(EncodeEpoch(e)), e);
  }
  EXPECT_LT(EncodeEpoch(9), EncodeEpoch(10));  // byte order = numeric order
  for (const char* bad : {"", "123", "000000000000000g", "00000000000000000", " 000000000000001"}) {
    EXPECT_EQ(DecodeEpoch(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace gryadka::acceptor
