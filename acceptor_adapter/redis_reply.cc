#include "acceptor_adapter/redis_reply.h"

#include <hiredis/hiredis.h>

#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;

constexpr size_t kQuotedBytesMax = 64;  // longest stored content quoted in a message

// This Abseil build has its own string_view type (ABSL_USES_STD_STRING_VIEW is off).
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Quote(std::string_view bytes) {
  const bool cut = bytes.size() > kQuotedBytesMax;
  return absl::StrCat("'", absl::CHexEscape(Av(bytes.substr(0, kQuotedBytesMax))), cut ? "...'" : "'");
}

std::optional<std::string_view> StringAt(const redisReply& reply, size_t i) {
  if (i >= reply.elements) return std::nullopt;
  const redisReply* e = reply.element[i];
  if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) return std::nullopt;
  return std::string_view(e->str, e->len);
}

std::string DescribeShape(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_ARRAY: return absl::StrCat("an array of ", reply.elements);
    case REDIS_REPLY_INTEGER: return absl::StrCat("integer ", reply.integer);
    case REDIS_REPLY_NIL: return "nil";
    default: return absl::StrCat("string ", Quote(std::string_view(reply.str, reply.len)));
  }
}

void SetError(std::string message, AcceptorReply* out) {
  out->status = AcceptorReply::Status::kError;
  out->error = std::move(message);
}

void SetMalformed(const redisReply& reply, const ScriptCallContext& ctx, AcceptorReply* out) {
  SetError(absl::StrCat("malformed script reply from ", Av(ctx.acceptor), " for key ",
                        Quote(ctx.redis_key), ": ", DescribeShape(reply)),
           out);
}

void SetInvalid(std::string_view what, std::string_view found, const ScriptCallContext& ctx,
                AcceptorReply* out) {
  out->status = AcceptorReply::Status::kInvalidState;
  const std::string where = absl::StrCat("redis key ", Quote(ctx.redis_key), " on ", Av(ctx.acceptor));
  const std::string fix = "delete it or change --redis_prefix";
  if (what == "type") {
    out->error = absl::StrCat(where, " holds a ", Av(found), ", not a Gryadka register; ", fix);
  } else {
    out->error = absl::StrCat(where, " is a hash whose field '", Av(what), "' is ", Quote(found),
                              ", not a 32-hex-digit ballot: not a Gryadka register; ", fix);
  }
}

// Sets out->ballot from element i; false if it is missing or not an encoded ballot.
bool BallotAt(const redisReply& reply, size_t i, AcceptorReply* out) {
  const std::optional<std::string_view> s = StringAt(reply, i);
  if (!s) return false;
  const std::optional<Ballot> b = Ballot::Decode(*s);
  if (!b) return false;
  out->ballot = *b;
  return true;
}

// {'ok'} for accept, {'ok', accepted, value} for prepare.
bool ParseOk(const redisReply& reply, const ScriptCallContext& ctx, AcceptorReply* out) {
  out->status = AcceptorReply::Status::kOk;
  if (ctx.kind == AcceptorRequest::Kind::kAccept) return reply.elements == 1;
  const std::optional<std::string_view> value = StringAt(reply, 2);
  if (reply.elements != 3 || !value || !BallotAt(reply, 1, out)) return false;
  out->value.assign(value->data(), value->size());
  return true;
}

// {'fenced', e, c}: e = the acceptor's minimum epoch, c = the configuration stored with it.
bool ParseFenced(const redisReply& reply, AcceptorReply* out) {
  out->status = AcceptorReply::Status::kFenced;
  const std::optional<std::string_view> e = StringAt(reply, 1), c = StringAt(reply, 2);
  const std::optional<uint64_t> epoch = e ? DecodeEpoch(*e) : std::nullopt;
  if (reply.elements != 3 || !epoch || !c) return false;
  out->fence_epoch = *epoch;
  out->fence_config.assign(c->data(), c->size());
  return true;
}

// The default reply object functions of hiredis (the reader's own, not exported).
const redisReplyObjectFunctions& DefaultReplyFunctions() {
  static const redisReplyObjectFunctions defaults = [] {
    redisReader* r = redisReaderCreate();
    const redisReplyObjectFunctions fn = *r->fn;
    redisReaderFree(r);
    return fn;
  }();
  return defaults;
}

