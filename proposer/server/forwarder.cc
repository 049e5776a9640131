#include "proposer/server/forwarder.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/tls.h"
#include "gryadka/v1/wire.h"
#include "proposer/server/logging.h"
#include "proposer/server/options.h"

namespace gryadka::server {
namespace {

// Method paths, static: gRPC keeps a pointer to the path for the call's lifetime.
const std::string& MethodPath(Method method) {
  static const std::string kPaths[] = {
      "/gryadka.v1.KV/ChangeQuery",   "/gryadka.v1.KV/Get",       "/gryadka.v1.KV/Put",
      "/gryadka.v1.KV/CompareAndSet", "/gryadka.v1.KV/Increment", "/gryadka.v1.KV/Delete"};
  return kPaths[static_cast<int>(method)];
}

constexpr client::TlsFileNames kPeerTlsNames = {"--tls_peer_ca_file", "--tls_peer_cert_file",
                                                "--tls_peer_key_file"};

bool IsDnsTarget(const std::string& target) { return absl::StartsWith(target, "dns:"); }

bool NothingWritten(const grpc::ClientContext& ctx) {
  const auto& trailers = ctx.GetServerTrailingMetadata();
  return trailers.find(v1::kNothingWrittenMetadataKey) != trailers.end();
}

// Copies the owner's custom metadata (not gRPC's own "grpc-*" keys) onto the caller's answer.
void PassMetadata(const grpc::ClientContext& from, ServerCall* to) {
  for (const auto& [key, value] : from.GetServerInitialMetadata()) {
    if (!absl::StartsWith(absl::string_view(key.data(), key.size()), "grpc-")) {
      to->AddInitialMetadata(std::string(key.data(), key.size()),
                             std::string(value.data(), value.size()));
    }
  }
  for (const auto& [key, value] : from.GetServerTrailingMetadata()) {
    if (!absl::StartsWith(absl::string_view(key.data(), key.size()), "grpc-")) {
      to->AddTrailingMetadata(std::string(key.data(), key.size()),
                              std::string(value.data(), value.size()));
    }
  }
}

}  // namespace

absl::Status CheckForwardOptions(const ForwardOptions& o) {
  if (!o.peers.empty()) {
    if (o.advertise.empty()) {
      return absl::InvalidArgumentError(
          "--peers needs --advertise=HOST:PORT: this proposer's address as the peer list (and "
          "the clients) name it");
    }
    if (absl::StatusOr<HostPort> hp = ParseHostPort(AddressOfTarget(o.advertise)); !hp.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--advertise: ", hp.status().message()));
    }
  }
  if (o.inflight_max < 1 || o.inflight_max > kForwardInflightMaxMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--forward_inflight_max must be in 1..", kForwardInflightMaxMax));
  }
  if (o.peers_refresh_ms < kPeersRefreshMsMin || o.peers_refresh_ms > kPeersRefreshMsMax) {
    return absl::InvalidArgumentError(absl::StrCat("--peers_refresh_ms must be in ",
                                                   kPeersRefreshMsMin, "..", kPeersRefreshMsMax));
  }
  return absl::OkStatus();
}

// The peers of one moment with a channel to each (null for this proposer). Immutable.
struct Forwarder::PeerState {
  PeerState(std::vector<std::string> peers, const std::string& advertise)
      : ring(std::move(peers), advertise) {}
  PeerRing ring;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
};

// One forwarded call: the caller's call and the client call to the owner, made on the
// caller's call's completion queue (so its answer is handled on that queue's thread, like the
// call itself: no other gRPC thread takes part). The Forwarder deletes it once the caller's
// call is finished or handed to local service.
class Forwarder::Call final : public CompletionTag {
 public:
  Call(Forwarder* forwarder, ServerCall* call, std::shared_ptr<const PeerState> state,
       size_t owner)
      : forwarder_(forwarder),
        call_(call),
        forwarded_request_(call->request()),
        state_(std::move(state)),
        owner_(owner) {}

