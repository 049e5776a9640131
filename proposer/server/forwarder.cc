#include "proposer/server/forwarder.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
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

constexpr client::TlsFileNames kPeerTlsNames = {"--tls_peer_ca_file", "--tls_peer_cert_file",
                                                "--tls_peer_key_file"};

bool IsDnsTarget(const std::string& target) { return absl::StartsWith(target, "dns:"); }

// Bytes a call adds to a stream message besides its request (id, method, budget, framing).
constexpr size_t kCallOverheadBytes = 32;

bool HasNothingWritten(const internal::ForwardedAnswer& answer) {
  for (const internal::Metadata& m : answer.trailing_metadata()) {
    if (m.key() == v1::kNothingWrittenMetadataKey) return true;
  }
  return false;
}

// Copies the owner's custom metadata (not gRPC's own "grpc-*" keys) onto the caller's answer.
void PassMetadata(const internal::ForwardedAnswer& from, ServerCall* to) {
  for (const internal::Metadata& m : from.initial_metadata()) {
    if (!absl::StartsWith(m.key(), "grpc-")) to->AddInitialMetadata(m.key(), m.value());
  }
  for (const internal::Metadata& m : from.trailing_metadata()) {
    if (!absl::StartsWith(m.key(), "grpc-")) to->AddTrailingMetadata(m.key(), m.value());
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
  std::vector<std::unique_ptr<internal::Peer::Stub>> stubs;
};

// One gryadka.internal.Peer/Forward stream to an owner, carrying the forwards of one
// completion queue (see the file comment of forwarder.h). Lives on that queue's thread: Add() is
// called there (from MaybeForward, in the queue's handler) and its operations complete there;
// only Cancel() comes from other threads. Deletes itself when it has ended and nothing of it is
// in flight.
class Forwarder::Stream final : public TurnEndHook {
 public:
  Stream(Forwarder* forwarder, grpc::CompletionQueue* cq, std::shared_ptr<const PeerState> state,
         size_t owner, StreamKey key)
      : forwarder_(forwarder), cq_(cq), state_(std::move(state)), owner_(owner), key_(key) {}

  void Start(const std::string& advertise) {
    ctx_.AddMetadata(kForwardedMetadataKey, advertise);
    rw_ = state_->stubs[owner_]->PrepareAsyncForward(&ctx_, cq_);
    ++ops_;
    rw_->StartCall(&start_tag_);
  }

  // True once no more calls may be added (the stream broke or the owner ended it).
  bool ended() const { return ended_; }

  // Sends `call` (its request `request`) with `budget_ms` to the owner.
  void Add(ServerCall* call, absl::string_view request, uint32_t budget_ms) {
    const uint64_t id = next_id_++;
    internal::ForwardedCall& c = queued_.emplace_back();
    c.set_id(id);
    c.set_method(static_cast<uint32_t>(call->method()));
    c.set_budget_ms(budget_ms);
    c.set_request(request.data(), request.size());
    calls_.emplace(id, Pending{call, false});
    ScheduleAtTurnEnd();  // the calls of this turn go out together, at its end
  }

  void AtTurnEnd() override {
    Flush();
    MaybeDelete();
  }

  void Cancel() { ctx_.TryCancel(); }

  const std::string& owner() const { return state_->ring.peers()[owner_]; }

 private:
  struct Pending {
    ServerCall* call;
    bool written;  // in a message handed to gRPC: the owner may have started it
  };
  void OnStart(bool ok) {
    --ops_;
    if (!ok) {
      EndAndFinish();
      return;
    }
    ++ops_;
    rw_->ReadInitialMetadata(&metadata_tag_);
  }

  // The owner took the stream: calls may go out now (see the file comment of forwarder.h).
  // Without the owner's mark the answer was a refusal (trailers only): nothing is written.
  void OnMetadata(bool ok) {
    --ops_;
    if (!ok || ctx_.GetServerInitialMetadata().count(kStreamTakenMetadataKey) == 0) {
      EndAndFinish();
      return;
    }
    started_ = true;
    ++ops_;
    rw_->Read(&in_, &read_tag_);
    Flush();
  }

  // Writes the queued calls (up to a message's bound) unless a write is in flight.
  void Flush() {
    if (!started_ || write_in_flight_ || ended_ || queued_.empty()) return;
    const size_t batch_max =
        std::min(kForwardBatchBytesMax, forwarder_->options_.max_request_bytes);
    size_t bytes = 0, n = 0;
    while (n < queued_.size() &&
           (n == 0 || bytes + queued_[n].request().size() + kCallOverheadBytes <= batch_max)) {
      bytes += queued_[n].request().size() + kCallOverheadBytes;
      ++n;
    }
    writing_.Clear();
    for (size_t i = 0; i < n; ++i) {
      calls_.at(queued_[i].id()).written = true;
      *writing_.add_calls() = std::move(queued_[i]);
    }
    queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(n));
    write_in_flight_ = true;
    ++ops_;
    rw_->Write(writing_, &write_tag_);
  }

  void OnWrite(bool ok) {
    --ops_;
    write_in_flight_ = false;
    if (ok) {
      Flush();
    } else {
      Ended();  // the stream broke: the read in flight fails too, and asks for the status
    }
  }

  void OnRead(bool ok) {
    --ops_;
    if (!ok) {  // the owner ended the stream, or it broke
      EndAndFinish();
      return;
    }
    for (const internal::ForwardedAnswer& answer : in_.answers()) {
      auto it = calls_.find(answer.id());
      if (it == calls_.end()) continue;  // not ours (a confused peer): nothing to answer
      ServerCall* call = it->second.call;
      calls_.erase(it);
      forwarder_->Answered(call, answer, owner());
    }
    in_.Clear();
    ++ops_;
    rw_->Read(&in_, &read_tag_);
  }

  // No read is in flight any more: ends the stream and asks for its status.
  void EndAndFinish() {
    Ended();
    ++ops_;
    rw_->Finish(&status_, &finish_tag_);
  }

  // No more calls are added.
  void Ended() {
    if (ended_) return;
    ended_ = true;
    forwarder_->StreamEnded(this, key_);
  }

  void OnFinish(bool /*ok*/) {
    --ops_;
    finished_ = true;
    // The owner ended the stream with OK after answering every call it started (its drain):
    // the rest never ran. Otherwise a written call may have.
    std::vector<Pending> left;
    left.reserve(calls_.size());
    for (auto& [id, pending] : calls_) left.push_back(pending);
    calls_.clear();
    queued_.clear();
    for (const Pending& p : left) forwarder_->Unanswered(p.call, p.written, status_, owner());
    MaybeDelete();
  }

  void MaybeDelete() {
    if (finished_ && ops_ == 0 && !turn_end_scheduled()) delete this;
  }

  Forwarder* const forwarder_;
  grpc::CompletionQueue* const cq_;
  const std::shared_ptr<const PeerState> state_;  // keeps the owner's channel
  const size_t owner_;
  const StreamKey key_;
  grpc::ClientContext ctx_;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<internal::ForwardedCalls, internal::ForwardedAnswers>>
      rw_;
  MemberTag<Stream> start_tag_{this, &Stream::OnStart};
  MemberTag<Stream> metadata_tag_{this, &Stream::OnMetadata};
  MemberTag<Stream> read_tag_{this, &Stream::OnRead};
  MemberTag<Stream> write_tag_{this, &Stream::OnWrite};
  MemberTag<Stream> finish_tag_{this, &Stream::OnFinish};
  std::vector<internal::ForwardedCall> queued_;  // not handed to gRPC yet
  internal::ForwardedCalls writing_;             // the write in flight
  internal::ForwardedAnswers in_;
  std::unordered_map<uint64_t, Pending> calls_;  // unanswered, by id
  uint64_t next_id_ = 1;
  int ops_ = 0;  // operations started and not completed
  bool started_ = false;
  bool write_in_flight_ = false;
  bool ended_ = false;
  bool finished_ = false;
  grpc::Status status_;
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
  const bool has_dns = std::any_of(f->options_.peers.begin(), f->options_.peers.end(), IsDnsTarget);
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
                    .Help(
                        "Calls for a key another proposer owns that this proposer forwarded to "
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
                      .Help(
                          "Calls for a key another proposer owns served locally without "
                          "forwarding, by reason: owner_not_connected (no READY channel to "
                          "it), inflight_max (--forward_inflight_max reached), peers_stale "
                          "(the peer list does not name this proposer: every key is served "
                          "locally), large_request (a request over the forwarding bound "
                          "of 64 KiB).")
                      .Register(*registry);
  skipped_not_connected_ = &skipped.Add({{"reason", "owner_not_connected"}});
  skipped_inflight_max_ = &skipped.Add({{"reason", "inflight_max"}});
  skipped_peers_stale_ = &skipped.Add({{"reason", "peers_stale"}});
  skipped_large_ = &skipped.Add({{"reason", "large_request"}});
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
                      .Help(
                          "Proposers in the peer list when it names this one and forwarding "
                          "is on (keys are ranked over them); 0 when calls are all served "
                          "locally.")
                      .Register(*registry)
                      .Add({});
  streams_gauge_ = &prometheus::BuildGauge()
                        .Name("gryadka_forward_streams")
                        .Help(
                            "Open forwarding streams to peers (one per I/O thread and owner "
                            "in use).")
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
    next->stubs.push_back(channel ? internal::Peer::NewStub(channel) : nullptr);
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
  // Each cancelled stream ends on its queue's thread (its calls answered as the file comment
  // says, serving nothing locally any more), soon: its completions go to that queue, never run
  // inside TryCancel().
  for (auto& [key, stream] : streams_) stream->Cancel();
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
  const absl::string_view wire = WireBytes(server_call->request(), &slice);
  // A malformed (or unreadable) request has no key here: served locally, its answer names the
  // problem.
  const std::optional<size_t> target = ForwardTarget(marked, state->ring, RequestKey(wire));
  if (!target.has_value()) return false;
  const size_t owner = *target;
  if (wire.size() + kCallOverheadBytes >
      std::min(kForwardCallBytesMax, options_.max_request_bytes)) {
    skipped_large_->Increment();
    return false;
  }
  const grpc::Channel* channel = state->channels[owner].get();
  if (channel == nullptr ||  // an unresolved dns: name
      state->channels[owner]->GetState(/*try_to_connect=*/true) != GRPC_CHANNEL_READY) {
    skipped_not_connected_->Increment();
    return false;
  }
  if (inflight_.fetch_add(1, std::memory_order_relaxed) >= options_.inflight_max) {
    inflight_.fetch_sub(1, std::memory_order_relaxed);
    skipped_inflight_max_->Increment();
    return false;
  }
  // The caller's budget as the local path counts it (ServerCall::BudgetMs), at least 0.
  const int64_t budget_ms = std::clamp<int64_t>(
      server_call->BudgetMs(options_.default_deadline_ms, options_.max_deadline_ms), 0, UINT32_MAX);
  const StreamKey key{server_call->completion_queue(), channel};
  Stream* stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {  // shutting down: no new forwards (Stop() might not cancel its stream)
      inflight_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    // Only this queue's thread adds to, ends or replaces this key's stream: it stays valid
    // after the lock is released.
    auto it = streams_.find(key);
    if (it == streams_.end() || it->second->ended()) {
      stream = new Stream(this, key.first, std::move(state), owner, key);
      streams_[key] = stream;
      streams_gauge_->Set(static_cast<double>(streams_.size()));
      stream->Start(options_.advertise);
    } else {
      stream = it->second;
    }
  }
  inflight_gauge_->Increment();
  stream->Add(server_call, wire, static_cast<uint32_t>(budget_ms));
  return true;
}

void Forwarder::StreamEnded(Stream* stream, const StreamKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(key);
  if (it != streams_.end() && it->second == stream) streams_.erase(it);
  streams_gauge_->Set(static_cast<double>(streams_.size()));
}

void Forwarder::Answered(ServerCall* call, const internal::ForwardedAnswer& answer,
                         const std::string& owner) {
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  inflight_gauge_->Decrement();
  const auto code = static_cast<grpc::StatusCode>(answer.code());
  if (code == grpc::StatusCode::UNAVAILABLE &&
      (HasNothingWritten(answer) || call->method() == Method::kGet)) {
    served_locally_->Increment();
    ServeLocally(call);
    return;
  }
  answered_->Increment();
  PassMetadata(answer, call);
  if (code == grpc::StatusCode::OK) {
    *call->response() = ByteBufferOf(answer.response());
  }
  call->Finish(grpc::Status(code, answer.message()));
}

void Forwarder::Unanswered(ServerCall* call, bool written, const grpc::Status& stream_status,
                           const std::string& owner) {
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  inflight_gauge_->Decrement();
  if (!written || stream_status.ok() || call->method() == Method::kGet) {
    served_locally_->Increment();
    ServeLocally(call);
    return;
  }
  failed_->Increment();
  call->Finish(grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("the connection to ", owner,
                   " (the proposer this call was forwarded to) broke mid-call: outcome "
                   "unknown, the change may have been applied (",
                   stream_status.error_message(), ")")));
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
