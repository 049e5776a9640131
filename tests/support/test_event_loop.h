// Test support: a libevent event_base that tests drive until a condition holds or a bounded
// time has passed. Constructing one ignores SIGPIPE process-wide (hiredis writes with write(2),
// and a test kills servers under open connections). Thread-compatible: one thread runs it.
#pragma once

#include <cstdint>
#include <functional>

struct event_base;

namespace gryadka::test_support {

class TestEventLoop {
 public:
  TestEventLoop();
  ~TestEventLoop();
  TestEventLoop(const TestEventLoop&) = delete;
  TestEventLoop& operator=(const TestEventLoop&) = delete;

  event_base* base() const { return base_; }
  // Runs the loop until `done()` is true (checked after every loop iteration, at least every
  // few milliseconds) or `timeout_ms` passed. Returns done().
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms);
  // Runs the loop for `ms` milliseconds.
  void RunFor(int64_t ms);

 private:
  event_base* base_;
};

}  // namespace gryadka::test_support
