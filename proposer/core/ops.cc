#include "proposer/core/ops.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/unknown_field_set.h"

namespace gryadka::core {
namespace {

using v1::ChangeOp;
using v1::QueryOp;
using v1::Record;

ChangeOutcome Applied(bool changed) { return ChangeOutcome{true, changed, ""}; }
ChangeOutcome Declined(std::string reason) { return ChangeOutcome{false, false, std::move(reason)}; }

void SetPresent(Record* r, std::string value) {
  r->set_value(std::move(value));
  r->set_version(r->version() + 1);
}

// ---- change ops: each validates its arguments and applies itself ----

absl::Status NoArgs(const ChangeOp&, const Limits&) { return absl::OkStatus(); }

absl::Status CheckValue(const char* op, const std::string& value, const Limits& limits) {
  if (value.size() > limits.max_value_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": value is ", value.size(),
                                                   " bytes, over the limit of ",
                                                   limits.max_value_bytes, " bytes (--max_value_bytes)"));
  }
  return absl::OkStatus();
}

ChangeOutcome ApplyRead(const ChangeOp&, const Limits&, Record*) { return Applied(false); }

absl::Status ValidatePut(const ChangeOp& op, const Limits& l) { return CheckValue("put", op.put().value(), l); }
ChangeOutcome ApplyPut(const ChangeOp& op, const Limits&, Record* r) {
  SetPresent(r, op.put().value());
  return Applied(true);
}

absl::Status ValidatePutIfAbsent(const ChangeOp& op, const Limits& l) {
  return CheckValue("put_if_absent", op.put_if_absent().value(), l);
}
ChangeOutcome ApplyPutIfAbsent(const ChangeOp& op, const Limits&, Record* r) {
  if (r->version() != 0) return Declined(absl::StrCat("key is present (version ", r->version(), ")"));
  SetPresent(r, op.put_if_absent().value());
  return Applied(true);
}

absl::Status ValidateCas(const ChangeOp& op, const Limits& l) {
  return CheckValue("compare_and_set", op.compare_and_set().value(), l);
}
ChangeOutcome ApplyCas(const ChangeOp& op, const Limits&, Record* r) {
  const auto& cas = op.compare_and_set();
  if (r->version() != cas.expected_version()) {
    return Declined(absl::StrCat("version is ", r->version(), ", expected ", cas.expected_version()));
  }
  SetPresent(r, cas.value());
  return Applied(true);
}

// Parses a decimal int64 ("-12", "0", "+7"); the whole string must be the number.
bool ParseInt64(const std::string& s, int64_t* out) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && *b == '-') return false;  // from_chars would take "+-5" as -5
  }
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e;
}

ChangeOutcome ApplyIncrement(const ChangeOp& op, const Limits& limits, Record* r) {
  int64_t current = 0;
  if (r->version() != 0 && !ParseInt64(r->value(), &current)) {
    return Declined("value is not a decimal int64");
  }
  const int64_t delta = op.increment().delta();
  int64_t sum;
  if (__builtin_add_overflow(current, delta, &sum)) {
    return Declined(absl::StrCat("int64 overflow: ", current, " + ", delta));
  }
  std::string value = absl::StrCat(sum);
  if (value.size() > limits.max_value_bytes) {
    return Declined(absl::StrCat("value would be ", value.size(), " bytes, over the limit of ",
                                 limits.max_value_bytes, " bytes"));
  }
  SetPresent(r, std::move(value));
  return Applied(true);
}

absl::Status ValidateAppend(const ChangeOp& op, const Limits& l) {
  return CheckValue("append", op.append().suffix(), l);
}
ChangeOutcome ApplyAppend(const ChangeOp& op, const Limits& limits, Record* r) {
  const std::string& suffix = op.append().suffix();
  const size_t size = r->value().size() + suffix.size();
  if (size > limits.max_value_bytes) {
    return Declined(absl::StrCat("value would be ", size, " bytes, over the limit of ",
                                 limits.max_value_bytes, " bytes"));
  }
  SetPresent(r, r->value() + suffix);
  return Applied(true);
}

ChangeOutcome ApplyDelete(const ChangeOp& op, const Limits&, Record* r) {
  const auto& del = op.delete_();
  if (del.has_expected_version() && del.expected_version() != r->version()) {
    return Declined(absl::StrCat("version is ", r->version(), ", expected ", del.expected_version()));
  }
  const bool changed = r->version() != 0;
  r->Clear();
  return Applied(changed);
}

struct ChangeOpEntry {
  ChangeOp::OpCase op_case;
  const char* name;
  absl::Status (*validate)(const ChangeOp&, const Limits&);
  ChangeOutcome (*apply)(const ChangeOp&, const Limits&, Record*);
};

