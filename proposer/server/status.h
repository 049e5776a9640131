// The one place where absl::Status (used everywhere inside) becomes grpc::Status (the wire).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace gryadka::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace gryadka::server
