#include "proposer/core/ballot.h"

#include <cstdio>

namespace gryadka::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void PutHex64(uint64_t v, char* out) {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xf];
    v >>= 4;
  }
}

bool ParseHex64(std::string_view s, uint64_t* out) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string Ballot::Encode() const {
  std::string s(kEncodedBallotBytes, '0');
  PutHex64(counter, s.data());
  PutHex64(proposer_id, s.data() + 16);
  return s;
}

std::optional<Ballot> Ballot::Decode(std::string_view s) {
  if (s.size() != kEncodedBallotBytes) return std::nullopt;
  Ballot b;
  if (!ParseHex64(s.substr(0, 16), &b.counter)) return std::nullopt;
  if (!ParseHex64(s.substr(16, 16), &b.proposer_id)) return std::nullopt;
  return b;
}

std::string Ballot::DebugString() const {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%llx.%llx", static_cast<unsigned long long>(counter),
                static_cast<unsigned long long>(proposer_id));
  return buf;
}

}  // namespace gryadka::core
