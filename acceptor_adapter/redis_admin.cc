#include "acceptor_adapter/redis_admin.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_reply.h"
#include "acceptor_adapter/redis_scripts.h"

namespace gryadka::acceptor {
namespace {

static_assert(kScanReplyKeysMax == kScanReplyNestedElementsMax,
              "the reader's bound on a SCAN reply is the one Scan documents");
constexpr size_t kCursorDigitsMax = 20;   // a 64-bit unsigned cursor in decimal
constexpr size_t kQuotedBytesMax = 64;    // longest unexpected reply content quoted

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

timeval ToTimeval(int64_t ms) {
  ms = std::max<int64_t>(ms, 1);
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

std::optional<std::string_view> StringOf(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) {
    return std::nullopt;
  }
  return std::string_view(r->str, r->len);
}

std::string Quote(std::string_view bytes) {
  const bool cut = bytes.size() > kQuotedBytesMax;
  return absl::StrCat("'", absl::CHexEscape(Av(bytes.substr(0, kQuotedBytesMax))),
                      cut ? "...'" : "'");
}

std::string DescribeReply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_ARRAY: return absl::StrCat("an array of ", r.elements);
    case REDIS_REPLY_INTEGER: return absl::StrCat("integer ", r.integer);
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_ERROR: {
      const bool cut = r.len > kRedisErrorBytesMax;
      return absl::StrCat("error '", absl::string_view(r.str, cut ? kRedisErrorBytesMax : r.len),
                          cut ? "...'" : "'");
    }
    default: return absl::StrCat("string ", Quote(std::string_view(r.str, r.len)));
  }
}

