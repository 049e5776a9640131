#include "tests/sim/accept_monitor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace gryadka::sim {

void AcceptMonitor::OnAcceptSent(const core::AcceptorRequest& accept) {
  auto [it, inserted] = values_.emplace(Slot{accept.key, accept.ballot}, accept.value);
  if (inserted || it->second == accept.value || !violation_.empty()) return;
  violation_ = absl::StrCat("two different values were sent in accepts of key ", accept.key,
                            " under one ballot ", accept.ballot.DebugString(), " (msg m",
                            accept.msg_id, "): \"", absl::CHexEscape(it->second), "\" and \"",
                            absl::CHexEscape(accept.value), "\"");
}

void AcceptMonitor::OnAcceptApplied(const core::AcceptorRequest& accept) {
  applied_[Slot{accept.key, accept.ballot}].insert(accept.acceptor);
}

size_t AcceptMonitor::MinorityAccepts(int quorum) const {
  size_t n = 0;
  for (const auto& [slot, acceptors] : applied_) {
    if (static_cast<int>(acceptors.size()) < quorum) ++n;
  }
  return n;
}

}  // namespace gryadka::sim
