// Micro-benchmarks of the registered ops (proposer/core/ops.h): what one request costs the
// proposer when its change and query are applied during a round.
#include <string>

#include "benchmark/benchmark.h"
#include "proposer/core/ops.h"

namespace gryadka::core {
namespace {

const Limits kLimits;

v1::Record RecordOf(std::string value, uint64_t version) {
  v1::Record r;
  r.set_value(std::move(value));
  r.set_version(version);
  return r;
}

// Put overwrites the value; arg = value bytes.
void BM_ApplyChange_Put(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_put()->set_value(std::string(state.range(0), 'p'));
  v1::Record record = RecordOf(std::string(state.range(0), 'r'), 1);
  for (auto _ : state) {
    ChangeOutcome out = ApplyChange(op, kLimits, &record);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyChange_Put)->Arg(16)->Arg(1024);

// Increment parses the decimal value, adds, and formats it back.
void BM_ApplyChange_Increment(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_increment()->set_delta(1);
  v1::Record record = RecordOf("1234567", 7);
  for (auto _ : state) {
    ChangeOutcome out = ApplyChange(op, kLimits, &record);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyChange_Increment);

// A CAS that applies (expected version matches) and one that declines (builds a reason).
void BM_ApplyChange_CasApplied(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_compare_and_set()->set_value(std::string(16, 'c'));
  v1::Record record = RecordOf(std::string(16, 'r'), 1);
  for (auto _ : state) {
    op.mutable_compare_and_set()->set_expected_version(record.version());
    ChangeOutcome out = ApplyChange(op, kLimits, &record);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyChange_CasApplied);

void BM_ApplyChange_CasDeclined(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_compare_and_set()->set_expected_version(1);
  op.mutable_compare_and_set()->set_value(std::string(16, 'c'));
  v1::Record record = RecordOf(std::string(16, 'r'), 2);
  for (auto _ : state) {
    ChangeOutcome out = ApplyChange(op, kLimits, &record);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyChange_CasDeclined);

// Append grows the value; it is reset every 4 KiB so the copy stays small.
void BM_ApplyChange_Append(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_append()->set_suffix(std::string(16, 'a'));
  v1::Record record = RecordOf("", 0);
  for (auto _ : state) {
    if (record.value().size() >= 4096) record.set_value("");
    ChangeOutcome out = ApplyChange(op, kLimits, &record);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyChange_Append);

// Answering a request: the RecordQuery copies the record (value bytes = arg).
void BM_ApplyQuery_Record(benchmark::State& state) {
  v1::QueryOp q;
  q.mutable_record();
  const v1::Record record = RecordOf(std::string(state.range(0), 'r'), 3);
  v1::QueryResult out;
  for (auto _ : state) {
    ApplyQuery(q, record, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyQuery_Record)->Arg(16)->Arg(1024);

void BM_ApplyQuery_Version(benchmark::State& state) {
  v1::QueryOp q;
  q.mutable_version();
  const v1::Record record = RecordOf(std::string(16, 'r'), 3);
  v1::QueryResult out;
  for (auto _ : state) {
    ApplyQuery(q, record, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ApplyQuery_Version);

// Validation runs once per request before any round.
void BM_ValidateRequest_Put(benchmark::State& state) {
  v1::ChangeOp op;
  op.mutable_put()->set_value(std::string(16, 'p'));
  v1::QueryOp q;
  q.mutable_record();
  const std::string key = "bench:put:123";
  for (auto _ : state) {
    absl::Status s = ValidateRequest(key, op, q, kLimits);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ValidateRequest_Put);

}  // namespace
}  // namespace gryadka::core