  void Start(std::chrono::system_clock::time_point deadline, const std::string& advertise) {
    client_ctx_.set_deadline(deadline);
    client_ctx_.AddMetadata(kForwardedMetadataKey, advertise);
    rpc_ = state_->stubs[owner_]->PrepareUnaryCall(&client_ctx_, MethodPath(call_->method()),
                                                   forwarded_request_, call_->completion_queue());
    rpc_->StartCall();
    rpc_->Finish(&forwarded_response_, &status_, static_cast<CompletionTag*>(this));
  }
  void Cancel() { client_ctx_.TryCancel(); }
  void Proceed(bool /*ok*/) override { forwarder_->Done(this, status_); }

  ServerCall* call() const { return call_; }
  Method method() const { return call_->method(); }
  const grpc::ClientContext& client_ctx() const { return client_ctx_; }
  const grpc::ByteBuffer& forwarded_response() const { return forwarded_response_; }
  const std::string& owner() const { return state_->ring.peers()[owner_]; }

 private:
  Forwarder* const forwarder_;
  ServerCall* const call_;
  grpc::ByteBuffer forwarded_request_;  // shares the request's slices
  grpc::ByteBuffer forwarded_response_;
  grpc::Status status_;
  grpc::ClientContext client_ctx_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc_;
  const std::shared_ptr<const PeerState> state_;  // keeps the owner's channel
  const size_t owner_;
};

absl::StatusOr<std::unique_ptr<Forwarder>> Forwarder::Create(ForwardOptions options,
                                                             client::Resolver resolve,
                                                             LocalServe local,
                                                             prometheus::Registry* registry) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // the owner's answers are bounded by what it stored
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(kForwardKeepaliveMs));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(kForwardKeepaliveMs));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // pings while a call waits
  auto creds = client::MakeChannelCredentials(options.tls, &args, kPeerTlsNames);
  if (!creds.ok()) return creds.status();
  std::unique_ptr<Forwarder> f(new Forwarder(std::move(options), std::move(resolve),
                                             std::move(local), registry, *std::move(creds),
                                             std::move(args)));
  const bool has_dns =
      std::any_of(f->options_.peers.begin(), f->options_.peers.end(), IsDnsTarget);
  if (f->options_.enabled && has_dns) {
    // Until the first resolution (on the thread: getaddrinfo may block for seconds), the list
    // is the unresolved names, which do not name this proposer: every key is served here.
    f->Install(f->options_.peers);
    f->refresh_thread_ = std::thread([p = f.get()] { p->RefreshLoop(); });
  } else {
    f->Install(f->options_.peers);
  }
  return f;
}

