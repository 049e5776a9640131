#include "proposer/server/shard.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_acceptor.h"
#include "proposer/server/logging.h"
#include "proposer/server/membership_source.h"

namespace gryadka::server {

namespace {
constexpr int64_t kPeriodicMs = 200;  // health and stats refresh period; retired acceptors close
constexpr int64_t kAuthErrorLogPeriodMs = 10000;  // per acceptor: Redis authentication failures
}  // namespace

size_t ShardOfKey(const std::string& key, size_t shards) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h % shards;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Shard::Shard(int index, std::shared_ptr<const AppliedMembership> membership,
             const ServerOptions& options, uint64_t ballot_proposer_id, uint64_t seed,
             FenceHandler on_fence)
    : index_(index),
      options_(options),
      on_fence_(std::move(on_fence)),
      membership_(std::move(membership)),
      core_(membership_->config, ballot_proposer_id, seed) {
  base_ = acceptor::NewRedisEventBase();
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

std::unique_ptr<acceptor::Acceptor> Shard::NewAcceptor(core::AcceptorId id,
                                                       const std::string& address) {
  // Addresses were validated (ValidateServerMembership) before they reached a shard.
  absl::StatusOr<HostPort> hp = AcceptorHostPort(address);
  acceptor::RedisAcceptorOptions ro;
  ro.key_prefix = options_.redis_prefix;
  ro.call_timeout_ms = options_.acceptor_timeout_ms;
  ro.batch_calls_max = options_.redis_batch_calls_max;
  ro.credentials = options_.redis_credentials;
  // Reconnects retry at most every second; one line per acceptor per kAuthErrorLogPeriodMs.
  auto limiter = std::make_shared<LogLimiter>(kAuthErrorLogPeriodMs);
  ro.on_auth_error = [limiter, address](const std::string& message) {
    if (limiter->Allow()) {
      Log(LogLevel::kError, "redis authentication failed",
          {{"acceptor", address}, {"error", message}});
    }
  };
  return std::make_unique<acceptor::RedisAcceptor>(
      base_, hp.ok() ? hp->host : address, hp.ok() ? hp->port : 0, ro, id,
      [this](const core::AcceptorReply& r) { OnReply(r); });
}

void Shard::Run() {
  acceptors_.resize(membership_->addresses.size());
  for (core::AcceptorId id : membership_->members) {
    acceptors_[id] = NewAcceptor(id, membership_->addresses[id]);
  }
  RefreshSnapshot();
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

void Shard::PostMembership(std::shared_ptr<const AppliedMembership> membership) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (posted_membership_ == nullptr ||
        posted_membership_->membership.epoch() < membership->membership.epoch()) {
      posted_membership_ = std::move(membership);
    }
    if (!wake_pending_) {
      wake_pending_ = true;
      wake = true;
    }
  }
  if (wake) event_active(wake_event_, 0, 0);
}

void Shard::ApplyMembership(std::shared_ptr<const AppliedMembership> m) {
  if (m->membership.epoch() <= membership_->membership.epoch()) return;
  if (acceptors_.size() < m->addresses.size()) acceptors_.resize(m->addresses.size());
  for (core::AcceptorId id : m->members) {
    if (!acceptors_[id]) acceptors_[id] = NewAcceptor(id, m->addresses[id]);
  }
  membership_ = std::move(m);
  core_.Reconfigure(membership_->config);
  older_rounds_possible_ = true;
  if (index_ == 0) {
    Log(LogLevel::kDebug, "shards run the new membership",
        {{"epoch", absl::StrCat(membership_->membership.epoch())}});
  }
  RefreshSnapshot();
}

size_t Shard::RoundsInOlderEpochs() {
  if (!older_rounds_possible_) return 0;
  const size_t n = core_.rounds_in_older_epochs();
  older_rounds_possible_ = n != 0;
  return n;
}

void Shard::CloseRetiredAcceptors(size_t rounds_in_older_epochs) {
  if (rounds_in_older_epochs != 0) return;
  const std::vector<core::AcceptorId>& members = membership_->members;
  for (size_t id = 0; id < acceptors_.size(); ++id) {
    if (!acceptors_[id] || std::binary_search(members.begin(), members.end(),
                                              static_cast<core::AcceptorId>(id))) {
      continue;
    }
    if (index_ == 0) {
      Log(LogLevel::kInfo, "closing the connection to an acceptor that left the membership",
          {{"acceptor", membership_->addresses[id]},
           {"epoch", absl::StrCat(membership_->membership.epoch())}});
    }
    acceptors_[id].reset();
  }
}

void Shard::DrainInbox() {
  std::vector<Posted> batch;
  std::shared_ptr<const AppliedMembership> membership;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(inbox_);
    membership.swap(posted_membership_);
    wake_pending_ = false;
  }
  if (membership) ApplyMembership(std::move(membership));
  const int64_t now = NowMs();
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    core_.SetAcceptorUp(static_cast<core::AcceptorId>(i), acceptors_[i] && acceptors_[i]->Healthy());
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
    std::vector<core::AcceptorReply> unsendable;
    for (const core::AcceptorRequest& m : core_.TakeOutbox()) {
      if (m.acceptor >= 0 && static_cast<size_t>(m.acceptor) < acceptors_.size() &&
          acceptors_[m.acceptor]) {
        acceptors_[m.acceptor]->Send(m);
        continue;
      }
      // Only a round of an older epoch could address an acceptor whose connection is closed,
      // and those are closed only when no such round is left; answered anyway, never lost.
      core::AcceptorReply r;
      r.acceptor = m.acceptor;
      r.msg_id = m.msg_id;
      r.status = core::AcceptorReply::Status::kError;
      r.error = absl::StrCat("acceptor ", m.acceptor, " is no longer connected (left the membership)");
      r.maybe_applied = false;
      unsendable.push_back(std::move(r));
    }
    for (const core::AcceptorReply& r : unsendable) core_.OnReply(r, NowMs());
    for (core::Completion& c : core_.TakeCompletions()) {
      auto it = pending_.find(c.id);
      if (it == pending_.end()) continue;
      Done done = std::move(it->second);
      pending_.erase(it);
      done(std::move(c));
    }
  }
  in_flush_ = false;
  PassFenceNotice();
  ArmTimer();
}