// THE registry of change ops. Adding an op: a message in kv.proto's ChangeOp oneof, a row here.
constexpr ChangeOpEntry kChangeOps[] = {
    {ChangeOp::kRead, "read", NoArgs, ApplyRead},
    {ChangeOp::kPut, "put", ValidatePut, ApplyPut},
    {ChangeOp::kPutIfAbsent, "put_if_absent", ValidatePutIfAbsent, ApplyPutIfAbsent},
    {ChangeOp::kCompareAndSet, "compare_and_set", ValidateCas, ApplyCas},
    {ChangeOp::kIncrement, "increment", NoArgs, ApplyIncrement},
    {ChangeOp::kAppend, "append", ValidateAppend, ApplyAppend},
    {ChangeOp::kDelete, "delete", NoArgs, ApplyDelete},
};

const ChangeOpEntry* FindChangeOp(ChangeOp::OpCase c) {
  for (const auto& e : kChangeOps) {
    if (e.op_case == c) return &e;
  }
  return nullptr;
}

struct QueryOpEntry {
  QueryOp::OpCase op_case;
  const char* name;
  void (*apply)(const Record&, v1::QueryResult*);
};

// THE registry of query ops.
constexpr QueryOpEntry kQueryOps[] = {
    {QueryOp::kRecord, "record", [](const Record& r, v1::QueryResult* out) { *out->mutable_record() = r; }},
    {QueryOp::kVersion, "version", [](const Record& r, v1::QueryResult* out) { out->set_version(r.version()); }},
    {QueryOp::kNone, "none", [](const Record&, v1::QueryResult* out) { out->mutable_none(); }},
};

const QueryOpEntry* FindQueryOp(QueryOp::OpCase c) {
  for (const auto& e : kQueryOps) {
    if (e.op_case == c) return &e;
  }
  return nullptr;
}

template <typename Table>
std::string KnownNames(const Table& table) {
  std::vector<std::string> names;
  for (const auto& e : table) names.push_back(e.name);
  return absl::StrJoin(names, ", ");
}

// Explains an unset oneof: absent entirely, or a field number this server does not know.
template <typename Msg, typename Table>
absl::Status UnsetOpError(const char* what, const Msg& msg, const Table& table) {
  const auto& unknown = msg.GetReflection()->GetUnknownFields(msg);
  if (unknown.field_count() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " op number ", unknown.field(0).number(),
        " is unknown to this server (a newer client?); known ", what, " ops: ", KnownNames(table)));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " op is not set; set one of: ", KnownNames(table)));
}

}  // namespace

absl::Status ValidateRequest(const std::string& key, const ChangeOp& change, const QueryOp& query,
                             const Limits& limits) {
  if (key.empty()) return absl::InvalidArgumentError("key is empty; keys are 1 or more bytes");
  if (key.size() > limits.max_key_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("key is ", key.size(), " bytes, over the limit of ",
                                                   limits.max_key_bytes, " bytes (--max_key_bytes)"));
  }
  const ChangeOpEntry* c = FindChangeOp(change.op_case());
  if (c == nullptr) return UnsetOpError("change", change, kChangeOps);
  if (FindQueryOp(query.op_case()) == nullptr) return UnsetOpError("query", query, kQueryOps);
  return c->validate(change, limits);
}

ChangeOutcome ApplyChange(const ChangeOp& op, const Limits& limits, Record* record) {
  const ChangeOpEntry* c = FindChangeOp(op.op_case());
  if (c == nullptr) return Declined("change op is not set");  // unreachable after validation
  // Only a register written by something else can get here (2^64 - 1 changes never happen): a
  // change that keeps the key present would wrap the version to 0, which means absent.
  if (record->version() == std::numeric_limits<uint64_t>::max() && c->op_case != ChangeOp::kRead &&
      c->op_case != ChangeOp::kDelete) {
    return Declined(absl::StrCat("version is ", record->version(),
                                 ", the largest uint64: no further change can be counted; "
                                 "delete the key first"));
  }
  return c->apply(op, limits, record);
}

void ApplyQuery(const QueryOp& op, const Record& record, v1::QueryResult* out) {
  const QueryOpEntry* q = FindQueryOp(op.op_case());
  if (q == nullptr) {  // unreachable after validation
    out->mutable_none();
    return;
  }
  q->apply(record, out);
}

const char* ChangeOpName(const ChangeOp& op) {
  const ChangeOpEntry* c = FindChangeOp(op.op_case());
  return c == nullptr ? "unset" : c->name;
}

}  // namespace gryadka::core
