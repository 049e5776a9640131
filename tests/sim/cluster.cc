#include "tests/sim/cluster.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "proposer/core/membership.h"
#include "tests/sim/history.h"

namespace gryadka::sim {

std::string AcceptorAddress(int a) { return absl::StrCat("a", a); }

core::AcceptorId ParseAcceptorAddress(const std::string& address, int acceptors) {
  int a = -1;
  if (address.size() < 2 || address[0] != 'a' || !absl::SimpleAtoi(address.substr(1), &a) ||
      a < 0 || a >= acceptors || AcceptorAddress(a) != address) {
    return -1;
  }
  return a;
}

Cluster::Cluster(EventLoop* loop, EventLog* log, const SimParams& params)
    : loop_(loop),
      log_(log),
      params_(params),
      dead_(params.acceptors, false),
      rng_(StreamSeed(params.seed, kStreamProposers)),
      network_(loop, log, StreamSeed(params.seed, kStreamNetwork), params.net, params.proposers,
               params.acceptors, this),
      proposers_(params.proposers),
      acceptor_hint_up_(params.acceptors, true),
      hint_seq_(params.acceptors, 0) {
  acceptors_.reserve(static_cast<size_t>(params.acceptors));
  for (int a = 0; a < params.acceptors; ++a) {
    acceptors_.emplace_back(params.acceptor_kind, absl::StrCat("a", a));
  }
  for (int p = 0; p < params.proposers; ++p) StartProposer(p);
}

Cluster::~Cluster() = default;

void Cluster::StartProposer(int p) {
  ProposerSlot& s = proposers_[p];
  uint64_t id;
  do {
    id = rng_.Next();
  } while (id == 0 || !used_ids_.insert(id).second);  // never reuse an id (hence a ballot)
  const uint64_t seed = rng_.Next();
  ++s.incarnation;
  core::ProposerConfig config = params_.proposer;
  if (published_.has_value() && p != params_.missed_proposer) {
    if (std::optional<core::ProposerConfig> c = ConfigFor(*published_, "membership file")) {
      config = *c;
    }
  }
  s.core = std::make_unique<core::Proposer>(config, id, seed);
  s.ticks_ms.clear();
  s.requests.clear();
  for (int a = 0; a < params_.acceptors; ++a) {
    if (!acceptor_hint_up_[a]) s.core->SetAcceptorUp(a, false);
  }
  // The epoch only once a membership change raised it (older event logs stay as they were).
  log_->Add(loop_->now_us(),
            absl::StrFormat("start proposer %s id=%x%s", AddrName(addr(p)), id,
                            config.epoch > 0 ? absl::StrCat(" epoch=", config.epoch) : ""));
}

std::optional<core::ProposerConfig> Cluster::ConfigFor(const v1::Membership& m,
                                                       const char* source) {
  bool known = true;
  auto id_of = [&](const std::string& address) {
    const core::AcceptorId a = ParseAcceptorAddress(address, params_.acceptors);
    known = known && a >= 0;
    return std::max(a, 0);
  };
  absl::Status status = core::ValidateMembership(m);
  core::ProposerConfig config;
  if (status.ok()) {
    config = core::ApplyMembership(params_.proposer, m, id_of);
    status = known ? config.Validate() : absl::InvalidArgumentError("unknown acceptor address");
  }
  if (!status.ok()) {
    log_->Add(loop_->now_us(), absl::StrCat("membership from ", source, " rejected: ",
                                            status.message()));
    return std::nullopt;
  }
  return config;
}

void Cluster::Publish(const v1::Membership& m) {
  published_ = m;
  log_->Add(loop_->now_us(), absl::StrCat("operator: publish ", core::DescribeMembership(m)));
}

bool Cluster::ConfigureProposer(int p, const v1::Membership& m) {
  ProposerSlot& s = proposers_[p];
  if (!s.core) return false;
  if (m.epoch() <= s.core->config().epoch) return true;
  std::optional<core::ProposerConfig> config = ConfigFor(m, "operator");
  if (!config) return true;
  s.core->Reconfigure(*config);
  log_->Add(loop_->now_us(), absl::StrCat("operator: configure ", AddrName(addr(p)), " epoch ",
                                          m.epoch()));
  Drain(p);
  return true;
}

void Cluster::HandleFenceNotices(int p) {
  ProposerSlot& s = proposers_[p];
  std::optional<core::FenceNotice> notice = s.core->TakeFenceNotice();
  if (!notice.has_value()) return;
  v1::Membership m;
  if (!m.ParseFromString(notice->config)) {
    log_->Add(loop_->now_us(), absl::StrCat(AddrName(addr(p)), " fence notice from a",
                                            notice->acceptor, ": config does not parse"));
    return;
  }
  if (m.epoch() != notice->epoch || m.epoch() <= s.core->config().epoch) return;
  std::optional<core::ProposerConfig> config =
      ConfigFor(m, absl::StrCat("fence notice of a", notice->acceptor).c_str());
  if (!config) return;
  s.core->Reconfigure(*config);
  ++s.fence_adoptions;
  log_->Add(loop_->now_us(), absl::StrCat(AddrName(addr(p)), " adopts epoch ", m.epoch(),
                                          " from a fenced reply of a", notice->acceptor));
}

void Cluster::KillAcceptorForGood(int a) {
  dead_[a] = true;
  log_->Add(loop_->now_us(), absl::StrCat("fault: acceptor a", a, " dies for good"));
  if (acceptors_[a].state() != AcceptorNode::State::kDown) CrashAcceptor(a);
}

ClusterListener* Cluster::ListenerFor(uint64_t request_id) const {
  return request_id >= kOperatorRequestIdBase && operator_listener_ != nullptr ? operator_listener_
                                                                             : listener_;
}

void Cluster::Submit(int p, core::ClientRequest request) {
  ProposerSlot& s = proposers_[p];
  if (published_.has_value() && s.core->config().epoch < published_->epoch()) {
    ++submits_behind_published_;
  }
  s.requests.insert(request.id);
  s.core->Submit(std::move(request), loop_->now_ms());
  Drain(p);
}

void Cluster::Drain(int p) {
  ProposerSlot& s = proposers_[p];
  if (!s.core) return;
  HandleFenceNotices(p);
  const ProposerAddr from = addr(p);
  for (const core::AcceptorRequest& m : s.core->TakeOutbox()) {
    if (m.kind == core::AcceptorRequest::Kind::kAccept) monitor_.OnAcceptSent(m);
    network_.SendRequest(from, m);
  }
  for (const core::Completion& c : s.core->TakeCompletions()) {
    s.requests.erase(c.id);
    ListenerFor(c.id)->OnCompletion(p, c);  // clients react on a later event, never re-entrantly
    if (params_.faults.proposer_churn && churn_ && p != 0) {
      const uint64_t incarnation = s.incarnation;
      loop_->After(0, [this, p, incarnation] { RecycleIfIdle(p, incarnation); });
    }
  }
  ArmTick(p);
}

void Cluster::ArmTick(int p) {
  ProposerSlot& s = proposers_[p];
  const std::optional<int64_t> next = s.core->NextWakeupMs();
  if (!next.has_value()) return;
  if (!s.ticks_ms.empty() && *s.ticks_ms.begin() <= *next) return;  // an earlier tick re-arms
  s.ticks_ms.insert(*next);
  const uint64_t incarnation = s.incarnation;
  const int64_t at_ms = *next;
  loop_->At(at_ms * 1000, [this, p, incarnation, at_ms] {
    ProposerSlot& slot = proposers_[p];
    if (!slot.core || slot.incarnation != incarnation) return;
    slot.ticks_ms.erase(at_ms);
    slot.core->Tick(loop_->now_ms());
    Drain(p);
  });
}

void Cluster::DeliverRequest(ProposerAddr from, const core::AcceptorRequest& request,
                             bool duplicated) {
  AcceptorNode& node = acceptors_[request.acceptor];
  switch (node.state()) {
    case AcceptorNode::State::kDown:
      log_->Add(loop_->now_us(), absl::StrCat("drop ", AddrName(from), ">a", request.acceptor,
                                              " m", request.msg_id, " acceptor down"));
      network_.RequestFailed(from, request, "acceptor down", /*maybe_applied=*/duplicated);
      return;
    case AcceptorNode::State::kPaused:
      log_->Add(loop_->now_us(), absl::StrCat("queue ", AddrName(from), ">a", request.acceptor,
                                              " m", request.msg_id, " acceptor paused"));
      node.Receive(from, request);
      return;
    case AcceptorNode::State::kUp:
      if (!node.lua()) {
        HandleAtAcceptor(from, request);
      } else if (node.Collect(from, request)) {
        const int a = request.acceptor;
        const uint64_t epoch = node.epoch();
        loop_->After(params_.batch_window_us, [this, a, epoch] { FlushPending(a, epoch); });
      }
      return;
  }
}

void Cluster::FlushPending(int a, uint64_t epoch) {
  AcceptorNode& node = acceptors_[a];
  if (node.epoch() != epoch || node.state() != AcceptorNode::State::kUp) return;
  HandleBatches(a, node.TakePending());
}

void Cluster::HandleBatches(int a, const std::vector<AcceptorNode::Queued>& queued) {
  static constexpr size_t kBatchCallsMax = 64;
  std::vector<bool> taken(queued.size(), false);
  for (size_t i = 0; i < queued.size(); ++i) {
    if (taken[i]) continue;
    const ProposerAddr from = queued[i].from;
    std::vector<core::AcceptorRequest> batch;
    for (size_t j = i; j < queued.size() && batch.size() < kBatchCallsMax; ++j) {
      if (taken[j] || queued[j].from.slot != from.slot ||
          queued[j].from.incarnation != from.incarnation) {
        continue;
      }
      taken[j] = true;
      batch.push_back(queued[j].request);
    }
    if (batch.size() > 1) {
      log_->Add(loop_->now_us(), absl::StrCat("batch a", a, " ", AddrName(from), " of ",
                                              batch.size(), " calls"));
    }
    const std::vector<core::AcceptorReply> replies = acceptors_[a].HandleBatch(batch);
    for (size_t k = 0; k < batch.size(); ++k) Answer(from, batch[k], replies[k]);
  }
}

void Cluster::HandleAtAcceptor(ProposerAddr from, const core::AcceptorRequest& request) {
  Answer(from, request, acceptors_[request.acceptor].Handle(request));
}

void Cluster::Answer(ProposerAddr from, const core::AcceptorRequest& request,
                     const core::AcceptorReply& reply) {
  if (request.kind == core::AcceptorRequest::Kind::kAccept &&
      reply.status == core::AcceptorReply::Status::kOk) {
    monitor_.OnAcceptApplied(request);
  }
  log_->Add(loop_->now_us(), absl::StrCat("handle a", request.acceptor, " ", AddrName(from), " ",
                                          DescribeRequest(request), " -> ", DescribeReply(reply)));
  network_.SendReply(from, reply);
}

void Cluster::DeliverReply(ProposerAddr to, const core::AcceptorReply& reply) {
  ProposerSlot& s = proposers_[to.slot];
  if (!s.core || s.incarnation != to.incarnation) {
    log_->Add(loop_->now_us(), absl::StrCat("drop a", reply.acceptor, ">", AddrName(to), " m",
                                            reply.msg_id, " proposer gone"));
    return;
  }
  log_->Add(loop_->now_us(), absl::StrCat("recv ", AddrName(to), "<a", reply.acceptor, " ",
                                          DescribeReply(reply)));
  s.core->OnReply(reply, loop_->now_ms());
  Drain(to.slot);
}

void Cluster::CrashAcceptor(int a) {
  const size_t lost = acceptors_[a].Crash();
  log_->Add(loop_->now_us(), absl::StrCat("acceptor a", a, " down, ", lost, " queued lost"));
  HintAcceptorUp(a, false);
}

void Cluster::RestartAcceptor(int a) {
  if (dead_[a]) return;
  acceptors_[a].Restart();
  HintAcceptorUp(a, true);
}

void Cluster::HintAcceptorUp(int a, bool up) {
  static constexpr int64_t kHintDelayMaxUs = 200'000;
  const uint64_t seq = ++hint_seq_[a];
  loop_->After(rng_.Range(0, kHintDelayMaxUs), [this, a, up, seq] {
    if (seq != hint_seq_[a]) return;  // a later change of state overtook this hint
    acceptor_hint_up_[a] = up;
    log_->Add(loop_->now_us(), absl::StrCat("hint: acceptor a", a, up ? " up" : " down"));
    for (ProposerSlot& s : proposers_) {
      if (s.core) s.core->SetAcceptorUp(a, up);
    }
  });
}

void Cluster::PauseAcceptor(int a) { acceptors_[a].Pause(); }

void Cluster::ResumeAcceptor(int a) {
  if (acceptors_[a].lua()) {
    HandleBatches(a, acceptors_[a].Resume());
    return;
  }
  for (const AcceptorNode::Queued& q : acceptors_[a].Resume()) HandleAtAcceptor(q.from, q.request);
}

void Cluster::CrashProposer(int p) {
  ProposerSlot& s = proposers_[p];
  if (!s.core) return;
  AddStats(&finished_stats_, s.core->stats());
  s.core.reset();
  s.ticks_ms.clear();
  std::vector<uint64_t> lost;
  std::vector<uint64_t> lost_operator;
  for (uint64_t id : s.requests) (ListenerFor(id) == listener_ ? lost : lost_operator).push_back(id);
  s.requests.clear();
  log_->Add(loop_->now_us(), absl::StrCat("proposer ", AddrName(addr(p)), " crashed with ",
                                          lost.size() + lost_operator.size(), " requests"));
  listener_->OnProposerCrashed(p, lost);
  if (!lost_operator.empty()) operator_listener_->OnProposerCrashed(p, lost_operator);
}

void Cluster::RecycleIfIdle(int p, uint64_t incarnation) {
  ProposerSlot& s = proposers_[p];
  if (!churn_ || !s.core || s.incarnation != incarnation || !s.requests.empty() ||
      s.core->requests_in_flight() != 0) {
    return;
  }
  log_->Add(loop_->now_us(), absl::StrCat("fault: churn proposer ", AddrName(addr(p)), " (idle)"));
  AddStats(&finished_stats_, s.core->stats());
  s.core.reset();
  ++restarts_;
  StartProposer(p);
}

void Cluster::RestartProposer(int p) {
  if (proposers_[p].core) return;
  ++restarts_;
  StartProposer(p);
}

void Cluster::AddStats(core::ProposerStats* sum, const core::ProposerStats& s) {
  sum->requests_submitted += s.requests_submitted;
  sum->requests_completed_ok += s.requests_completed_ok;
  sum->requests_failed += s.requests_failed;
  sum->rounds_started += s.rounds_started;
  sum->rounds_one_rtt += s.rounds_one_rtt;
  sum->rounds_two_rtt += s.rounds_two_rtt;
  sum->rounds_succeeded += s.rounds_succeeded;
  sum->rounds_failed += s.rounds_failed;
  sum->reads_skipped_accept += s.reads_skipped_accept;
  sum->prepare_conflicts += s.prepare_conflicts;
  sum->accept_conflicts += s.accept_conflicts;
  sum->phase_timeouts += s.phase_timeouts;
  sum->retries_resolved_applied += s.retries_resolved_applied;
  sum->cache_evictions += s.cache_evictions;
  sum->writer_marks_evicted += s.writer_marks_evicted;
  sum->retries_marks_evicted += s.retries_marks_evicted;
  sum->accepts_not_applied += s.accepts_not_applied;
  sum->fenced_replies += s.fenced_replies;
}

absl::Status Cluster::CheckProposerInvariants() const {
  for (size_t p = 0; p < proposers_.size(); ++p) {
    if (!proposers_[p].core) continue;
    if (absl::Status s = proposers_[p].core->CheckInvariants(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("proposer ", AddrName(addr(static_cast<int>(p))),
                                                 ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

core::ProposerStats Cluster::TotalStats() const {
  core::ProposerStats sum = finished_stats_;
  for (const ProposerSlot& s : proposers_) {
    if (s.core) AddStats(&sum, s.core->stats());
  }
  return sum;
}

}  // namespace gryadka::sim
