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

acceptor::FenceState AcceptorNode::Fence(uint64_t epoch, const std::string& config) {
  return lua_ ? lua_->Fence(epoch, config) : memory_.Fence(epoch, config);
}

std::vector<std::string> AcceptorNode::Keys() const {
  std::vector<std::string> keys;
  if (!lua_) {
    for (const auto& [key, slot] : memory_.slots()) {
      if (!slot.foreign) keys.push_back(key);
    }
    return keys;
  }
  const std::string prefix = LuaAcceptor::RedisKey("");
  for (const auto& [key, value] : lua_->redis().keyspace()) {
    // The meta record (the fence) is exactly the prefix; registers are longer.
    if (value.is_hash && key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
      keys.push_back(key.substr(prefix.size()));
    }
  }
  return keys;
}

std::vector<core::AcceptorReply> AcceptorNode::HandleBatch(
    const std::vector<core::AcceptorRequest>& rs) {
  if (lua_) return lua_->HandleBatch(rs);
  std::vector<core::AcceptorReply> out;
  for (const core::AcceptorRequest& r : rs) out.push_back(Handle(r));
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
