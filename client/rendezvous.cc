#include "client/rendezvous.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace gryadka::client {
namespace {

uint64_t Mix(uint64_t z) {  // splitmix64 finalizer
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Reads up to 8 bytes as a little-endian word, independent of the host's byte order.
uint64_t LoadLittleEndian(absl::string_view bytes) {
  uint64_t word = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    word |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return word;
}

}  // namespace

uint64_t Hash64(absl::string_view bytes, uint64_t seed) {
  uint64_t h = Mix(seed ^ (static_cast<uint64_t>(bytes.size()) * 0xff51afd7ed558ccdULL));
  while (!bytes.empty()) {
    const absl::string_view chunk = bytes.substr(0, 8);
    h = Mix(h ^ Mix(LoadLittleEndian(chunk)));
    bytes.remove_prefix(chunk.size());
  }
  return Mix(h);
}

Rendezvous::Rendezvous(std::vector<std::string> targets) : targets_(std::move(targets)) {
  seeds_.reserve(targets_.size());
  for (const std::string& t : targets_) seeds_.push_back(Hash64(t, 0));
}

uint64_t Rendezvous::Score(absl::string_view key, size_t target_index) const {
  return Hash64(key, seeds_[target_index]);
}

bool Rendezvous::Outranks(uint64_t score_a, size_t a, uint64_t score_b, size_t b) const {
  if (score_a != score_b) return score_a > score_b;
  return targets_[a] < targets_[b];
}

std::vector<size_t> Rendezvous::Rank(absl::string_view key) const {
  std::vector<uint64_t> scores(targets_.size());
  for (size_t i = 0; i < targets_.size(); ++i) scores[i] = Score(key, i);
  std::vector<size_t> order(targets_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return Outranks(scores[a], a, scores[b], b); });
  return order;
}

size_t Rendezvous::Pick(absl::string_view key) const {
  size_t best = 0;
  uint64_t best_score = Score(key, 0);
  for (size_t i = 1; i < targets_.size(); ++i) {
    const uint64_t score = Score(key, i);
    if (Outranks(score, i, best_score, best)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

}  // namespace gryadka::client
