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

}  // namespace
}  // namespace gryadka::acceptor
