// Decoding of gryadka.v1 requests from their wire bytes, with errors a client can act on.
//
// The service takes every request as raw bytes (grpc::ByteBuffer) instead of letting gRPC
// parse it, because a failed parse inside gRPC answers with no message at all (and proto3
// `string` parsing fails on a key that is not UTF-8, logging a plain-text protobuf error line).
// Here every way a request can be malformed becomes INVALID_ARGUMENT whose message says what
// was wrong (docs/protocol.md, "Keys on the wire"; docs/reliability.md has the full table):
//   - the key (field 1 of every request) is not UTF-8: the byte offset of the first bad byte;
//   - the bytes are not protobuf wire format (truncated, bad tag, bad length): where it broke;
//   - a field this server does not know, or a known field sent with another wire type (protobuf
//     would keep both as "unknown fields" and silently ignore them): its number and type.
//     A change or query op message whose oneof is unset is left to core::ValidateRequest, which
//     names the unknown op number and the ops this server knows.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace gryadka::server {

// Offset of the first byte of `bytes` that does not start a valid UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF); nullopt when all of `bytes` is valid.
std::optional<size_t> FirstInvalidUtf8Offset(absl::string_view bytes);

// Parses `wire` (a serialized request whose field 1 is the string key) into `*out`. Returns OK,
// or INVALID_ARGUMENT naming the problem (see above). Never logs.
absl::Status ParseRequest(absl::string_view wire, google::protobuf::Message* out);

}  // namespace gryadka::server
