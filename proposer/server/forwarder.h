// Forwarding a KV call to the proposer that owns its key (docs/performance.md, "Any proposer at
// full speed"): a proposer started with --peers hands a call whose key another peer owns
// (rendezvous hashing, proposer/server/forward_route.h) to that owner in ONE hop, passing the
// request bytes unchanged and the owner's answer (response bytes, status, trailing metadata)
// back unchanged. Contending proposers would otherwise steal each other's 1-RTT promises on
// every call for keys clients spread over them.
//
// It never changes what a client observes except latency:
//   - a call carrying kForwardedMetadataKey is served where it arrives (no second hop, no loop);
//   - it forwards only over a connected (READY) channel, under the in-flight bound, with a peer
//     list that names this proposer; otherwise the call is served locally at once;
//   - when the owner answers UNAVAILABLE with the "nothing written" marker, or the forwarded Get
//     fails UNAVAILABLE, the call is served locally (nothing was written);
//   - a change whose forward fails UNAVAILABLE without that marker (the connection broke after
//     the request left: the owner may have applied it) is answered UNAVAILABLE without the
//     marker, "outcome unknown" — exactly what the client sees when its own connection to a
//     proposer breaks mid-call; serving it again here could apply it twice;
//   - the forward carries the caller's remaining deadline (cut to --max_deadline_ms,
//     --default_deadline_ms when absent) as its budget, which the owner keeps; a caller that
//     gives up earlier leaves the forward to run to its answer or that deadline, like a local
//     round; Stop() cancels the streams (and so the forwards in flight);
//   - forwards travel on long-lived gryadka.internal.Peer/Forward streams
//     (proto/gryadka/internal/forward.proto), one per (completion queue, owner), opened on first
//     use and again after one ends: the calls gathered while a write is in flight go out as one
//     message, and the owner batches its answers the same way, so a forward costs a few bytes on
//     an open stream, not a gRPC call of its own. Each stream lives on its queue's thread, where
//     the calls it carries are handled (ServerCall::completion_queue());
//   - no call is written to a stream before the owner has taken it (its initial metadata
//     arrived with kStreamTakenMetadataKey: a refusal answered with trailers only, as during the
//     owner's shutdown, also ends the wait for initial metadata, without the mark); calls
//     unanswered when a stream ends are served locally if they were never written, or the owner
//     ended the stream with status OK (its drain: it started none of them); otherwise they are
//     treated as a broken connection below;
//   - a request larger than kForwardCallBytesMax is served locally (a stream message carries up
//     to kForwardBatchBytesMax, never more than --max_request_bytes, which peers share);
//   - an owner that stops answering (frozen, partitioned) is dropped by keepalive within about
//     2 * kForwardKeepaliveMs; its forwards in flight then fail as above (a Get is served
//     here, a change answers "outcome unknown"), later calls are served here.
//
// Peers given as dns: names are resolved again every peers_refresh_ms on a thread of its own.
// Metrics (registered in the process's registry): gryadka_forward_calls_total{result},
// gryadka_forward_skipped_total{reason}, gryadka_forward_received_total,
// gryadka_forward_in_flight, gryadka_forward_peers, gryadka_forward_streams.
//
// Thread-safety: MaybeForward() and Stop() may be called from any thread, concurrently.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "client/resolve.h"
#include "client/tls_options.h"
#include "gryadka/internal/forward.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "proposer/server/forward_route.h"
#include "proposer/server/metrics.h"
#include "proposer/server/server_call.h"

namespace gryadka::server {

// Keepalive of the channels to peers while forwarded calls are in flight: a ping every
// kForwardKeepaliveMs, and a peer that does not answer one within kForwardKeepaliveMs (frozen,
// partitioned) loses its connection, so its in-flight forwards fail UNAVAILABLE and later calls
// for its keys are served locally. Proposers accept pings this often.
inline constexpr int64_t kForwardKeepaliveMs = 1000;

// Requests larger than this, in bytes, are served where they arrive (not forwarded).
inline constexpr size_t kForwardCallBytesMax = 64 * 1024;
// A stream message carries calls up to this many bytes (and never more than
// --max_request_bytes): the peer's gRPC refuses larger messages.
inline constexpr size_t kForwardBatchBytesMax = 256 * 1024;

// Bounds of the forwarding flags.
inline constexpr size_t kForwardInflightMaxMax = 1000000;
inline constexpr int64_t kPeersRefreshMsMin = 100;
inline constexpr int64_t kPeersRefreshMsMax = 3600 * 1000;

struct ForwardOptions {
  bool enabled = true;                 // --forward
  std::vector<std::string> peers;      // --peers, split (ParsePeerList); empty = no forwarding
  std::string advertise;               // --advertise: this proposer as named in the peer list
  size_t inflight_max = 4096;          // --forward_inflight_max: forwarded calls in flight
  int64_t peers_refresh_ms = 5000;     // --peers_refresh_ms: period of re-resolving dns: peers
  std::optional<TlsOptions> tls;       // --tls_peer_*: credentials of the channels to peers
  int64_t default_deadline_ms = 5000;  // ServerOptions: a call without a deadline gets this
  int64_t max_deadline_ms = 60000;     // ServerOptions: longer deadlines are cut to this
  size_t max_request_bytes = 1 << 20;  // ServerOptions: --max_request_bytes (the peers' too)
};

// INVALID_ARGUMENT naming the flag when --advertise is missing or not HOST:PORT while --peers is
// set, or --forward_inflight_max / --peers_refresh_ms are outside their bounds.
absl::Status CheckForwardOptions(const ForwardOptions& options);

class Forwarder {
 public:
  // Serves a call locally (and finishes it).
  using LocalServe = std::function<void(ServerCall* call)>;

