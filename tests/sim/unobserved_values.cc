#include "tests/sim/unobserved_values.h"

#include "absl/strings/str_cat.h"

namespace gryadka::sim {
namespace {

// True if core's ParseInt64 can never accept `s` nor anything that starts with it.
bool HasNonNumericByte(const std::string& s) {
  for (const char c : s) {
    if ((c < '0' || c > '9') && c != '+' && c != '-') return true;
  }
  return false;
}

}  // namespace

UnobservedValues::UnobservedValues(const std::vector<const Operation*>& ops) {
  absl::flat_hash_set<std::string> recorded;
  for (const Operation* op : ops) {
    if (op->outcome != Outcome::kOk || !op->response.result().has_record()) continue;
    recorded.insert(op->response.result().record().value());
  }
  for (const std::string& v : recorded) {
    if (IsStandIn(v)) enabled_ = false;
    for (size_t n = 0; n <= v.size(); ++n) prefixes_.insert(v.substr(0, n));
    recorded_.push_back(v);
  }
}

bool UnobservedValues::Unobservable(const std::string& value) const {
  return enabled_ && HasNonNumericByte(value) && !prefixes_.contains(value);
}

bool UnobservedValues::UnobservableSuffix(const std::string& suffix) const {
  if (!enabled_ || !HasNonNumericByte(suffix)) return false;
  for (const std::string& v : recorded_) {
    if (v.find(suffix) != std::string::npos) return false;
  }
  return true;
}

void UnobservedValues::Canonicalize(ModelState* s) const {
  if (!enabled_ || s->value.empty()) return;
  // A stand-in with something appended is still a stand-in (of the longer length).
  if (IsStandIn(s->value) || Unobservable(s->value)) s->value.assign(s->value.size(), kStandIn);
}

std::string UnobservedValues::ChangeClass(const v1::ChangeOp& change) const {
  switch (change.op_case()) {
    case v1::ChangeOp::kPut:
      if (Unobservable(change.put().value())) {
        return absl::StrCat("put of ", change.put().value().size(), " unobservable bytes");
      }
      break;
    case v1::ChangeOp::kPutIfAbsent:
      if (Unobservable(change.put_if_absent().value())) {
        return absl::StrCat("put_if_absent of ", change.put_if_absent().value().size(),
                            " unobservable bytes");
      }
      break;
    case v1::ChangeOp::kCompareAndSet:
      if (Unobservable(change.compare_and_set().value())) {
        return absl::StrCat("compare_and_set at v", change.compare_and_set().expected_version(),
                            " of ", change.compare_and_set().value().size(), " unobservable bytes");
      }
      break;
    case v1::ChangeOp::kAppend:
      if (UnobservableSuffix(change.append().suffix())) {
        return absl::StrCat("append of ", change.append().suffix().size(), " unobservable bytes");
      }
      break;
    default:
      break;
  }
  return absl::StrCat("exact ", change.SerializeAsString());
}

}  // namespace gryadka::sim
