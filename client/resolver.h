// gryadka::client::Resolver — how ClientOptions::resolver turns a dns: target's host into
// addresses (part of the installed public API, included by client/client.h). The system
// resolver and the expansion of dns: targets are internal (client/resolve.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gryadka::client {

// Resolves `host` to gRPC target URIs with `port`: "ipv4:10.0.0.7:8080", "ipv6:[fd00::7]:8080".
// Returns an error status when the name does not resolve; the target then stays one channel.
// Called only from Client::Create(), on the calling thread.
using Resolver = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host,
                                                                        const std::string& port)>;

}  // namespace gryadka::client