// Error replies of a server that is up but not serving yet (AOF replay, a long script): retrying
// later can succeed, so they are UNAVAILABLE, not INTERNAL.
bool IsTransientError(const redisReply& r) {
  if (r.type != REDIS_REPLY_ERROR) return false;
  const std::string_view s(r.str, r.len);
  for (const std::string_view prefix : {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"}) {
    if (s.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// INTERNAL, or UNAVAILABLE for a transient error reply.
absl::Status ReplyError(const redisReply& r, std::string message) {
  return IsTransientError(r) ? absl::UnavailableError(std::move(message))
                             : absl::InternalError(std::move(message));
}

bool IsDecimalCursor(const std::string& cursor) {
  return !cursor.empty() && cursor.size() <= kCursorDigitsMax &&
         std::all_of(cursor.begin(), cursor.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

std::string ScanPatternForPrefix(const std::string& key_prefix) {
  std::string pattern;
  pattern.reserve(key_prefix.size() * 2 + 1);
  for (const char c : key_prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('*');
  return pattern;
}

RedisAdminConnection::RedisAdminConnection(std::string host, int port, int64_t timeout_ms,
                                           std::string key_prefix,
                                           RedisCredentialSource credentials)
    : host_(std::move(host)),
      port_(port),
      timeout_ms_(timeout_ms),
      key_prefix_(std::move(key_prefix)),
      describe_(absl::StrCat("redis ", host_, ":", port_)),
      credentials_(std::move(credentials)) {}

RedisAdminConnection::~RedisAdminConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

absl::StatusOr<std::unique_ptr<RedisAdminConnection>> RedisAdminConnection::Connect(
    const std::string& host, int port, int64_t timeout_ms, std::string key_prefix,
    RedisCredentialSource credentials) {
  if (timeout_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("redis ", host, ":", port,
                                                   ": timeout_ms must be > 0, got ", timeout_ms));
  }
  std::unique_ptr<RedisAdminConnection> conn(
      new RedisAdminConnection(host, port, timeout_ms, std::move(key_prefix),
                               std::move(credentials)));
  if (absl::Status s = conn->EnsureConnected(); !s.ok()) return s;
  return conn;
}

std::string RedisAdminConnection::Describe() const { return describe_; }

absl::Status RedisAdminConnection::EnsureConnected() {
  if (ctx_ != nullptr && ctx_->err == 0) return absl::OkStatus();
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(timeout_ms_));
  if (ctx_ == nullptr || ctx_->err != 0) {
    const std::string why = ctx_ == nullptr ? "cannot allocate a hiredis context" : ctx_->errstr;
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
    return absl::UnavailableError(absl::StrCat("cannot connect to ", describe_, " within ",
                                               timeout_ms_, " ms: ", why));
  }
  if (redisSetTimeout(ctx_, ToTimeval(timeout_ms_)) != REDIS_OK) {
    redisFree(ctx_);
    ctx_ = nullptr;
    return absl::UnavailableError(absl::StrCat(describe_, ": cannot set the socket timeout"));
  }
  BoundScanReplyArrays(ctx_->reader);
  if (absl::Status s = Authenticate(); !s.ok()) {
    if (ctx_ != nullptr) redisFree(ctx_);  // authenticate again on the next command
    ctx_ = nullptr;
    return s;
  }
  absl::StatusOr<void*> pong = Command({"PING"}, "PING");
  if (!pong.ok()) return pong.status();
  ReplyPtr reply(static_cast<redisReply*>(*pong));
  if (StringOf(reply.get()) != "PONG") {
    redisFree(ctx_);  // PING again on the next command (e.g. after LOADING)
    ctx_ = nullptr;
    return ReplyError(*reply, absl::StrCat(describe_, ": unexpected answer to PING: ",
                                           DescribeReply(*reply)));
  }
  return absl::OkStatus();
}

absl::Status RedisAdminConnection::Authenticate() {
  absl::StatusOr<std::optional<RedisCredentials>> credentials = credentials_.Load();
  if (!credentials.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(describe_, ": ", credentials.status().message()));
  }
  if (!*credentials) return absl::OkStatus();
  absl::StatusOr<void*> r = Command(AuthArgv(**credentials), "AUTH");
  if (!r.ok()) return r.status();
  ReplyPtr reply(static_cast<redisReply*>(*r));
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::UnauthenticatedError(absl::StrCat(
        describe_, ": authentication failed: ", RedisAuthErrorText(reply->str, reply->len)));
  }
  return absl::OkStatus();
}

absl::StatusOr<void*> RedisAdminConnection::Command(const std::vector<std::string>& argv,
                                                    const char* what) {
  if (ctx_ == nullptr || ctx_->err != 0) {
    if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  }
  std::vector<const char*> args(argv.size());
  std::vector<size_t> lens(argv.size());
  for (size_t i = 0; i < argv.size(); ++i) {
    args[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  errno = 0;
  void* reply = redisCommandArgv(ctx_, static_cast<int>(argv.size()), args.data(), lens.data());
  if (reply == nullptr) {
    const bool timed_out = ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    const bool too_long = ctx_->err == REDIS_ERR_OOM;  // an array above the bounds above
    const std::string why = timed_out ? absl::StrCat("no answer within ", timeout_ms_,
                                                     " ms (server paused or overloaded?)")
                                      : std::string(ctx_->errstr);
    // The connection is unusable now (a late reply would be taken for the next command's).
    redisFree(ctx_);
    ctx_ = nullptr;
    if (too_long) {
      return absl::InternalError(absl::StrCat(describe_, ": ", what,
                                              ": reply longer than the bound: ", why));
    }
    return absl::UnavailableError(absl::StrCat(describe_, ": ", what, " failed: ", why));
  }
  return reply;
}

absl::StatusOr<FenceState> RedisAdminConnection::RunFenceScript(uint64_t epoch,
                                                                const std::string& config) {
  absl::StatusOr<void*> r = Command(
      {"EVAL", std::string(FenceScript()), "1", key_prefix_, EncodeEpoch(epoch), config},
      "fence script");
  if (!r.ok()) return r.status();
  ReplyPtr reply(static_cast<redisReply*>(*r));
  const auto fail = [&](std::string_view why) {
    return ReplyError(*reply, absl::StrCat(describe_, ": fence script on meta key ",
                                           Quote(key_prefix_), ": ", Av(why)));
  };
  if (reply->type == REDIS_REPLY_ERROR) return fail(DescribeReply(*reply));
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
    return fail(absl::StrCat("unexpected reply ", DescribeReply(*reply)));
  }
  const std::optional<std::string_view> e = StringOf(reply->element[0]);
  const std::optional<std::string_view> c = StringOf(reply->element[1]);
  const std::optional<uint64_t> min_epoch = e ? DecodeEpoch(*e) : std::nullopt;
  if (!min_epoch || !c) return fail(absl::StrCat("unexpected reply ", DescribeReply(*reply)));
  return FenceState{.min_epoch = *min_epoch, .config = std::string(*c)};
}

absl::StatusOr<FenceState> RedisAdminConnection::Fence(uint64_t epoch, const std::string& config) {
  return RunFenceScript(epoch, config);
}

absl::StatusOr<FenceState> RedisAdminConnection::ReadFence() { return RunFenceScript(0, ""); }

absl::StatusOr<ScanPage> RedisAdminConnection::Scan(const std::string& cursor, int count_hint) {
  if (!IsDecimalCursor(cursor)) {
    return absl::InvalidArgumentError(absl::StrCat(
        describe_, ": scan cursor must be a decimal number (\"0\" to start), got ",
        Quote(cursor)));
  }
  const int count = std::clamp(count_hint, 1, kScanCountMax);
  absl::StatusOr<void*> r =
      Command({"SCAN", cursor, "MATCH", ScanPatternForPrefix(key_prefix_), "COUNT",
               absl::StrCat(count), "TYPE", "hash"},
              "SCAN");
  if (!r.ok()) return r.status();
  ReplyPtr reply(static_cast<redisReply*>(*r));
  const auto fail = [&]() {
    return ReplyError(*reply,
                      absl::StrCat(describe_, ": unexpected SCAN reply: ", DescribeReply(*reply)));
  };
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return fail();
  const std::optional<std::string_view> next = StringOf(reply->element[0]);
  const redisReply* keys = reply->element[1];
  if (!next || keys->type != REDIS_REPLY_ARRAY) return fail();
  ScanPage page;
  page.next_cursor = std::string(*next);
  if (!IsDecimalCursor(page.next_cursor)) return fail();
  page.keys.reserve(keys->elements);
  for (size_t i = 0; i < keys->elements; ++i) {
    const std::optional<std::string_view> key = StringOf(keys->element[i]);
    if (!key) return fail();
    // MATCH guarantees the prefix; the meta key is the prefix itself.
    if (key->size() <= key_prefix_.size() || key->substr(0, key_prefix_.size()) != key_prefix_) {
      continue;
    }
    page.keys.emplace_back(key->substr(key_prefix_.size()));
  }
  return page;
}

}  // namespace gryadka::acceptor
