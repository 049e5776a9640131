#include "proposer/server/shard.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_acceptor.h"
#include "proposer/server/logging.h"

namespace gryadka::server {

namespace {
constexpr int64_t kPeriodicMs = 200;  // health mask and stats refresh period
}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Shard::Shard(int index, const core::ProposerConfig& config, const ServerOptions& options,
             uint64_t ballot_proposer_id, uint64_t seed)
    : index_(index), options_(options), core_(config, ballot_proposer_id, seed) {
  base_ = event_base_new();
  wake_event_ = event_new(base_, -1, 0, &Shard::WakeCallback, this);
  timer_event_ = evtimer_new(base_, &Shard::TimerCallback, this);
  periodic_event_ = event_new(base_, -1, EV_PERSIST, &Shard::PeriodicCallback, this);
  stop_event_ = event_new(base_, -1, 0, &Shard::StopCallback, this);
}

Shard::~Shard() {
  Stop();
  for (event* ev : {wake_event_, timer_event_, periodic_event_, stop_event_}) event_free(ev);
  event_base_free(base_);
}

void Shard::Start() {
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Shard::Stop() {
  if (!running_) return;
  event_active(stop_event_, 0, 0);
  thread_.join();
  running_ = false;
}

void Shard::Run() {
  for (size_t i = 0; i < options_.acceptors.size(); ++i) {
    acceptor::RedisAcceptorOptions ro;
    ro.key_prefix = options_.redis_prefix;
    ro.call_timeout_ms = options_.acceptor_timeout_ms;
    ro.batch_calls_max = options_.redis_batch_calls_max;
    acceptors_.push_back(std::make_unique<acceptor::RedisAcceptor>(
        base_, options_.acceptors[i].host, options_.acceptors[i].port, ro,
        static_cast<core::AcceptorId>(i), [this](const core::AcceptorReply& r) { OnReply(r); }));
  }
  timeval period{0, static_cast<suseconds_t>(kPeriodicMs * 1000)};
  event_add(periodic_event_, &period);
  event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
  event_del(periodic_event_);
  event_del(timer_event_);
  acceptors_.clear();
}

void Shard::Submit(core::ClientRequest request, Done done) {
  bool wake = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (inbox_.size() >= kInboxRequestsMax) {
      lock.unlock();
      core::Completion c;
      c.status = absl::ResourceExhaustedError(absl::StrCat(
          "proposer event loop ", index_, " has ", kInboxRequestsMax,
          " requests waiting to start; nothing was written, retry later or add proposers"));
      done(std::move(c));
      return;
    }
    inbox_.push_back(Posted{std::move(request), std::move(done)});
    if (!wake_pending_) {
      wake_pending_ = true;
      wake = true;
    }
  }
  if (wake) event_active(wake_event_, 0, 0);
}

void Shard::DrainInbox() {
  std::vector<Posted> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(inbox_);
    wake_pending_ = false;
  }
  const int64_t now = NowMs();
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    core_.SetAcceptorUp(static_cast<core::AcceptorId>(i), acceptors_[i]->Healthy());
  }
  for (Posted& p : batch) {
    if (stopping_) {
      core::Completion c;
      c.status = absl::UnavailableError("proposer is shutting down; nothing was written, retry on another proposer");
      p.done(std::move(c));
      continue;
    }
    const uint64_t id = next_request_id_++;
    p.request.id = id;
    pending_.emplace(id, std::move(p.done));
    core_.Submit(std::move(p.request), now);
  }
  Flush();
}

void Shard::OnReply(const core::AcceptorReply& reply) {
  core_.OnReply(reply, NowMs());
  Flush();
}

void Shard::Flush() {
  if (in_flush_) return;
  in_flush_ = true;
  while (core_.HasOutput()) {
    for (const core::AcceptorRequest& m : core_.TakeOutbox()) acceptors_[m.acceptor]->Send(m);
    for (core::Completion& c : core_.TakeCompletions()) {
      auto it = pending_.find(c.id);
      if (it == pending_.end()) continue;
      Done done = std::move(it->second);
      pending_.erase(it);
      done(std::move(c));
    }
  }
  in_flush_ = false;
  ArmTimer();
}

void Shard::ArmTimer() {
  std::optional<int64_t> next = core_.NextWakeupMs();
  if (!next) {
    if (armed_at_ms_ >= 0) event_del(timer_event_);
    armed_at_ms_ = -1;
    return;
  }
  if (*next == armed_at_ms_) return;
  armed_at_ms_ = *next;
  const int64_t delay_ms = std::max<int64_t>(0, *next - NowMs());
  timeval tv{static_cast<time_t>(delay_ms / 1000), static_cast<suseconds_t>((delay_ms % 1000) * 1000)};
  evtimer_add(timer_event_, &tv);
}

void Shard::OnTimer() {
  armed_at_ms_ = -1;
  core_.Tick(NowMs());
  Flush();
}

void Shard::OnPeriodic() {
  uint64_t mask = 0;
  for (size_t i = 0; i < acceptors_.size() && i < 64; ++i) {
    if (acceptors_[i]->Healthy()) mask |= uint64_t{1} << i;
  }
  healthy_mask_.store(mask, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(stats_mu_);
  snapshot_.stats = core_.stats();
  snapshot_.requests_in_flight = core_.requests_in_flight();
  snapshot_.cache_entries = core_.cache_entries();
}

Shard::Snapshot Shard::TakeSnapshot() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return snapshot_;
}

void Shard::FailAllPending() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, done] : pending) {
    core::Completion c;
    c.id = id;
    c.status = absl::AbortedError(
        "proposer shut down before the request finished; the outcome of a change is unknown — "
        "read the key before retrying");
    done(std::move(c));
  }
}

void Shard::WakeCallback(int, short, void* arg) { static_cast<Shard*>(arg)->DrainInbox(); }
void Shard::TimerCallback(int, short, void* arg) { static_cast<Shard*>(arg)->OnTimer(); }
void Shard::PeriodicCallback(int, short, void* arg) { static_cast<Shard*>(arg)->OnPeriodic(); }
void Shard::StopCallback(int, short, void* arg) {
  auto* self = static_cast<Shard*>(arg);
  self->stopping_ = true;
  self->DrainInbox();
  self->FailAllPending();
  event_base_loopbreak(self->base_);
}

}  // namespace gryadka::server
