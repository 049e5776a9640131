// The pure half of request forwarding (docs/performance.md, "Any proposer at full speed"): which
// proposer owns a key, and the key of a request read straight from its wire bytes.
//
// Proposers that know their peers (--peers) rank them for every key by rendezvous hashing
// (client/rendezvous.h), the same function and the same target strings the C++ client and
// gryadka-bench use for key affinity, so a client that routes by key never causes a forward and
// a client that does not is corrected in one hop. Correctness never depends on it: any proposer
// may serve any key (CASPaxos); the owner only keeps the key's 1-RTT promise hot.
//
// Thread-safety: pure functions; PeerRing is immutable after construction.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/rendezvous.h"

namespace gryadka::server {

// Metadata key that marks a call forwarded by another proposer (value: the sender's
// --advertise). A call carrying it is always served where it arrives, never forwarded again.
inline constexpr char kForwardedMetadataKey[] = "gryadka-forwarded-by";
// In the initial metadata an owner sends when it takes a Peer/Forward stream. A stream refused
// without it — gRPC's trailers-only answer, e.g. while the owner shuts down, also completes the
// sender's wait for initial metadata — carries no call: the sender writes nothing on it, and
// serves the calls it held locally.
inline constexpr char kStreamTakenMetadataKey[] = "gryadka-stream-taken";

// Most peers a proposer keeps (the --peers list after dns: expansion, itself included); a longer
// list is refused and the proposer serves every key itself until it shrinks.
inline constexpr size_t kPeersMax = 256;

// The key (field 1, a length-delimited string) of a serialized gryadka.v1 request, by the
// protobuf rule that the last occurrence wins; nullopt when `wire` is not well-formed protobuf
// wire format or has no key. No UTF-8 or size check: the server that serves the request does
// those (request_wire.h), so forwarding never changes the answer to a malformed request.
std::optional<absl::string_view> RequestKey(absl::string_view wire);

// The --peers list split into its elements: HOST:PORT, ipv4:/ipv6: targets, or dns:[//auth/]
// HOST:PORT names to resolve (client/resolve.h). INVALID_ARGUMENT naming the element when one is
// empty or has no port, or when there are more than kPeersMax.
absl::StatusOr<std::vector<std::string>> ParsePeerList(absl::string_view list);

// `target` without a leading "ipv4:" or "ipv6:" scheme, so that --advertise=10.0.0.7:8080 names
// the peer "ipv4:10.0.0.7:8080" a dns: name expanded to.
absl::string_view AddressOfTarget(absl::string_view target);

// The peers of one moment, ranked per key.
class PeerRing {
 public:
  // `peers`: targets as clients name them (after dns: expansion); `advertise`: this proposer's
  // own address, compared with each peer by AddressOfTarget(). REQUIRES: no duplicates.
  PeerRing(std::vector<std::string> peers, const std::string& advertise);

  // True when forwarding can run: this proposer is in the list and it has another peer. When
  // false (a stale or partial list, e.g. DNS that does not list this proposer yet) every key is
  // served locally, since clients and peers may rank over a different set.
  bool usable() const { return self_.has_value() && peers_.size() >= 2; }
  bool self_listed() const { return self_.has_value(); }
  // The index of the key's owner in peers(). REQUIRES: !peers().empty().
  size_t Owner(absl::string_view key) const { return ring_->Pick(key); }
  bool IsSelf(size_t index) const { return self_.has_value() && *self_ == index; }
  const std::vector<std::string>& peers() const { return peers_; }

 private:
  std::vector<std::string> peers_;
  std::optional<size_t> self_;
  std::optional<client::Rendezvous> ring_;
};

// Where a call goes: the index in ring.peers() of the owner to forward it to, or nullopt to
// serve it here — when it carries kForwardedMetadataKey (`marked`: it was forwarded once
// already), when the ring is not usable(), when the key could not be read, or when this
// proposer owns the key.
std::optional<size_t> ForwardTarget(bool marked, const PeerRing& ring,
                                    std::optional<absl::string_view> key);

}  // namespace gryadka::server
