// Expanding DNS targets for key affinity: a name that resolves to several proposers (e.g. a
// Kubernetes headless Service) becomes one target per address, so rendezvous hashing can route
// each key to one of them. Thread-safe (no state).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/resolver.h"

namespace gryadka::client {

// The system resolver (getaddrinfo, blocking). Addresses are sorted and de-duplicated.
absl::StatusOr<std::vector<std::string>> ResolveWithGetaddrinfo(const std::string& host,
                                                                const std::string& port);

// Replaces every "dns:[//authority/]host:port" target by the per-address targets `resolve`
// returns for it; other targets stay as they are. A name that does not resolve stays as one
// target (gRPC keeps resolving it). Duplicates are dropped, first occurrence kept.
std::vector<std::string> ExpandDnsTargets(const std::vector<std::string>& targets,
                                          const Resolver& resolve);

}  // namespace gryadka::client
