#include "tests/support/test_event_loop.h"

#include <event2/event.h>
#include <signal.h>

#include <chrono>

#include "acceptor_adapter/redis_acceptor.h"

namespace gryadka::test_support {
namespace {

constexpr timeval kWakeInterval = {0, 2000};  // bounds how late RunUntil notices done()

void Nothing(evutil_socket_t, short, void*) {}

}  // namespace

// The proposer's kind of base (changelist epoll), so acceptors are tested as they run.
TestEventLoop::TestEventLoop() : base_(acceptor::NewRedisEventBase()) { signal(SIGPIPE, SIG_IGN); }

TestEventLoop::~TestEventLoop() { event_base_free(base_); }

bool TestEventLoop::RunUntil(const std::function<bool()>& done, int64_t timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  event* wake = event_new(base_, -1, EV_PERSIST, &Nothing, nullptr);
  event_add(wake, &kWakeInterval);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    event_base_loop(base_, EVLOOP_ONCE);
  }
  event_free(wake);
  return done();
}

void TestEventLoop::RunFor(int64_t ms) {
  RunUntil([] { return false; }, ms);
}

}  // namespace gryadka::test_support
