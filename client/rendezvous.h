// Key affinity: rendezvous (highest-random-weight) hashing of keys over a set of targets.
//
// Every key ranks all targets by Hash64(key, seed(target)); the first target of the ranking
// serves the key and the rest are its failover order. Removing a target moves only the keys it
// served; adding one takes about 1/N of the keys from each other target. The hash is a fixed
// algorithm over bytes (little-endian 8-byte words, splitmix64 finalizer), never std::hash, so
// every process and platform routes a key to the same proposer — which is what makes the
// proposers' one-round-trip cache hit (docs/protocol.md).
//
// Thread-safety: immutable after construction; const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gryadka::client {

// A 64-bit hash of `bytes` under `seed`. Stable across processes, compilers and platforms.
uint64_t Hash64(absl::string_view bytes, uint64_t seed);

class Rendezvous {
 public:
  // REQUIRES: targets is not empty and has no duplicates.
  explicit Rendezvous(std::vector<std::string> targets);

  // Indexes into targets(), best first: [0] serves `key`, the rest are its failover order.
  // Ties (astronomically rare) are broken by the target string, never by memory order.
  std::vector<size_t> Rank(absl::string_view key) const;

  // Same as Rank(key)[0], without sorting.
  size_t Pick(absl::string_view key) const;

  const std::vector<std::string>& targets() const { return targets_; }

 private:
  uint64_t Score(absl::string_view key, size_t target_index) const;
  // True when target a outranks target b for a key with the given scores.
  bool Outranks(uint64_t score_a, size_t a, uint64_t score_b, size_t b) const;

  std::vector<std::string> targets_;
  std::vector<uint64_t> seeds_;  // seeds_[i] = Hash64(targets_[i], 0)
};

}  // namespace gryadka::client
