// Fuzz target: request validation and op application (proposer/core/ops.h).
// Input (fuzz_inputs.h, "ops"): limits, a public record, and a serialized ChangeQueryRequest.
// Properties: ValidateRequest accepts exactly the requests within the limits with known ops;
// every accepted change obeys the version rules of kv.proto, keeps values within the limit and
// gives a reason for every decline; an increment agrees with an independent decimal parser;
// each query projects the record after the change.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "gryadka/v1/kv.pb.h"
#include "proposer/core/ops.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_inputs.h"

namespace gryadka::fuzz {
namespace {

using core::ChangeOutcome;
using core::Limits;
using v1::ChangeOp;
using v1::Record;

// A decimal int64 the way kv.proto defines it: an optional sign, one or more digits, in range.
std::optional<int64_t> ReferenceParseInt64(const std::string& s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  __int128 v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
    if (v > (static_cast<__int128>(1) << 64)) return std::nullopt;
  }
  if (negative) v = -v;
  if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

size_t ValueBytes(const ChangeOp& op) {
  switch (op.op_case()) {
    case ChangeOp::kPut: return op.put().value().size();
    case ChangeOp::kPutIfAbsent: return op.put_if_absent().value().size();
    case ChangeOp::kCompareAndSet: return op.compare_and_set().value().size();
    case ChangeOp::kAppend: return op.append().suffix().size();
    default: return 0;
  }
}

bool KnownChange(const ChangeOp& op) {
  return op.op_case() != ChangeOp::OP_NOT_SET;
}

void CheckValidation(const v1::ChangeQueryRequest& req, const Limits& limits, const absl::Status& s) {
  const bool should_pass = !req.key().empty() && req.key().size() <= limits.max_key_bytes &&
                           KnownChange(req.change()) &&
                           req.query().op_case() != v1::QueryOp::OP_NOT_SET &&
                           ValueBytes(req.change()) <= limits.max_value_bytes;
  FUZZ_CHECK(s.ok() == should_pass, "validation accepts exactly the requests within the rules");
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument, "a bad request is INVALID_ARGUMENT");
    FUZZ_CHECK(!s.message().empty(), "a rejection names the problem");
  }
}

// Whether the op, from `before`, must apply (nullopt: the op's own rule is checked elsewhere).
bool MustApply(const ChangeOp& op, const Record& before, const Limits& limits) {
  const bool can_bump = before.version() < std::numeric_limits<uint64_t>::max();
  switch (op.op_case()) {
    case ChangeOp::kRead: return true;
    case ChangeOp::kPut: return can_bump;
    case ChangeOp::kPutIfAbsent: return before.version() == 0;
    case ChangeOp::kCompareAndSet:
      return can_bump && before.version() == op.compare_and_set().expected_version();
    case ChangeOp::kAppend:
      return can_bump && before.value().size() + op.append().suffix().size() <= limits.max_value_bytes;
    case ChangeOp::kDelete:
      return !op.delete_().has_expected_version() ||
             op.delete_().expected_version() == before.version();
    case ChangeOp::kIncrement: {
      std::optional<int64_t> cur = before.version() == 0 ? 0 : ReferenceParseInt64(before.value());
      int64_t sum;
      if (!cur || __builtin_add_overflow(*cur, op.increment().delta(), &sum)) return false;
      return can_bump && std::to_string(sum).size() <= limits.max_value_bytes;
    }
    default: return false;
  }
}

// The value the op leaves when it applies (for the ops that set one).
std::string ExpectedValue(const ChangeOp& op, const Record& before) {
  switch (op.op_case()) {
    case ChangeOp::kPut: return op.put().value();
    case ChangeOp::kPutIfAbsent: return op.put_if_absent().value();
    case ChangeOp::kCompareAndSet: return op.compare_and_set().value();
    case ChangeOp::kAppend: return before.value() + op.append().suffix();
    case ChangeOp::kIncrement: {
      const int64_t cur = before.version() == 0 ? 0 : *ReferenceParseInt64(before.value());
      return std::to_string(cur + op.increment().delta());
    }
    case ChangeOp::kDelete: return "";
    default: return before.value();
  }
}

void CheckChange(const ChangeOp& op, const Limits& limits, const Record& before,
                 const Record& after, const ChangeOutcome& out) {
  FUZZ_CHECK(out.applied == MustApply(op, before, limits), "the op applies exactly when its rule holds");
  if (!out.applied) {
    FUZZ_CHECK(!out.decline_reason.empty(), "a decline has a reason");
    FUZZ_CHECK(!out.changed, "a declined op changes nothing");
    FUZZ_CHECK(after.SerializeAsString() == before.SerializeAsString(), "a declined op leaves the record");
    return;
  }
  FUZZ_CHECK(out.decline_reason.empty(), "an applied op has no decline reason");
  FUZZ_CHECK(after.value() == ExpectedValue(op, before), "the op leaves the value kv.proto defines");
  if (op.op_case() == ChangeOp::kRead) {
    FUZZ_CHECK(!out.changed && after.version() == before.version(), "read is the identity");
  } else if (op.op_case() == ChangeOp::kDelete) {
    FUZZ_CHECK(after.version() == 0, "delete leaves the key absent");
    FUZZ_CHECK(out.changed == (before.version() != 0), "deleting an absent key changes nothing");
  } else {
    FUZZ_CHECK(out.changed, "a value-setting op changes the record");
    FUZZ_CHECK(after.version() == before.version() + 1 && after.version() > before.version(),
               "an applied change adds 1 to the version");
    FUZZ_CHECK(after.value().size() <= limits.max_value_bytes, "a written value is within the limit");
  }
  FUZZ_CHECK(after.version() != 0 || after.value().empty(), "an absent record has no value");
}

void CheckQuery(const v1::QueryOp& op, const Record& record, const v1::QueryResult& result) {
  switch (op.op_case()) {
    case v1::QueryOp::kRecord:
      FUZZ_CHECK(result.has_record() && result.record().value() == record.value() &&
                     result.record().version() == record.version(),
                 "the record query returns the record after the change");
      break;
    case v1::QueryOp::kVersion:
      FUZZ_CHECK(result.result_case() == v1::QueryResult::kVersion && result.version() == record.version(),
                 "the version query returns the version after the change");
      break;
    default:
      FUZZ_CHECK(result.has_none(), "the none query returns none");
  }
}

Limits LimitsFrom(const OpsInput& in) {
  Limits limits;
  if (in.key_limit != 0) limits.max_key_bytes = in.key_limit;
  if (in.value_limit != 0) limits.max_value_bytes = in.value_limit;
  return limits;
}

}  // namespace
}  // namespace gryadka::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in a key is logged on every parse
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gryadka;
  const fuzz::OpsInput in =
      fuzz::DecodeOps(std::string_view(reinterpret_cast<const char*>(data), size));
  v1::ChangeQueryRequest req;
  if (!req.ParseFromString(in.request)) return 0;
  const core::Limits limits = fuzz::LimitsFrom(in);
  const absl::Status s = core::ValidateRequest(req.key(), req.change(), req.query(), limits);
  fuzz::CheckValidation(req, limits, s);
  if (!s.ok()) return 0;
  v1::Record before;
  before.set_version(in.version);
  if (in.version != 0) before.set_value(in.value);  // a public record: absent has no value
  v1::Record after = before;
  const core::ChangeOutcome out = core::ApplyChange(req.change(), limits, &after);
  fuzz::CheckChange(req.change(), limits, before, after, out);
  v1::QueryResult result;
  core::ApplyQuery(req.query(), after, &result);
  fuzz::CheckQuery(req.query(), after, result);
  return 0;
}