// hiredis's createArray, refusing arrays longer than kTopMax (top level) or kNestedMax (nested).
template <size_t kTopMax, size_t kNestedMax>
void* CreateBoundedArray(const redisReadTask* task, int elements) {
  const size_t max = task->parent == nullptr ? kTopMax : kNestedMax;
  if (elements > 0 && static_cast<size_t>(elements) > max) return nullptr;
  return DefaultReplyFunctions().createArray(task, elements);
}

template <size_t kTopMax, size_t kNestedMax>
redisReplyObjectFunctions* BoundedReplyFunctions() {
  static redisReplyObjectFunctions bounded = [] {
    redisReplyObjectFunctions fn = DefaultReplyFunctions();
    fn.createArray = &CreateBoundedArray<kTopMax, kNestedMax>;
    return fn;
  }();
  return &bounded;
}

}  // namespace

std::string EncodeEpoch(uint64_t epoch) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(kEpochHexDigits, '0');
  for (size_t i = kEpochHexDigits; i-- > 0; epoch >>= 4) hex[i] = kDigits[epoch & 0xf];
  return hex;
}

std::optional<uint64_t> DecodeEpoch(std::string_view hex) {
  if (hex.size() != kEpochHexDigits) return std::nullopt;
  uint64_t epoch = 0;
  for (const char ch : hex) {
    int digit = 0;
    if (ch >= '0' && ch <= '9') {
      digit = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      digit = ch - 'a' + 10;
    } else {
      return std::nullopt;
    }
    epoch = (epoch << 4) | static_cast<uint64_t>(digit);
  }
  return epoch;
}

void BoundReplyArrays(redisReader* reader) {
  reader->fn = BoundedReplyFunctions<kReplyArrayElementsMax, kNestedReplyArrayElementsMax>();
}

void BoundScanReplyArrays(redisReader* reader) {
  reader->fn = BoundedReplyFunctions<kScanReplyTopElementsMax, kScanReplyNestedElementsMax>();
}

const redisReply& BatchCallReply(const redisReply& reply, size_t calls, size_t i) {
  const bool per_call = reply.type == REDIS_REPLY_ARRAY && reply.elements == calls;
  return per_call ? *reply.element[i] : reply;
}

bool IsNoScriptError(const redisReply& reply) {
  return reply.type == REDIS_REPLY_ERROR &&
         absl::StartsWith(absl::string_view(reply.str, reply.len), "NOSCRIPT");
}

void ParseScriptReply(const redisReply& reply, const ScriptCallContext& ctx, AcceptorReply* out) {
  if (reply.type == REDIS_REPLY_ERROR) {
    const bool cut = reply.len > kRedisErrorBytesMax;
    SetError(absl::StrCat(Av(ctx.acceptor), " failed the script call for key ",
                          Quote(ctx.redis_key), ": ",
                          absl::string_view(reply.str, cut ? kRedisErrorBytesMax : reply.len),
                          cut ? "..." : ""),
             out);
    return;
  }
  const std::optional<std::string_view> tag =
      reply.type == REDIS_REPLY_ARRAY ? StringAt(reply, 0) : std::nullopt;
  bool well_formed = false;
  if (tag == "ok") {
    well_formed = ParseOk(reply, ctx, out);
  } else if (tag == "conflict") {
    out->status = AcceptorReply::Status::kConflict;
    well_formed = reply.elements == 2 && BallotAt(reply, 1, out);
  } else if (tag == "fenced") {
    well_formed = ParseFenced(reply, out);
  } else if (tag == "invalid") {
    const std::optional<std::string_view> what = StringAt(reply, 1), found = StringAt(reply, 2);
    well_formed = reply.elements == 3 && what && found;
    if (well_formed) SetInvalid(*what, *found, ctx, out);
  }
  if (!well_formed) {
    out->ballot = Ballot{};
    out->value.clear();
    out->fence_epoch = 0;
    out->fence_config.clear();
    SetMalformed(reply, ctx, out);
  }
}

}  // namespace gryadka::acceptor
