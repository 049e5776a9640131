// Wire conventions shared by the proposer and the clients, beyond the messages in kv.proto.
#pragma once

namespace gryadka::v1 {

// Trailing metadata key the proposer sets (value "1") on an UNAVAILABLE answer it produced
// itself: no acceptor quorum answered and NOTHING was written, so any call may be retried. An
// UNAVAILABLE without it may come from the transport after the request left (a connection
// dropped mid-call): a change's outcome is then unknown. Clients in other languages can read it
// the same way.
inline constexpr char kNothingWrittenMetadataKey[] = "gryadka-nothing-written";

}  // namespace gryadka::v1