  // REQUIRES: CheckForwardOptions(options).ok(). `registry` (may be null) must outlive the
  // Forwarder. dns: peers are resolved with `resolve` on the refresh thread, first right away
  // (every key is served locally until then). Errors: the peer TLS files (INVALID_ARGUMENT
  // naming the --tls_peer_* flag).
  static absl::StatusOr<std::unique_ptr<Forwarder>> Create(ForwardOptions options,
                                                           client::Resolver resolve,
                                                           LocalServe local,
                                                           prometheus::Registry* registry);
  ~Forwarder();  // stops the refresh thread; REQUIRES: no call of it in flight (server stopped)
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Forwards `call` to its key's owner, which answers it, and returns true; false when the
  // call is to be served locally by the caller, now.
  bool MaybeForward(ServerCall* call);

  // From now on, a forward that would fall back to local service is answered UNAVAILABLE with
  // the nothing-written marker instead, and the forwards in flight are cancelled (call before
  // stopping the shards).
  void Stop();

  // The peer list in use (after dns: expansion) and whether it names this proposer.
  std::vector<std::string> Peers() const;

 private:
  class Stream;
  struct PeerState;
  // A stream is keyed by its completion queue and its owner's channel.
  using StreamKey = std::pair<grpc::CompletionQueue*, const grpc::Channel*>;

  Forwarder(ForwardOptions options, client::Resolver resolve, LocalServe local,
            prometheus::Registry* registry, std::shared_ptr<grpc::ChannelCredentials> creds,
            grpc::ChannelArguments args);
  std::shared_ptr<const PeerState> State() const;
  // Re-resolves the peer list and installs it.
  void Refresh();
  // Makes `peers` the list in use if it differs from the current one (channels to peers that
  // stay are kept); a dns: element left unresolved gets no channel.
  void Install(std::vector<std::string> peers);
  void RefreshLoop();
  // The owner's answer to a forwarded call, or the end of its stream without one.
  void Answered(ServerCall* call, const internal::ForwardedAnswer& answer,
                const std::string& owner);
  void Unanswered(ServerCall* call, bool written, const grpc::Status& stream_status,
                  const std::string& owner);
  // `stream` ended: forget it (unless a newer one took its key).
  void StreamEnded(Stream* stream, const StreamKey& key);
  void ServeLocally(ServerCall* call);

  const ForwardOptions options_;
  const client::Resolver resolve_;
  const LocalServe local_;
  const std::shared_ptr<grpc::ChannelCredentials> creds_;
  const grpc::ChannelArguments channel_args_;
  std::unique_ptr<prometheus::Registry> own_registry_;  // when none is given

  mutable std::mutex mu_;
  std::shared_ptr<const PeerState> state_;  // guarded by mu_
  bool stopped_ = false;                    // guarded by mu_
  std::map<StreamKey, Stream*> streams_;    // guarded by mu_: the open streams
  bool stop_refresh_ = false;               // guarded by mu_
  std::condition_variable refresh_cv_;
  std::thread refresh_thread_;

  std::atomic<size_t> inflight_{0};
  prometheus::Counter* answered_ = nullptr;
  prometheus::Counter* served_locally_ = nullptr;
  prometheus::Counter* failed_ = nullptr;
  prometheus::Counter* skipped_not_connected_ = nullptr;
  prometheus::Counter* skipped_inflight_max_ = nullptr;
  prometheus::Counter* skipped_peers_stale_ = nullptr;
  prometheus::Counter* received_ = nullptr;
  prometheus::Gauge* inflight_gauge_ = nullptr;
  prometheus::Gauge* peers_gauge_ = nullptr;
  prometheus::Gauge* streams_gauge_ = nullptr;
  prometheus::Counter* skipped_large_ = nullptr;
};

}  // namespace gryadka::server
