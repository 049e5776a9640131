// Single-threaded discrete-event loop over virtual time in microseconds. Events run in order of
// (time, sequence number), the sequence number being the order in which they were scheduled, so
// ties break the same way on every run and every standard library (never by pointer or hash
// order). Virtual time jumps straight to the next event. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace gryadka::sim {

class EventLoop {
 public:
  using Fn = std::function<void()>;

  int64_t now_us() const { return now_us_; }
  // The proposers' clock: whole milliseconds of virtual time.
  int64_t now_ms() const { return now_us_ / 1000; }

  // Runs `fn` at `at_us`; a time in the past means "now" (after the events already due).
  void At(int64_t at_us, Fn fn);
  void After(int64_t delay_us, Fn fn) { At(now_us_ + delay_us, std::move(fn)); }

  // Runs the earliest event and advances time to it. Returns false when there is none.
  bool RunOne();
  bool empty() const { return queue_.empty(); }
  // The time of the earliest event. REQUIRES: !empty().
  int64_t next_us() const { return queue_.begin()->first.first; }
  uint64_t events_run() const { return events_run_; }

 private:
  int64_t now_us_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::map<std::pair<int64_t, uint64_t>, Fn> queue_;
};

}  // namespace gryadka::sim
