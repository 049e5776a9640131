// The one place where a grpc::Status becomes an absl::Status: everything inside
// the client speaks absl::Status; grpc::Status exists only at the RPC edge.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace gryadka::client {

// Same code (gRPC and absl share the canonical code numbering) and message. An unknown code
// number becomes UNKNOWN with the number in the message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace gryadka::client
