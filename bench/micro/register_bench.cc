// Micro-benchmarks of the stored register (gryadka.internal.StoredRegister): every accept
// serializes one, every prepare reply parses one. Args: value bytes, writer marks.
#include <string>

#include "benchmark/benchmark.h"
#include "gryadka/internal/register.pb.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {
namespace {

internal::StoredRegister MakeRegister(size_t value_bytes, int marks) {
  internal::StoredRegister r;
  r.set_value(std::string(value_bytes, 'v'));
  r.set_version(12345);
  for (int i = 0; i < marks; ++i) {
    internal::WriterMark* m = r.add_writers();
    m->set_proposer_id(0xabcdef0000000000ULL + i);
    m->set_counter(100000 + i);
  }
  return r;
}

void BM_StoredRegister_Serialize(benchmark::State& state) {
  const internal::StoredRegister r = MakeRegister(state.range(0), static_cast<int>(state.range(1)));
  std::string out;
  for (auto _ : state) {
    r.SerializeToString(&out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * r.ByteSizeLong());
}
BENCHMARK(BM_StoredRegister_Serialize)
    ->Args({16, 1})
    ->Args({1024, 1})
    ->Args({16, kWriterMarksMax})
    ->Args({1024, kWriterMarksMax});

void BM_StoredRegister_Parse(benchmark::State& state) {
  const std::string bytes =
      MakeRegister(state.range(0), static_cast<int>(state.range(1))).SerializeAsString();
  internal::StoredRegister r;
  for (auto _ : state) {
    const bool ok = r.ParseFromString(bytes);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * bytes.size());
}
BENCHMARK(BM_StoredRegister_Parse)
    ->Args({16, 1})
    ->Args({1024, 1})
    ->Args({16, kWriterMarksMax})
    ->Args({1024, kWriterMarksMax});

}  // namespace
}  // namespace gryadka::core
