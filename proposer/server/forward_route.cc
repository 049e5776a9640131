#include "proposer/server/forward_route.h"

#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gryadka::server {
namespace {

// Reads a base-128 varint at *pos; false when truncated or longer than 10 bytes.
bool ReadVarint(absl::string_view wire, size_t* pos, uint64_t* out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= wire.size()) return false;
    const auto byte = static_cast<unsigned char>(wire[(*pos)++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return false;
}

// Skips the value of a field of `wire_type` at *pos; false when it does not fit.
bool SkipValue(absl::string_view wire, size_t* pos, uint64_t wire_type) {
  uint64_t n = 0;
  switch (wire_type) {
    case 0:
      return ReadVarint(wire, pos, &n);
    case 1:
      n = 8;
      break;
    case 5:
      n = 4;
      break;
    case 2:
      if (!ReadVarint(wire, pos, &n)) return false;
      break;
    default:  // groups and invalid wire types: not in gryadka.v1 requests
      return false;
  }
  if (n > wire.size() - *pos) return false;
  *pos += n;
  return true;
}

}  // namespace

std::optional<absl::string_view> RequestKey(absl::string_view wire) {
  std::optional<absl::string_view> key;
  size_t pos = 0;
  while (pos < wire.size()) {
    uint64_t tag = 0;
    if (!ReadVarint(wire, &pos, &tag)) return std::nullopt;
    const uint64_t field = tag >> 3, wire_type = tag & 7;
    if (field == 1 && wire_type == 2) {
      uint64_t n = 0;
      if (!ReadVarint(wire, &pos, &n) || n > wire.size() - pos) return std::nullopt;
      key = wire.substr(pos, n);
      pos += n;
    } else if (field == 0 || !SkipValue(wire, &pos, wire_type)) {
      return std::nullopt;
    }
  }
  return key;
}

absl::StatusOr<std::vector<std::string>> ParsePeerList(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--peers: empty element in '", list, "'"));
    }
    const size_t colon = part.rfind(':');
    if (colon == absl::string_view::npos || colon + 1 == part.size() ||
        absl::EndsWith(part.substr(0, colon), "dns")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--peers: '", part, "' is not HOST:PORT or dns:///HOST:PORT"));
    }
    out.emplace_back(part);
    if (out.size() > kPeersMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("--peers: more than ", kPeersMax, " elements"));
    }
  }
  return out;
}

absl::string_view AddressOfTarget(absl::string_view target) {
  if (absl::ConsumePrefix(&target, "ipv4:")) return target;
  absl::ConsumePrefix(&target, "ipv6:");
  return target;
}

PeerRing::PeerRing(std::vector<std::string> peers, const std::string& advertise)
    : peers_(std::move(peers)) {
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (AddressOfTarget(peers_[i]) == AddressOfTarget(advertise)) self_ = i;
  }
  if (!peers_.empty()) ring_.emplace(peers_);
}

std::optional<size_t> ForwardTarget(bool marked, const PeerRing& ring,
                                    std::optional<absl::string_view> key) {
  if (marked || !ring.usable() || !key.has_value()) return std::nullopt;
  const size_t owner = ring.Owner(*key);
  if (ring.IsSelf(owner)) return std::nullopt;
  return owner;
}

}  // namespace gryadka::server
