// Micro-benchmarks of a whole proposer-core round (proposer/core/proposer.h) against three
// in-memory acceptors (acceptor_adapter/memory_acceptor.h) that answer synchronously: the CPU
// cost of the protocol itself, without network, Redis or gRPC.
//
//   TwoRtt        Submit -> prepare x3 -> accept x3 -> completion (the promise cache is dropped
//                 before every round, so each one prepares).
//   OneRtt        the same key again: the cached promise skips prepare (accept x3 only).
//   Batch64       64 increments of one key combined into one 1-RTT round (they queue while the
//                 previous round's accept is in flight, as under load in the server).
//   64Keys        64 increments of 64 different keys, each its own 1-RTT round.
#include <memory>
#include <string>
#include <vector>

#include "acceptor_adapter/memory_acceptor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {
namespace {

constexpr int64_t kFarDeadlineMs = int64_t{1} << 40;

// A proposer core wired to three in-memory acceptors; messages are delivered on Pump().
class SyncCluster {
 public:
  SyncCluster() : proposer_(ProposerConfig::Majority(3), /*proposer_id=*/1, /*seed=*/42), acceptors_(3) {
    increment_.mutable_increment()->set_delta(1);
    query_.mutable_record();
  }

  void SubmitIncrement(const std::string& key) {
    ClientRequest r;
    r.id = next_id_++;
    r.key = key;
    r.change = increment_;
    r.query = query_;
    r.deadline_ms = kFarDeadlineMs;
    proposer_.Submit(std::move(r), 0);
  }

  // Answers `messages`; returns how many requests completed meanwhile.
  size_t Deliver(const std::vector<AcceptorRequest>& messages) {
    for (const AcceptorRequest& m : messages) proposer_.OnReply(acceptors_[m.acceptor].Handle(m), 0);
    return proposer_.TakeCompletions().size();
  }

  // Delivers everything until the core is quiet; returns the completions.
  size_t Pump() {
    size_t done = proposer_.TakeCompletions().size();
    for (std::vector<AcceptorRequest> out = proposer_.TakeOutbox(); !out.empty();
         out = proposer_.TakeOutbox()) {
      done += Deliver(out);
    }
    return done;
  }

  Proposer& proposer() { return proposer_; }

 private:
  Proposer proposer_;
  std::vector<acceptor::MemoryAcceptor> acceptors_;
  v1::ChangeOp increment_;
  v1::QueryOp query_;
  uint64_t next_id_ = 1;
};

void BM_CoreRound_TwoRtt(benchmark::State& state) {
  SyncCluster c;
  const std::string key = "bench:round:two_rtt";
  for (auto _ : state) {
    c.proposer().DropCaches();
    c.SubmitIncrement(key);
    benchmark::DoNotOptimize(c.Pump());
  }
  const ProposerStats& s = c.proposer().stats();
  state.counters["two_rtt_share"] =
      static_cast<double>(s.rounds_two_rtt) / static_cast<double>(s.rounds_started);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreRound_TwoRtt);

void BM_CoreRound_OneRtt(benchmark::State& state) {
  SyncCluster c;
  const std::string key = "bench:round:one_rtt";
  c.SubmitIncrement(key);  // the first round prepares and leaves a cached promise
  c.Pump();
  for (auto _ : state) {
    c.SubmitIncrement(key);
    benchmark::DoNotOptimize(c.Pump());
  }
  const ProposerStats& s = c.proposer().stats();
  state.counters["one_rtt_share"] =
      static_cast<double>(s.rounds_one_rtt) / static_cast<double>(s.rounds_started);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreRound_OneRtt);

void BM_CoreRound_Batch64_OneKey(benchmark::State& state) {
  constexpr int kBatch = 64;
  SyncCluster c;
  const std::string key = "bench:round:batch";
  c.SubmitIncrement(key);  // warm the promise cache
  c.Pump();
  c.SubmitIncrement(key);  // a round in flight: its accept is held back
  std::vector<AcceptorRequest> held = c.proposer().TakeOutbox();
  size_t completed = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) c.SubmitIncrement(key);  // queue behind the held round
    completed += c.Deliver(held);  // the held round ends; the 64 start as one round
    held = c.proposer().TakeOutbox();
  }
  c.Deliver(held);
  const ProposerStats& s = c.proposer().stats();
  state.counters["ops_per_round"] =
      static_cast<double>(s.requests_completed_ok) / static_cast<double>(s.rounds_succeeded);
  state.SetItemsProcessed(state.iterations() * kBatch);
  benchmark::DoNotOptimize(completed);
}
BENCHMARK(BM_CoreRound_Batch64_OneKey);

void BM_CoreRound_64Keys(benchmark::State& state) {
  constexpr int kKeys = 64;
  SyncCluster c;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrCat("bench:round:key:", i));
  for (const std::string& k : keys) c.SubmitIncrement(k);  // warm every key's cached promise
  c.Pump();
  for (auto _ : state) {
    for (const std::string& k : keys) c.SubmitIncrement(k);
    benchmark::DoNotOptimize(c.Pump());
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_CoreRound_64Keys);

}  // namespace
}  // namespace gryadka::core
