#include "proposer/server/forward_route.h"

#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace gryadka::server {

// Walks the fields with protobuf's own reader, as request_wire.cc does.
std::optional<absl::string_view> RequestKey(absl::string_view wire) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  std::optional<absl::string_view> key;
  while (static_cast<size_t>(in.CurrentPosition()) < wire.size()) {
    const uint32_t tag = in.ReadTag();
    if (WireFormatLite::GetTagFieldNumber(tag) == 0) return std::nullopt;  // 0: no valid tag
    if (tag != WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    uint32_t n = 0;
    if (!in.ReadVarint32(&n)) return std::nullopt;
    const size_t payload = static_cast<size_t>(in.CurrentPosition());
    if (n > wire.size() - payload) return std::nullopt;
    key = wire.substr(payload, n);
    in.Skip(static_cast<int>(n));
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