Forwarder::Forwarder(ForwardOptions options, client::Resolver resolve, LocalServe local,
                     prometheus::Registry* registry,
                     std::shared_ptr<grpc::ChannelCredentials> creds, grpc::ChannelArguments args)
    : options_(std::move(options)),
      resolve_(std::move(resolve)),
      local_(std::move(local)),
      creds_(std::move(creds)),
      channel_args_(std::move(args)) {
  if (registry == nullptr) {
    own_registry_ = std::make_unique<prometheus::Registry>();
    registry = own_registry_.get();
  }
  auto& calls = prometheus::BuildCounter()
                    .Name("gryadka_forward_calls_total")
                    .Help("Calls for a key another proposer owns that this proposer forwarded to "
                          "it, by result: answered (the owner's answer passed on), "
                          "served_locally (the owner was unreachable or wrote nothing), "
                          "outcome_unknown (a change whose connection broke mid-call, answered "
                          "UNAVAILABLE without the nothing-written marker).")
                    .Register(*registry);
  answered_ = &calls.Add({{"result", "answered"}});
  served_locally_ = &calls.Add({{"result", "served_locally"}});
  failed_ = &calls.Add({{"result", "outcome_unknown"}});
  auto& skipped = prometheus::BuildCounter()
                      .Name("gryadka_forward_skipped_total")
                      .Help("Calls for a key another proposer owns served locally without "
                            "forwarding, by reason: owner_not_connected (no READY channel to "
                            "it), inflight_max (--forward_inflight_max reached), peers_stale "
                            "(the peer list does not name this proposer: every key is served "
                            "locally).")
                      .Register(*registry);
  skipped_not_connected_ = &skipped.Add({{"reason", "owner_not_connected"}});
  skipped_inflight_max_ = &skipped.Add({{"reason", "inflight_max"}});
  skipped_peers_stale_ = &skipped.Add({{"reason", "peers_stale"}});
  received_ = &prometheus::BuildCounter()
                   .Name("gryadka_forward_received_total")
                   .Help("Calls another proposer forwarded to this one (always served here).")
                   .Register(*registry)
                   .Add({});
  inflight_gauge_ = &prometheus::BuildGauge()
                         .Name("gryadka_forward_in_flight")
                         .Help("Forwarded calls waiting for their owner's answer.")
                         .Register(*registry)
                         .Add({});
  peers_gauge_ = &prometheus::BuildGauge()
                      .Name("gryadka_forward_peers")
                      .Help("Proposers in the peer list when it names this one and forwarding "
                            "is on (keys are ranked over them); 0 when calls are all served "
                            "locally.")
                      .Register(*registry)
                      .Add({});
}

Forwarder::~Forwarder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_refresh_ = true;
  }
  refresh_cv_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
}

std::shared_ptr<const Forwarder::PeerState> Forwarder::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::vector<std::string> Forwarder::Peers() const {
  std::shared_ptr<const PeerState> s = State();
  return s ? s->ring.peers() : std::vector<std::string>{};
}

void Forwarder::Refresh() { Install(client::ExpandDnsTargets(options_.peers, resolve_)); }

void Forwarder::Install(std::vector<std::string> peers) {
  std::shared_ptr<const PeerState> old = State();
  if (old && old->ring.peers() == peers) return;
  if (peers.size() > kPeersMax) {
    Log(LogLevel::kWarning, "peer list too long: serving every key locally",
        {{"peers", absl::StrCat(peers.size())}, {"peers_max", absl::StrCat(kPeersMax)}});
    peers.clear();
  }
  auto next = std::make_shared<PeerState>(peers, options_.advertise);
  for (size_t i = 0; i < peers.size(); ++i) {
    std::shared_ptr<grpc::Channel> channel;
    if (!next->ring.IsSelf(i) && !IsDnsTarget(peers[i])) {
      for (size_t j = 0; old && j < old->ring.peers().size(); ++j) {
        if (old->ring.peers()[j] == peers[i]) channel = old->channels[j];
      }
      if (!channel) channel = grpc::CreateCustomChannel(peers[i], creds_, channel_args_);
    }
    next->stubs.push_back(channel ? std::make_unique<grpc::GenericStub>(channel) : nullptr);
    next->channels.push_back(std::move(channel));
  }
  const bool usable = options_.enabled && next->ring.usable();
  peers_gauge_->Set(usable ? static_cast<double>(peers.size()) : 0);
  if (!options_.peers.empty()) {
    // A warning only when the list does not name this proposer (stale DNS or a wrong
    // --advertise); forwarding turned off or a one-proposer list is a choice.
    Log(!options_.enabled || next->ring.self_listed() ? LogLevel::kInfo : LogLevel::kWarning,
        usable ? "forwarding to key owners" : "not forwarding: serving every key locally",
        {{"peers", absl::StrJoin(peers, ",")},
         {"advertise", options_.advertise},
         {"forward", options_.enabled ? "on" : "off"},
         {"self_listed", next->ring.self_listed() ? "yes" : "no"}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(next);
}

void Forwarder::RefreshLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_refresh_) {
    lock.unlock();
    Refresh();  // resolves without the lock: getaddrinfo blocks
    lock.lock();
    refresh_cv_.wait_for(lock, std::chrono::milliseconds(options_.peers_refresh_ms),
                         [this] { return stop_refresh_; });
  }
}

void Forwarder::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  // Each cancelled forward ends in Done() on its queue's thread (serving nothing locally any
  // more), soon: its completion goes to that queue, never runs inside TryCancel().
  for (Call* call : calls_) call->Cancel();
}

