// One proposer's gryadka.v1.Admin service (proto/gryadka/v1/admin.proto) as gryadkactl
// membership uses it: an interface, so the membership driver can be tested without a server,
// and its gRPC implementation.
//
// Every call returns the server's status converted to absl::Status (client/grpc_status.h), with
// the proposer's name prepended to the message. Thread-compatible: one caller at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/tls_options.h"
#include "gryadka/v1/admin.pb.h"

namespace gryadka::ctl {

// Bound on the silence of a Rescan stream: the server streams progress about once a second, so
// a stream quiet for this long is cancelled (and resumed from its last cursor).
inline constexpr int64_t kRescanStallMs = 30000;

class ProposerAdmin {
 public:
  virtual ~ProposerAdmin() = default;
  // How messages name this proposer (its target, e.g. "127.0.0.1:8080").
  virtual const std::string& name() const = 0;

  virtual absl::StatusOr<v1::GetMembershipResponse> GetMembership(int64_t deadline_ms) = 0;
  virtual absl::StatusOr<v1::SetMembershipResponse> SetMembership(
      const v1::SetMembershipRequest& request, int64_t deadline_ms) = 0;
  virtual absl::StatusOr<v1::FenceAcceptorsResponse> FenceAcceptors(
      const v1::FenceAcceptorsRequest& request, int64_t deadline_ms) = 0;
  // Runs a Rescan stream, calling `on_progress` for every message. OK once a message with
  // done = true arrived; otherwise the stream's error (UNAVAILABLE for a stream that ended
  // without done, DEADLINE_EXCEEDED for one silent for kRescanStallMs).
  virtual absl::Status Rescan(const v1::RescanRequest& request,
                              const std::function<void(const v1::RescanProgress&)>& on_progress) = 0;
};

// A ProposerAdmin over a gRPC channel to `target` (host:port or a gRPC target URI such as
// "ipv4:10.0.0.7:8080"), plaintext or with `tls` (client/tls.h). Does not connect until the
// first call. Returns INVALID_ARGUMENT naming the --tls_* flag and file when a TLS file cannot
// be read.
absl::StatusOr<std::unique_ptr<ProposerAdmin>> NewGrpcProposerAdmin(
    const std::string& target, const std::optional<TlsOptions>& tls = std::nullopt);

}  // namespace gryadka::ctl
