// Ballots: (counter, proposer_id), ordered by counter then id. The zero ballot means "nothing
// promised / nothing accepted". Pure value type; thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gryadka::core {

struct Ballot {
  uint64_t counter = 0;
  uint64_t proposer_id = 0;

  bool IsZero() const { return counter == 0 && proposer_id == 0; }
  auto operator<=>(const Ballot&) const = default;
  bool operator==(const Ballot&) const = default;

  // Fixed-width lowercase hex, "%016x%016x" (32 chars), so that byte-wise string comparison
  // (Lua's `<` on strings) is the numeric order.
  std::string Encode() const;
  // Inverse of Encode. Returns nullopt unless `s` is exactly 32 lowercase hex digits.
  static std::optional<Ballot> Decode(std::string_view s);
  // For logs: "counter.proposer_id" in hex.
  std::string DebugString() const;
};

inline constexpr size_t kEncodedBallotBytes = 32;

}  // namespace gryadka::core