bool Forwarder::MaybeForward(ServerCall* server_call) {
  const bool marked = server_call->client_metadata().count(kForwardedMetadataKey) != 0;
  if (marked) received_->Increment();
  if (marked || !options_.enabled || options_.peers.empty()) return false;
  std::shared_ptr<const PeerState> state = State();
  if (!state->ring.self_listed()) {
    skipped_peers_stale_->Increment();
    return false;
  }
  if (!state->ring.usable()) return false;
  grpc::Slice slice;
  const grpc::ByteBuffer& request = server_call->request();
  if (!request.TrySingleSlice(&slice).ok() && !request.DumpToSingleSlice(&slice).ok()) {
    return false;
  }
  // A malformed request has no key here: served locally, its answer names the problem.
  const std::optional<size_t> target = ForwardTarget(
      marked, state->ring,
      RequestKey(absl::string_view(reinterpret_cast<const char*>(slice.begin()), slice.size())));
  if (!target.has_value()) return false;
  const size_t owner = *target;
  if (state->channels[owner] == nullptr ||  // an unresolved dns: name
      state->channels[owner]->GetState(/*try_to_connect=*/true) != GRPC_CHANNEL_READY) {
    skipped_not_connected_->Increment();
    return false;
  }
  if (inflight_.fetch_add(1, std::memory_order_relaxed) >= options_.inflight_max) {
    inflight_.fetch_sub(1, std::memory_order_relaxed);
    skipped_inflight_max_->Increment();
    return false;
  }
  auto* call = new Call(this, server_call, std::move(state), owner);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {  // shutting down: no new forwards (Stop() might not cancel this one)
      inflight_.fetch_sub(1, std::memory_order_relaxed);
      delete call;
      return false;
    }
    calls_.insert(call);  // a Stop() from now on cancels it (even before it starts)
  }
  inflight_gauge_->Increment();
  // The caller's budget as the local path counts it (ServerCall::BudgetMs).
  call->Start(std::chrono::system_clock::now() +
                  std::chrono::milliseconds(server_call->BudgetMs(options_.default_deadline_ms,
                                                                  options_.max_deadline_ms)),
              options_.advertise);
  return true;
}

void Forwarder::Done(Call* call, const grpc::Status& status) {
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  inflight_gauge_->Decrement();
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.erase(call);
  }
  std::unique_ptr<Call> owned(call);
  ServerCall* const server_call = call->call();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (NothingWritten(call->client_ctx()) || call->method() == Method::kGet)) {
    served_locally_->Increment();
    ServeLocally(server_call);
    return;
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    failed_->Increment();
    server_call->Finish(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("the connection to ", call->owner(),
                     " (the proposer this call was forwarded to) broke mid-call: outcome "
                     "unknown, the change may have been applied (",
                     status.error_message(), ")")));
    return;
  }
  answered_->Increment();
  PassMetadata(call->client_ctx(), server_call);
  if (status.ok()) *server_call->response() = call->forwarded_response();
  server_call->Finish(status);
}

void Forwarder::ServeLocally(ServerCall* call) {
  {
    std::lock_guard<std::mutex> lock(mu_);  // Stop() waits for a local Submit in progress
    if (!stopped_) {
      local_(call);
      return;
    }
  }
  call->AddTrailingMetadata(v1::kNothingWrittenMetadataKey, "1");
  call->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "proposer is shutting down; nothing was written"));
}

}  // namespace gryadka::server
