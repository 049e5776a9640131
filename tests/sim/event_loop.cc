#include "tests/sim/event_loop.h"

#include <algorithm>

namespace gryadka::sim {

void EventLoop::At(int64_t at_us, Fn fn) {
  queue_.emplace(std::make_pair(std::max(at_us, now_us_), next_seq_++), std::move(fn));
}

bool EventLoop::RunOne() {
  if (queue_.empty()) return false;
  auto node = queue_.extract(queue_.begin());
  now_us_ = node.key().first;
  ++events_run_;
  node.mapped()();
  return true;
}

}  // namespace gryadka::sim
