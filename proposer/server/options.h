// Proposer server options (from flags) and their translation into a core configuration.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "acceptor_adapter/redis_auth.h"
#include "proposer/core/config.h"

namespace gryadka::server {

struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  std::vector<HostPort> acceptors;          // all acceptors this proposer talks to
  std::vector<HostPort> prepare_acceptors;  // empty = all
  int prepare_quorum = 0;                   // 0 = majority of the prepare set
  std::vector<HostPort> accept_acceptors;   // empty = all
  int accept_quorum = 0;                    // 0 = majority of the accept set
  uint32_t proposer_id = 0;                 // 0 = random; shows in logs and in ballots
  std::string redis_prefix = "gryadka:";
  int64_t acceptor_timeout_ms = 500;
  int64_t straggler_timeout_ms = 10;  // see core::ProposerConfig::straggler_timeout_ms
  bool accept_quorum_first = true;    // see core::ProposerConfig::accept_quorum_first
  int64_t accept_hedge_ms = 10;       // see core::ProposerConfig::accept_hedge_ms
  size_t max_value_bytes = 1 << 20;
  size_t max_key_bytes = 1024;
  size_t max_request_bytes = 0;   // gRPC's receive limit; 0 = DefaultMaxRequestBytes()
  int io_threads = 1;
  int64_t default_deadline_ms = 5000;  // for calls that carry no deadline
  int64_t max_deadline_ms = 60000;     // longer deadlines are cut to this
  int64_t drain_timeout_ms = 10000;    // SIGTERM: wait this long for in-flight calls
  size_t cache_entries_max = 1000000;  // 1-RTT promise cache, per process (split over shards)
  size_t cache_bytes_max = 512u << 20;
  size_t requests_max = 100000;        // in flight per process (split over shards)
  bool one_rtt = true;
  size_t redis_batch_calls_max = 64;   // calls of one loop turn per Redis script run (1 = off)
  // Membership (docs/membership.md): a proto3 JSON gryadka.v1.Membership instead of the
  // acceptor flags, polled for a higher epoch every membership_file_poll_ms.
  std::string membership_file;
  int64_t membership_file_poll_ms = 1000;
  // Admin.Rescan: keys being rewritten at once, and the default rate (0 = unlimited).
  size_t rescan_inflight_max = 256;
  uint64_t rescan_keys_per_second = 10000;
  // Admin.FenceAcceptors / Rescan: connect and per-command timeout of the blocking Redis admin
  // connections, per acceptor.
  int64_t admin_redis_timeout_ms = 2000;
  // AUTH on every Redis connection (--redis_user, --redis_password_file or the environment
  // variable GRYADKA_REDIS_PASSWORD; docs/redis-auth.md). Default: none.
  acceptor::RedisCredentialSource redis_credentials;
};

// Bounds of the membership and rescan options (checked by CheckMembershipOptions).
inline constexpr int64_t kMembershipFilePollMsMin = 10;
inline constexpr int64_t kMembershipFilePollMsMax = 3600 * 1000;
inline constexpr size_t kRescanInflightMax = 65536;

// Room for a request's protobuf framing beyond its key and value, in bytes (generous: the
// envelope of the largest request is under 32 bytes).
inline constexpr size_t kRequestOverheadBytes = 64 * 1024;
// Largest --max_request_bytes (gRPC takes an int; a bound well below it keeps memory sane).
inline constexpr size_t kMaxRequestBytesMax = size_t{1} << 30;

// The transport bound when --max_request_bytes is 0: 4 * max_value_bytes + max_key_bytes +
// kRequestOverheadBytes, so a value up to 4x over the limit still reaches the proposer's own
// validation (INVALID_ARGUMENT naming the limit) instead of gRPC's RESOURCE_EXHAUSTED.
size_t DefaultMaxRequestBytes(size_t max_value_bytes, size_t max_key_bytes);
// The largest valid request: max_value_bytes + max_key_bytes + kRequestOverheadBytes.
size_t MinMaxRequestBytes(size_t max_value_bytes, size_t max_key_bytes);

// Parses "host:port[,host:port...]". Errors name the bad element.
absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view list);
absl::StatusOr<HostPort> ParseHostPort(absl::string_view s);

// Resolves max_request_bytes (0 = the default) and checks it lies in
// MinMaxRequestBytes()..kMaxRequestBytesMax; errors (INVALID_ARGUMENT) name the flag and both
// bounds. REQUIRES: max_value_bytes and max_key_bytes already checked.
absl::Status ResolveMaxRequestBytes(ServerOptions* options);

// Checks the options and builds the core configuration for ONE shard of `options.io_threads`.
// Errors (INVALID_ARGUMENT) name the flag at fault.
absl::StatusOr<core::ProposerConfig> BuildCoreConfig(const ServerOptions& options);

// Like BuildCoreConfig, without the acceptor flags (the acceptor sets of the result are the
// defaults, to be replaced by core::ApplyMembership): for a proposer started from
// --membership_file.
absl::StatusOr<core::ProposerConfig> BuildCoreConfigBase(const ServerOptions& options);

// Checks --membership_file (exclusive with --acceptors and its subset/quorum flags),
// --membership_file_poll_ms, --rescan_inflight_max and --admin_redis_timeout_ms. Errors
// (INVALID_ARGUMENT) name the flag and its bounds.
absl::Status CheckMembershipOptions(const ServerOptions& options);

}  // namespace gryadka::server
