#include "tests/chaos/recorder.h"

#include <chrono>

#include "absl/strings/match.h"

namespace gryadka::chaos {
namespace {

int64_t SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

sim::Outcome ChaosOutcomeOfStatus(const absl::Status& status) {
  if (status.ok()) return sim::Outcome::kOk;
  if (absl::IsInvalidArgument(status)) return sim::Outcome::kNotApplied;
  if (absl::StrContains(status.message(), "nothing was written")) return sim::Outcome::kNotApplied;
  if (absl::IsUnavailable(status) &&
      absl::StartsWith(status.message(), "failed to connect to all addresses")) {
    return sim::Outcome::kNotApplied;
  }
  return sim::Outcome::kUnknown;
}

v1::ChangeQueryResponse ToResponse(const ChangeQueryResult& result) {
  v1::ChangeQueryResponse r;
  r.set_applied(result.applied);
  r.set_decline_reason(result.decline_reason);
  if (result.record.has_value()) {
    r.mutable_result()->mutable_record()->set_value(result.record->value);
    r.mutable_result()->mutable_record()->set_version(result.record->version);
  } else if (result.version.has_value()) {
    r.mutable_result()->set_version(*result.version);
  } else {
    r.mutable_result()->mutable_none();
  }
  return r;
}

Recorder::Recorder() : start_us_(SteadyUs()) {}

int64_t Recorder::NowUs() const { return SteadyUs() - start_us_; }

uint64_t Recorder::Invoke(int client, const std::string& key, const v1::ChangeOp& change,
                          const v1::QueryOp& query) {
  std::lock_guard<std::mutex> lock(mu_);
  codes_.push_back(absl::StatusCode::kUnknown);
  size_++;
  return history_.Invoke(client, key, change, query, NowUs());
}

void Recorder::Complete(uint64_t id, const absl::StatusOr<ChangeQueryResult>& result) {
  const v1::ChangeQueryResponse response = result.ok() ? ToResponse(*result) : v1::ChangeQueryResponse();
  const sim::Outcome outcome = ChaosOutcomeOfStatus(result.status());
  const std::string error = result.ok() ? "" : result.status().ToString();
  std::lock_guard<std::mutex> lock(mu_);
  codes_[id] = result.status().code();
  history_.Complete(id, outcome, response, error, NowUs());
}

Recorder::Taken Recorder::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  Taken t;
  t.pending_at_close = history_.pending();
  history_.ClosePending(NowUs());
  t.history = std::move(history_);
  t.codes = std::move(codes_);
  return t;
}

}  // namespace gryadka::chaos
