// The 1-RTT promise cache (docs/protocol.md, "One round trip"): per key, the `next` ballot a
// prepare quorum promised with this proposer's last successful accept, and the register that
// accept wrote. A key's next round takes the entry out and accepts at `next` without a prepare.
//
// LRU, bounded by entries (entries_max) and by an estimate of the memory they hold (bytes_max).
// Every entry remembers the configuration epoch of the round that made it, and is never handed
// out under another epoch: the promise came from that epoch's prepare quorum. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "gryadka/internal/register.pb.h"
#include "proposer/core/ballot.h"

namespace gryadka::core {

// Fixed memory cost of one cache entry beyond its key, value and marks, in bytes.
inline constexpr size_t kCacheEntryOverheadBytes = 400;

struct CachedPromise {
  std::string key;
  Ballot next;
  internal::StoredRegister reg;
  uint64_t epoch = 0;  // of the round whose accept collected the promise
  size_t bytes = 0;    // PromiseCache::EntryBytes, set by Put
};

class PromiseCache {
 public:
  PromiseCache(size_t entries_max, size_t bytes_max)
      : entries_max_(entries_max), bytes_max_(bytes_max) {}

  // Removes the key's entry and returns it if it was made under `epoch`; an entry of another
  // epoch is removed and nullopt returned. Nullopt when there is none.
  std::optional<CachedPromise> Take(const std::string& key, uint64_t epoch);

  // Stores `entry` (replacing the key's entry) as the most recent, then evicts least recently
  // used entries while over a bound. Stores nothing when entries_max is 0. Returns how many
  // entries were evicted.
  size_t Put(CachedPromise entry);

  void Clear();
  // New bounds; evicts least recently used entries while over one. Returns how many.
  size_t SetBounds(size_t entries_max, size_t bytes_max);

  size_t size() const { return index_.size(); }
  size_t bytes() const { return bytes_; }

  // What an entry really costs in memory: the key twice (list node and index), the parsed
  // register (value, marks), and the list/index/protobuf overheads (measured: ~440 bytes for a
  // short key and a 16-byte value; docs/performance.md).
  static size_t EntryBytes(const std::string& key, const internal::StoredRegister& reg);

  // OK, or INTERNAL naming the inconsistency: index and list disagree, byte total differs from
  // the sum of the entries, an entry's bytes differ from EntryBytes, over a bound, an entry of
  // an epoch above `epoch_max` (the caller's running epoch).
  absl::Status CheckInvariants(uint64_t epoch_max = UINT64_MAX) const;

 private:
  size_t EvictOverBounds();

  size_t entries_max_;
  size_t bytes_max_;
  std::list<CachedPromise> lru_;  // front = most recent
  absl::flat_hash_map<std::string, std::list<CachedPromise>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace gryadka::core
