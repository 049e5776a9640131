// gryadka::Client — the C++ client of the gryadka.v1.KV service.
//
// Results are plain C++ structs (Record, GetResult, ChangeResult, ...), not protos; only the
// generic ChangeQuery takes the registered ops as the proto messages gryadka::v1::ChangeOp and
// gryadka::v1::QueryOp, because the op set lives in the proto (README.md, "API").
//
// A precondition that does not hold (stale CAS version, increment of a non-integer) is a result
// with applied=false, never an error. Errors are absl::Status with the server's gRPC code:
//   INVALID_ARGUMENT   bad request (empty or oversized key or value, unset op).
//   UNAVAILABLE        no proposer or no acceptor quorum answered; nothing was written.
//   DEADLINE_EXCEEDED  the call's deadline passed; a change may or may not have been applied.
//   ABORTED            a change's outcome is unknown; read the key before retrying.
//   others             as documented in proto/gryadka/v1/kv.proto.
// Error messages end with "[target T, attempt A of M]" naming the proposer that answered last.
//
// Routing (key affinity): with several targets every key is routed to one proposer by
// rendezvous hashing (client/rendezvous.h), so the proposer's one-round-trip cache serves it;
// when that proposer is UNAVAILABLE the call fails over to the key's next target. Correctness
// never depends on routing.
//
// Retries: only of errors that are safe to retry (client/retry.h): UNAVAILABLE for any call;
// DEADLINE_EXCEEDED and ABORTED for pure reads only. At most 1 + retry_attempts_max attempts,
// with jittered exponential backoff, all within the call's single deadline.
//
// Thread-safety: a Client is safe for concurrent use from any number of threads; all methods
// are const. It holds one gRPC channel per target, created in Create() and kept until the
// Client is destroyed. Calls are synchronous (they block the calling thread).
//
// TLS: with ClientOptions::tls set, every channel speaks TLS (client/tls.h); the PEM files are
// read once, in Create().
//
// Installed API: this header, client/resolver.h, client/tls_options.h and the generated
// gryadka/v1/kv.pb.h are what `cmake --install` puts under <prefix>/include/gryadka (library
// gryadka::client, pkg-config gryadka-client; docs/clients.md, "C++: install and link").
// Nothing here includes the internal headers (retry.h, resolve.h, rendezvous.h, tls.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/resolver.h"
#include "client/tls_options.h"
#include "gryadka/v1/kv.pb.h"

namespace gryadka {
namespace client {
enum class CallKind;  // client/retry.h
class Jitter;         // client/retry.h
class Rendezvous;     // client/rendezvous.h
}  // namespace client

struct ClientOptions {
  // Proposers, each "host:port" ("[::1]:8080" for IPv6), or gRPC target URIs such as
  // "dns:///gryadka.example:8080" or "unix:/path". A dns: name is resolved once, in Create(),
  // into one target per address (e.g. every pod of a Kubernetes headless Service), so that keys
  // are spread over all of them; a name that does not resolve then stays one channel that gRPC
  // keeps resolving. Create a new Client to pick up a changed set of addresses.
  // REQUIRES: at least one target, no duplicates.
  std::vector<std::string> targets;
  // Resolves dns: targets in Create(); empty = the system resolver (getaddrinfo).
  client::Resolver resolver;
  // Deadline of a call (all of its attempts together) when CallOptions does not set one.
  int64_t default_deadline_ms = 5000;
  // How many times a failed call may be sent again after the first attempt (0 = never).
  int retry_attempts_max = 3;
  // Backoff before retry n is uniform in [cap/2, cap], cap = min(max, initial * 2^n).
  int64_t retry_backoff_initial_ms = 20;
  int64_t retry_backoff_max_ms = 1000;
  // Largest request or response message, in bytes (gRPC's default is 4 MiB; enough for the
  // proposer's default --max_value_bytes of 1 MiB). A larger request is INVALID_ARGUMENT before
  // anything is sent.
  int64_t max_message_bytes = 4 * 1024 * 1024;
  // Upper bound of gRPC's reconnect backoff toward a target that went away, so a restarted
  // proposer is used again soon.
  int64_t reconnect_backoff_max_ms = 2000;
  // TLS for every channel (docs/security.md); unset = plaintext. Create() returns
  // INVALID_ARGUMENT naming the field and file when a file cannot be read.
  using TlsOptions = gryadka::TlsOptions;
  std::optional<TlsOptions> tls;
};

struct CallOptions {
  // Deadline of this call in milliseconds from now; 0 = ClientOptions::default_deadline_ms.
  int64_t deadline_ms = 0;
};

// The state of one key. version 0 means absent (then value is empty).
struct Record {
  std::string value;
  uint64_t version = 0;
};

struct GetResult {
  bool found = false;  // false: the key is absent (record.version == 0)
  Record record;
};

// Put, CompareAndSet and Delete. `record` is the state after the call: the new record when
// applied, the unchanged current record when declined. Put is always applied.
struct ChangeResult {
  bool applied = false;
  Record record;
  std::string decline_reason;  // why the change declined, in words; empty when applied
};

struct IncrementResult {
  bool applied = false;  // false: the stored value is not a decimal int64 or would overflow
  int64_t value = 0;     // the number after the increment; meaningless when !applied
  Record record;
  std::string decline_reason;  // why it declined, in words; empty when applied
};

// Result of the generic ChangeQuery. Exactly what the query op asked for is set: RecordQuery ->
// record, VersionQuery -> version, NoneQuery -> neither.
struct ChangeQueryResult {
  bool applied = false;
  std::string decline_reason;  // why the change declined, in words; empty when applied
  std::optional<Record> record;
  std::optional<uint64_t> version;
};

// Health of one target (grpc.health.v1 Check of service "gryadka.v1.KV").
struct TargetHealth {
  std::string target;
  // "SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN"; empty when the check itself failed.
  std::string serving_status;
  // OK iff SERVING; otherwise why not (the RPC's error, or UNAVAILABLE "... NOT_SERVING").
  absl::Status status;
};

class Client {
 public:
  // Validates `options` and creates one channel per target. Does not connect yet (gRPC connects
  // on the first call). Returns INVALID_ARGUMENT naming the bad option or target.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Reads the key. Absent keys are a result (found=false), not an error. Retried as a read.
  absl::StatusOr<GetResult> Get(absl::string_view key, const CallOptions& call = {}) const;

