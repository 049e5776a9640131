#include "acceptor_adapter/memory_acceptor.h"

#include <algorithm>

namespace gryadka::acceptor {

using core::AcceptorReply;
using core::AcceptorRequest;

AcceptorReply MemoryAcceptor::Handle(const AcceptorRequest& req) {
  AcceptorReply r;
  r.acceptor = req.acceptor;
  r.msg_id = req.msg_id;
  if (req.epoch < fence_.min_epoch) {
    r.status = AcceptorReply::Status::kFenced;
    r.fence_epoch = fence_.min_epoch;
    r.fence_config = fence_.config;
    return r;
  }
  Slot& s = slots_[req.key];
  if (s.foreign) {
    r.status = AcceptorReply::Status::kInvalidState;
    r.error = "key holds data that is not a Gryadka register";
    return r;
  }
  const core::Ballot highest = std::max(s.promised, s.accepted);
  if (req.kind == AcceptorRequest::Kind::kPrepare) {
    if (req.ballot <= s.promised || req.ballot <= s.accepted) {
      r.status = AcceptorReply::Status::kConflict;
      r.ballot = highest;
      return r;
    }
    s.promised = req.ballot;
    r.status = AcceptorReply::Status::kOk;
    r.ballot = s.accepted;
    r.value = s.value;
    return r;
  }
  if (req.ballot < s.promised || req.ballot <= s.accepted) {
    r.status = AcceptorReply::Status::kConflict;
    r.ballot = highest;
    return r;
  }
  s.accepted = req.ballot;
  s.value = req.value;
  s.promised = req.next.IsZero() ? req.ballot : req.next;
  r.status = AcceptorReply::Status::kOk;
  return r;
}

FenceState MemoryAcceptor::Fence(uint64_t epoch, const std::string& config) {
  if (epoch > fence_.min_epoch) fence_ = FenceState{.min_epoch = epoch, .config = config};
  return fence_;
}

const MemoryAcceptor::Slot* MemoryAcceptor::Find(const std::string& key) const {
  auto it = slots_.find(key);
  return it == slots_.end() ? nullptr : &it->second;
}

void MemoryAcceptor::PutForeign(const std::string& key) {
  Slot foreign;
  foreign.foreign = true;
  slots_[key] = foreign;
}

}  // namespace gryadka::acceptor