void Shard::PassFenceNotice() {
  std::optional<core::FenceNotice> notice = core_.TakeFenceNotice();
  if (!notice || !on_fence_) return;
  const bool known = notice->acceptor >= 0 &&
                     static_cast<size_t>(notice->acceptor) < membership_->addresses.size();
  on_fence_(*notice, known ? membership_->addresses[notice->acceptor]
                           : absl::StrCat("#", notice->acceptor));
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
  const size_t older = RefreshSnapshot();
  CloseRetiredAcceptors(older);
}

size_t Shard::RefreshSnapshot() {
  const size_t older = RoundsInOlderEpochs();
  std::vector<bool> healthy(acceptors_.size());
  std::vector<bool> known(acceptors_.size(), true);
  std::vector<std::string> errors(acceptors_.size());
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    const acceptor::Acceptor* a = acceptors_[i].get();
    healthy[i] = a != nullptr && a->Healthy();
    known[i] = a == nullptr || a->HealthKnown();
    errors[i] = a == nullptr ? "not connected (not in the membership)" : a->HealthError();
  }
  std::lock_guard<std::mutex> lock(stats_mu_);
  snapshot_.stats = core_.stats();
  snapshot_.requests_in_flight = core_.requests_in_flight();
  snapshot_.cache_entries = core_.cache_entries();
  snapshot_.epoch = membership_->membership.epoch();
  snapshot_.rounds_in_older_epochs = older;
  snapshot_.healthy = std::move(healthy);
  snapshot_.health_known = std::move(known);
  snapshot_.health_errors = std::move(errors);
  return older;
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
