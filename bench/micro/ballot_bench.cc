// Micro-benchmarks of ballots (proposer/core/ballot.h): every acceptor call encodes one or two
// ballots as 32 hex characters and every reply decodes one.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "proposer/core/ballot.h"
#include "proposer/core/random.h"

namespace gryadka::core {
namespace {

void BM_Ballot_Encode(benchmark::State& state) {
  Ballot b{0x1234, 0xfeedface00000001ULL};
  for (auto _ : state) {
    ++b.counter;
    std::string s = b.Encode();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Ballot_Encode);

void BM_Ballot_Decode(benchmark::State& state) {
  const std::string s = Ballot{0x1234, 0xfeedface00000001ULL}.Encode();
  for (auto _ : state) {
    std::optional<Ballot> b = Ballot::Decode(s);
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(BM_Ballot_Decode);

// Ordering of random ballots (counters close together, as after fast-forwards).
void BM_Ballot_Compare(benchmark::State& state) {
  Random rng(7);
  std::vector<Ballot> v(1024);
  for (Ballot& b : v) b = Ballot{rng.Uniform(4), rng.Next()};
  size_t i = 0;
  for (auto _ : state) {
    const bool less = v[i & 1023] < v[(i + 1) & 1023];
    benchmark::DoNotOptimize(less);
    ++i;
  }
}
BENCHMARK(BM_Ballot_Compare);

}  // namespace
}  // namespace gryadka::core
