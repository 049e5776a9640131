#include "client/shared/sync_redis.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gryadka::process {
namespace {

timeval ToTimeval(int64_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

RedisValue Decode(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STRING: v.type = RedisValue::Type::kString; break;
    case REDIS_REPLY_STATUS: v.type = RedisValue::Type::kStatus; break;
    case REDIS_REPLY_ERROR: v.type = RedisValue::Type::kError; break;
    case REDIS_REPLY_INTEGER: v.type = RedisValue::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: v.type = RedisValue::Type::kArray; break;
    default: v.type = RedisValue::Type::kNil; break;
  }
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS ||
      r.type == REDIS_REPLY_ERROR) {
    v.str.assign(r.str, r.len);
  }
  v.integer = r.integer;
  for (size_t i = 0; r.type == REDIS_REPLY_ARRAY && i < r.elements; ++i) {
    v.elements.push_back(Decode(*r.element[i]));
  }
  return v;
}

}  // namespace

std::string RedisValue::DebugString() const {
  switch (type) {
    case Type::kNil: return "(nil)";
    case Type::kInteger: return absl::StrCat(integer);
    case Type::kError: return absl::StrCat("(error) ", str);
    case Type::kArray: {
      std::vector<std::string> parts;
      for (const RedisValue& e : elements) parts.push_back(e.DebugString());
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
    default: return absl::CHexEscape(str);
  }
}

absl::StatusOr<SyncRedis> SyncRedis::Connect(const std::string& host, int port,
                                             int64_t timeout_ms) {
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, ToTimeval(timeout_ms));
  if (ctx == nullptr || ctx->err != 0) {
    const std::string why = ctx == nullptr ? "out of memory" : ctx->errstr;
    if (ctx != nullptr) redisFree(ctx);
    return absl::UnavailableError(absl::StrCat("cannot connect to redis ", host, ":", port, ": ",
                                               why));
  }
  if (redisSetTimeout(ctx, ToTimeval(timeout_ms)) != REDIS_OK) {
    redisFree(ctx);
    return absl::InternalError("redisSetTimeout failed");
  }
  return SyncRedis(ctx);
}

SyncRedis::SyncRedis(SyncRedis&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

SyncRedis& SyncRedis::operator=(SyncRedis&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

SyncRedis::~SyncRedis() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

absl::StatusOr<RedisValue> SyncRedis::Command(const std::vector<std::string>& argv) {
  if (ctx_ == nullptr) return absl::FailedPreconditionError("SyncRedis is not connected");
  if (ctx_->err != 0) {
    return absl::UnavailableError(absl::StrCat("connection is broken: ", ctx_->errstr));
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data());
  if (raw == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis command ",
                                               argv.empty() ? "" : argv[0], " failed: ",
                                               ctx_->errstr));
  }
  RedisValue v = Decode(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return v;
}

absl::StatusOr<RedisValue> RunRedisCommand(int port, const std::vector<std::string>& argv,
                                           int64_t timeout_ms) {
  absl::StatusOr<SyncRedis> redis = SyncRedis::Connect("127.0.0.1", port, timeout_ms);
  if (!redis.ok()) return redis.status();
  return redis->Command(argv);
}

int64_t ProcessIdFromInfo(const std::string& info) {
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    if (absl::ConsumePrefix(&line, "process_id:")) {
      int64_t pid = -1;
      return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &pid) ? pid : -1;
    }
  }
  return -1;
}

}  // namespace gryadka::process
