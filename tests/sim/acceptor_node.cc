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

namespace {

core::AcceptorReply FencedReply(const core::AcceptorRequest& r, const AcceptorNode::FenceResult& f) {
  core::AcceptorReply reply;
  reply.msg_id = r.msg_id;
  reply.acceptor = r.acceptor;
  reply.status = core::AcceptorReply::Status::kFenced;
  reply.fence_epoch = f.min_epoch;
  reply.fence_config = f.config;
  return reply;
}

}  // namespace

core::AcceptorReply AcceptorNode::Handle(const core::AcceptorRequest& r) {
  if (r.epoch < fence_.min_epoch) return FencedReply(r, fence_);
  return lua_ ? lua_->Handle(r) : memory_.Handle(r);
}

AcceptorNode::FenceResult AcceptorNode::Fence(uint64_t epoch, const std::string& config) {
  if (epoch > fence_.min_epoch) fence_ = FenceResult{epoch, config};
  return fence_;
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
    if (value.is_hash && key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
      keys.push_back(key.substr(prefix.size()));
    }
  }
  return keys;
}

std::vector<core::AcceptorReply> AcceptorNode::HandleBatch(
    const std::vector<core::AcceptorRequest>& rs) {
  std::vector<core::AcceptorReply> out;
  if (lua_) {
    std::vector<core::AcceptorRequest> unfenced;
    for (const core::AcceptorRequest& r : rs) {
      if (r.epoch >= fence_.min_epoch) unfenced.push_back(r);
    }
    std::vector<core::AcceptorReply> replies =
        unfenced.empty() ? std::vector<core::AcceptorReply>{} : lua_->HandleBatch(unfenced);
    size_t next = 0;
    for (const core::AcceptorRequest& r : rs) {
      out.push_back(r.epoch < fence_.min_epoch ? FencedReply(r, fence_) : replies[next++]);
    }
    return out;
  }
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
