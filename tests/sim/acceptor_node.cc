#include "tests/sim/acceptor_node.h"

namespace gryadka::sim {

AcceptorNode::AcceptorNode(AcceptorKind kind, const std::string& name) {
  if (kind == AcceptorKind::kLua) lua_ = std::make_unique<LuaAcceptor>("lua acceptor " + name);
}

std::optional<core::AcceptorReply> AcceptorNode::Receive(ProposerAddr from,
                                                         const core::AcceptorRequest& r) {
  switch (state_) {
    case State::kUp:
      return Handle(r);
    case State::kPaused:
      queue_.push_back(Queued{from, r});
      return std::nullopt;
    case State::kDown:
      return std::nullopt;
  }
  return std::nullopt;
}

core::AcceptorReply AcceptorNode::Handle(const core::AcceptorRequest& r) {
  return lua_ ? lua_->Handle(r) : memory_.Handle(r);
}

std::vector<core::AcceptorReply> AcceptorNode::HandleBatch(
    const std::vector<core::AcceptorRequest>& rs) {
  if (lua_) return lua_->HandleBatch(rs);
  std::vector<core::AcceptorReply> out;
  for (const core::AcceptorRequest& r : rs) out.push_back(memory_.Handle(r));
  return out;
}

bool AcceptorNode::Collect(ProposerAddr from, const core::AcceptorRequest& r) {
  pending_.push_back(Queued{from, r});
  return pending_.size() == 1;
}

std::vector<AcceptorNode::Queued> AcceptorNode::TakePending() {
  std::vector<Queued> out;
  out.swap(pending_);
  return out;
}

size_t AcceptorNode::Crash() {
  const size_t lost = queue_.size() + pending_.size();
  queue_.clear();
  pending_.clear();
  state_ = State::kDown;
  ++epoch_;
  return lost;
}

void AcceptorNode::Pause() {
  if (state_ != State::kUp) return;
  state_ = State::kPaused;
  queue_.insert(queue_.begin(), pending_.begin(), pending_.end());
  pending_.clear();
}

std::vector<AcceptorNode::Queued> AcceptorNode::Resume() {
  std::vector<Queued> out(queue_.begin(), queue_.end());
  queue_.clear();
  if (state_ == State::kPaused) state_ = State::kUp;
  return out;
}

}  // namespace gryadka::sim
