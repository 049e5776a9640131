// The membership (gryadka.v1.Membership) a proposer process runs, shared by all its shards, and
// the process's acceptor registry: a stable core::AcceptorId per acceptor address, never reused
// within the process. docs/membership.md describes the procedure this serves.
//
// A new membership is adopted only when its epoch is higher than the running one (and, for
// SetMembership, when the caller's expected epoch matches). Every adoption is logged with its
// source and handed, in adoption order, to the listener (the shards' handover), so all shards
// switch together and in the same order.
//
// Thread-safe: every method may be called from any thread. The listener runs under the internal
// lock: it must not block and must not call back into this object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/core/config.h"

namespace gryadka::server {

// Distinct acceptor addresses one process may ever know (ids are never reused); a membership
// that would exceed it is refused with RESOURCE_EXHAUSTED (restart the proposer).
inline constexpr size_t kAcceptorAddressesMax = 1024;

// One adopted configuration, as every shard runs it. Immutable once published.
struct AppliedMembership {
  v1::Membership membership;
  std::string source;                  // "flags", "file PATH", "admin", "acceptor ADDRESS"
  std::vector<std::string> addresses;  // by AcceptorId: every address the process ever knew
  core::ProposerConfig config;         // the shard's core config for this membership
  // Ids of the membership's acceptors (prepare, accept and rescan_from sets), sorted.
  std::vector<core::AcceptorId> members;
};

class RunningMembership {
 public:
  using Listener = std::function<void(std::shared_ptr<const AppliedMembership>)>;

  // `base` = one shard's core config (timeouts, bounds; its sets are replaced). `known` =
  // addresses registered first, in order (ids 0..), e.g. the --acceptors list.
  // REQUIRES: ValidateServerMembership(initial).ok().
  RunningMembership(core::ProposerConfig base, const std::vector<std::string>& known,
                    const v1::Membership& initial, std::string source);

  // Called for every later adoption (not for the initial one). Set before any Adopt().
  void SetListener(Listener listener);

  std::shared_ptr<const AppliedMembership> Current() const;
  uint64_t epoch() const;

  // Adopts `membership` from `source` when its epoch is higher than the running one.
  //   INVALID_ARGUMENT     invalid membership (names the sets or the address);
  //   FAILED_PRECONDITION  expected_epoch given and != the running epoch (names both), or the
  //                        epoch is not higher than the running one (names both);
  //   RESOURCE_EXHAUSTED   kAcceptorAddressesMax would be exceeded.
  // Logs the change (info) with the source.
  absl::Status Adopt(const v1::Membership& membership, const std::string& source,
                     std::optional<uint64_t> expected_epoch = std::nullopt);

 private:
  core::AcceptorId IdOf(const std::string& address) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const AppliedMembership> Build(const v1::Membership& m, std::string source)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const core::ProposerConfig base_;
  // std::mutex (not absl::Mutex): ThreadSanitizer sees it (Debian's Abseil is uninstrumented).
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, core::AcceptorId> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const AppliedMembership> current_ ABSL_GUARDED_BY(mu_);
  Listener listener_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gryadka::server