  // Sets the value unconditionally; returns the new record.
  absl::StatusOr<ChangeResult> Put(absl::string_view key, absl::string_view value,
                                   const CallOptions& call = {}) const;

  // Sets the value only if the key's version equals expected_version (0 = only if absent).
  absl::StatusOr<ChangeResult> CompareAndSet(absl::string_view key, uint64_t expected_version,
                                             absl::string_view value,
                                             const CallOptions& call = {}) const;

  // Adds delta to the value read as a decimal int64 (absent counts as 0).
  absl::StatusOr<IncrementResult> Increment(absl::string_view key, int64_t delta,
                                            const CallOptions& call = {}) const;

  // Makes the key absent; with expected_version, only if the version equals it.
  absl::StatusOr<ChangeResult> Delete(absl::string_view key,
                                      std::optional<uint64_t> expected_version = std::nullopt,
                                      const CallOptions& call = {}) const;

  // The generic call: applies `change` and answers `query` applied to the new state. Retried as
  // a read when `change` is the read (identity) op, otherwise as a change.
  absl::StatusOr<ChangeQueryResult> ChangeQuery(absl::string_view key,
                                                const v1::ChangeOp& change,
                                                const v1::QueryOp& query,
                                                const CallOptions& call = {}) const;

  // Checks every target concurrently (no retries). OK when every target is SERVING; otherwise
  // the first failing target's status with its name prepended.
  absl::Status Health(const CallOptions& call = {}) const;

  // Per-target detail of Health(), in the order of ClientOptions::targets.
  std::vector<TargetHealth> CheckTargets(const CallOptions& call = {}) const;

  // The targets in the order `key` uses them: [0] serves it, the rest are its failover order.
  std::vector<std::string> RankTargets(absl::string_view key) const;

  const ClientOptions& options() const { return options_; }

 private:
  struct Endpoint;  // one target's channel and stubs (client.cc)
  struct Attempt;   // one RPC attempt, type-erased (client.cc)

  Client(ClientOptions options, std::vector<std::unique_ptr<Endpoint>> endpoints);

  // Runs `attempt` against the key's targets with the retry rule of `kind` until it succeeds,
  // fails for good, runs out of attempts, or the call's deadline would pass.
  absl::Status Run(absl::string_view key, client::CallKind kind, const CallOptions& call,
                   const Attempt& attempt) const;

  // now + the call's deadline; INVALID_ARGUMENT when CallOptions::deadline_ms is out of range.
  absl::StatusOr<absl::Time> Deadline(const CallOptions& call) const;

  const ClientOptions options_;
  const std::vector<std::unique_ptr<Endpoint>> endpoints_;  // parallel to options_.targets
  const std::unique_ptr<const client::Rendezvous> rendezvous_;  // over options_.targets
  const std::unique_ptr<client::Jitter> jitter_;  // thread-safe; backoff randomness
};

}  // namespace gryadka
