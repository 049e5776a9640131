// Fuzz target: Redis script replies, the real path — raw RESP bytes -> hiredis's reader (with
// the acceptor's BoundReplyArrays) -> BatchCallReply / ParseScriptReply (acceptor_adapter/
// redis_reply.h). Input: raw RESP bytes (malformed, truncated and wrongly typed replies all come
// from the fuzzer).
// Properties: the reader never builds arrays past the bounds; a reply maps to kOk / kConflict /
// kInvalidState / kFenced only when it has exactly the shape the scripts answer (and the ballot,
// value, fence epoch and config are the reply's own bytes), to kError otherwise, with a bounded
// message naming the acceptor and no ballot, value or fence; NOSCRIPT is an error; a batch reply splits per call only when its length
// matches the batch.
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "acceptor_adapter/redis_reply.h"
#include "tests/fuzz/fuzz_check.h"

namespace gryadka::fuzz {
namespace {

using acceptor::ScriptCallContext;
using core::AcceptorReply;
using core::AcceptorRequest;

constexpr std::string_view kAcceptor = "redis 127.0.0.1:6379";
constexpr std::string_view kKey = "gryadka:k";
constexpr size_t kMessageBytesMax = 1200;  // fixed words + quoted key + quoted reply bytes

std::string_view Str(const redisReply& r) { return std::string_view(r.str, r.len); }

bool IsText(const redisReply& r) { return r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS; }

bool TextAt(const redisReply& r, size_t i, std::string_view* out) {
  if (r.type != REDIS_REPLY_ARRAY || i >= r.elements || !IsText(*r.element[i])) return false;
  *out = Str(*r.element[i]);
  return true;
}

void CheckBounded(const redisReply& r, bool nested) {
  if (r.type != REDIS_REPLY_ARRAY) return;
  FUZZ_CHECK(r.elements <= (nested ? acceptor::kNestedReplyArrayElementsMax
                                   : acceptor::kReplyArrayElementsMax),
             "the reader refuses arrays past the bounds");
  for (size_t i = 0; i < r.elements; ++i) CheckBounded(*r.element[i], true);
}

void CheckOk(const redisReply& r, AcceptorRequest::Kind kind, const AcceptorReply& out) {
  std::string_view tag, ballot, value;
  FUZZ_CHECK(TextAt(r, 0, &tag) && tag == "ok", "kOk comes from an 'ok' reply");
  if (kind == AcceptorRequest::Kind::kAccept) {
    FUZZ_CHECK(r.elements == 1, "an accept's kOk is {'ok'}");
    return;
  }
  FUZZ_CHECK(r.elements == 3 && TextAt(r, 1, &ballot) && TextAt(r, 2, &value),
             "a prepare's kOk is {'ok', ballot, value}");
  FUZZ_CHECK(out.ballot.Encode() == ballot, "the accepted ballot is the reply's");
  FUZZ_CHECK(out.value == value, "the value is the reply's bytes");
}

void CheckOne(const redisReply& r, AcceptorRequest::Kind kind) {
  AcceptorReply out;
  acceptor::ParseScriptReply(r, ScriptCallContext{kind, kKey, kAcceptor}, &out);
  std::string_view tag, ballot, what, found;
  switch (out.status) {
    case AcceptorReply::Status::kOk:
      CheckOk(r, kind, out);
      break;
    case AcceptorReply::Status::kConflict:
      FUZZ_CHECK(TextAt(r, 0, &tag) && tag == "conflict" && r.elements == 2 && TextAt(r, 1, &ballot),
                 "kConflict comes from {'conflict', ballot}");
      FUZZ_CHECK(out.ballot.Encode() == ballot, "the conflicting ballot is the reply's");
      break;
    case AcceptorReply::Status::kInvalidState:
      FUZZ_CHECK(TextAt(r, 0, &tag) && tag == "invalid" && r.elements == 3 && TextAt(r, 1, &what) &&
                     TextAt(r, 2, &found),
                 "kInvalidState comes from {'invalid', what, found}");
      FUZZ_CHECK(out.error.find(kAcceptor) != std::string::npos, "the message names the acceptor");
      break;
    case AcceptorReply::Status::kFenced:
      FUZZ_CHECK(TextAt(r, 0, &tag) && tag == "fenced" && r.elements == 3 && TextAt(r, 1, &what) &&
                     TextAt(r, 2, &found),
                 "kFenced comes from {'fenced', epoch, config}");
      FUZZ_CHECK(acceptor::EncodeEpoch(out.fence_epoch) == what, "the fence epoch is the reply's");
      FUZZ_CHECK(out.fence_config == found, "the fence config is the reply's bytes");
      break;
    case AcceptorReply::Status::kError:
      FUZZ_CHECK(out.error.find(kAcceptor) != std::string::npos, "the message names the acceptor");
      FUZZ_CHECK(out.ballot.IsZero() && out.value.empty(), "an error carries no ballot or value");
      FUZZ_CHECK(out.fence_epoch == 0 && out.fence_config.empty(), "an error carries no fence");
      break;
  }
  const bool failed = out.status == AcceptorReply::Status::kError ||
                     out.status == AcceptorReply::Status::kInvalidState;
  FUZZ_CHECK(failed != out.error.empty(), "a failure says why, and only a failure has a message");
  FUZZ_CHECK(out.error.size() <= kMessageBytesMax, "a message quotes a bounded part of the reply");
  if (acceptor::IsNoScriptError(r)) {
    FUZZ_CHECK(out.status == AcceptorReply::Status::kError, "NOSCRIPT is an error");
  }
}

void CheckBatch(const redisReply& r) {
  if (r.type != REDIS_REPLY_ARRAY) return;
  for (size_t calls : {r.elements, r.elements + 1}) {
    for (size_t i = 0; i < calls; ++i) {
      const redisReply& part = acceptor::BatchCallReply(r, calls, i);
      FUZZ_CHECK(&part == (calls == r.elements ? r.element[i] : &r),
                 "a batch reply splits per call exactly when it has one element per call");
      if (calls == r.elements) CheckOne(part, AcceptorRequest::Kind::kPrepare);
    }
  }
}

}  // namespace
}  // namespace gryadka::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gryadka::fuzz;
  redisReader* reader = redisReaderCreate();
  gryadka::acceptor::BoundReplyArrays(reader);
  FUZZ_CHECK(redisReaderFeed(reader, reinterpret_cast<const char*>(data), size) == REDIS_OK,
             "the reader takes the bytes");
  void* reply = nullptr;
  while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
    const redisReply& r = *static_cast<redisReply*>(reply);
    CheckBounded(r, /*nested=*/false);
    CheckOne(r, AcceptorRequest::Kind::kPrepare);
    CheckOne(r, AcceptorRequest::Kind::kAccept);
    CheckBatch(r);
    freeReplyObject(reply);
    reply = nullptr;
  }
  if (reader->err != 0) FUZZ_CHECK(reader->errstr[0] != '\0', "a reader error says why");
  redisReaderFree(reader);
  return 0;
}
