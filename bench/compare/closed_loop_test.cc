// ClosedLoop (closed_loop.h) against a fake Connection that completes every operation at once on
// the worker's thread: phases, prefill coverage, errors and backoff, retries.
#include "bench/compare/closed_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace gryadka::bench::compare {
namespace {

// What every fake saw, across workers.
struct Seen {
  std::mutex mu;
  std::map<std::string, int> keys;  // key -> operations begun on it
  std::map<Op, int> ops;
  int backoffs = 0;
};

class FakeConnection : public Connection {
 public:
  FakeConnection(Seen* seen, int fail_every, int retries)
      : seen_(seen), fail_every_(fail_every), retries_(retries) {}

  void Begin(int slot, Op op, const std::string& key) override {
    {
      std::lock_guard<std::mutex> l(seen_->mu);
      ++seen_->keys[key];
      ++seen_->ops[op];
    }
    queue_.push_back({slot, false});
  }
  void Backoff(int slot, int64_t) override {
    {
      std::lock_guard<std::mutex> l(seen_->mu);
      ++seen_->backoffs;
    }
    queue_.push_back({slot, true});
  }
  void Run() override {
    while (!shut_down_ || !queue_.empty()) {
      if (queue_.empty()) continue;
      const Event e = queue_.front();
      queue_.pop_front();
      if (e.backoff) {
        listener_->OnBackoffDone(e.slot);
      } else if (fail_every_ > 0 && ++done_ % fail_every_ == 0) {
        listener_->OnDone(e.slot, false, "fake failure", 0);
      } else {
        listener_->OnDone(e.slot, true, "", retries_);
      }
    }
  }
  void Shutdown() override { shut_down_ = true; }

 private:
  struct Event {
    int slot;
    bool backoff;
  };
  Seen* const seen_;
  const int fail_every_;  // every n-th operation fails; 0 = none
  const int retries_;     // reported by every successful operation
  std::deque<Event> queue_;
  uint64_t done_ = 0;
  bool shut_down_ = false;
};

ConnectionFactory Fakes(Seen* seen, int fail_every = 0, int retries = 0) {
  return [=](int, int) { return std::make_unique<FakeConnection>(seen, fail_every, retries); };
}

void WaitFor(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(ClosedLoopTest, PrefillWritesEveryKeyExactlyOnceThenStopsByItself) {
  Seen seen;
  ClosedLoop loop(Fakes(&seen));
  LoopSpec spec;
  spec.concurrency = 3;
  spec.threads = 2;
  spec.keys = 10;
  spec.key_prefix = "p:";
  spec.sequential_once = true;
  loop.Start(spec, Phase::kPrefill);
  WaitFor([&] { return loop.Finished(); });
  ASSERT_TRUE(loop.Finished());
  const LoopStats stats = loop.StopAndJoin();
  EXPECT_EQ(stats.prefill_ops, 10u);
  EXPECT_EQ(stats.ops, 0u);
  ASSERT_EQ(seen.keys.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(seen.keys["p:" + std::to_string(i)], 1) << i;
  EXPECT_EQ(seen.ops[Op::kPrefill], 10);
}

TEST(ClosedLoopTest, OnlyOperationsCompletingInTheMeasuredPhaseCountWithTheirLatency) {
  Seen seen;
  ClosedLoop loop(Fakes(&seen, 0, /*retries=*/2));
  LoopSpec spec;
  spec.op = Op::kIncrement;
  spec.concurrency = 4;
  spec.keys = 1;
  loop.Start(spec, Phase::kWarmup);
  WaitFor([&] {
    std::lock_guard<std::mutex> l(seen.mu);
    return seen.ops[Op::kIncrement] > 100;
  });
  loop.SetPhase(Phase::kMeasure);
  int begun = 0;
  {
    std::lock_guard<std::mutex> l(seen.mu);
    begun = seen.ops[Op::kIncrement];
  }
  WaitFor([&] {
    std::lock_guard<std::mutex> l(seen.mu);
    return seen.ops[Op::kIncrement] > begun + 1000;
  });
  loop.SetPhase(Phase::kDrain);
  const LoopStats stats = loop.StopAndJoin();
  EXPECT_GT(stats.warmup_ops, 0u);
  EXPECT_GT(stats.ops, 0u);
  EXPECT_EQ(stats.latency.count(), stats.ops);
  EXPECT_EQ(stats.retries, 2 * stats.ops);
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_EQ(seen.ops[Op::kPrefill], 0);
}

TEST(ClosedLoopTest, AFailedOperationCountsAsAnErrorAndItsSlotBacksOffThenGoesOn) {
  Seen seen;
  ClosedLoop loop(Fakes(&seen, /*fail_every=*/3));
  LoopSpec spec;
  spec.concurrency = 2;
  spec.keys = 5;
  loop.Start(spec, Phase::kMeasure);
  WaitFor([&] {
    std::lock_guard<std::mutex> l(seen.mu);
    return seen.backoffs > 50;
  });
  const LoopStats stats = loop.StopAndJoin();
  EXPECT_GT(stats.errors, 0u);
  EXPECT_GT(stats.ops, stats.errors);  // two of every three succeed
  EXPECT_EQ(stats.first_error, "fake failure");
  std::lock_guard<std::mutex> l(seen.mu);
  EXPECT_GE(seen.backoffs, static_cast<int>(stats.errors) - spec.concurrency);
}

}  // namespace
}  // namespace gryadka::bench::compare
