#include "tests/sim/acceptor_node.h"

namespace gryadka::sim {

std::optional<core::AcceptorReply> AcceptorNode::Receive(ProposerAddr from,
                                                         const core::AcceptorRequest& r) {
  switch (state_) {
    case State::kUp:
      return acceptor_.Handle(r);
    case State::kPaused:
      queue_.push_back(Queued{from, r});
      return std::nullopt;
    case State::kDown:
      return std::nullopt;
  }
  return std::nullopt;
}

size_t AcceptorNode::Crash() {
  const size_t lost = queue_.size();
  queue_.clear();
  state_ = State::kDown;
  ++epoch_;
  return lost;
}

void AcceptorNode::Pause() {
  if (state_ == State::kUp) state_ = State::kPaused;
}

std::vector<AcceptorNode::Queued> AcceptorNode::Resume() {
  std::vector<Queued> out(queue_.begin(), queue_.end());
  queue_.clear();
  if (state_ == State::kPaused) state_ = State::kUp;
  return out;
}

}  // namespace gryadka::sim
