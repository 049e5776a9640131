#include "tests/sim/clients.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gryadka::sim {

namespace {
constexpr int64_t kNoProposerRetryUs = 10'000;  // a client with no live proposer retries after
}  // namespace

ClientDriver::ClientDriver(EventLoop* loop, EventLog* log, const SimParams& params,
                           Cluster* cluster, History* history)
    : loop_(loop),
      log_(log),
      params_(params),
      cluster_(cluster),
      history_(history),
      rng_(StreamSeed(params.seed, kStreamClients)),
      clients_(params.clients) {
  for (int c = 0; c < params.clients; ++c) {
    clients_[c].id = c;
    clients_[c].workload = MakeWorkload(params.workload, c, params.keys);
  }
}

ClientDriver::~ClientDriver() = default;

void ClientDriver::Start() {
  for (int c = 0; c < params_.clients; ++c) ScheduleStep(c);
}

void ClientDriver::ScheduleStep(int c) {
  Client& cl = clients_[c];
  if (cl.step_pending) return;
  cl.step_pending = true;
  loop_->After(rng_.Range(0, params_.client.think_max_ms * 1000), [this, c] {
    clients_[c].step_pending = false;
    Step(c);
  });
}

int ClientDriver::ChooseProposer(const std::string& key) {
  std::vector<int> up;
  for (int p = 0; p < params_.proposers; ++p) {
    if (cluster_->proposer_up(p)) up.push_back(p);
  }
  if (up.empty()) return -1;
  if (params_.client.key_affinity) {
    int h = 0;
    for (char ch : key) h = (h * 31 + static_cast<unsigned char>(ch)) % params_.proposers;
    if (cluster_->proposer_up(h)) return h;
  }
  return up[rng_.Uniform(up.size())];
}

void ClientDriver::Step(int c) {
  Client& cl = clients_[c];
  if (cl.in_flight.has_value()) return;
  if (!healed_ && FaultWorkDone(cl)) {
    cl.waiting_for_heal = true;
    MaybeFaultWorkDone();
    return;
  }
  if (healed_ && cl.liveness_ops >= params_.liveness_ops) return;
  if (!cl.next.has_value()) cl.next = cl.workload->Next(rng_);
  const int p = ChooseProposer(cl.next->key);
  if (p < 0) {
    log_->Add(loop_->now_us(), absl::StrCat("client c", c, " finds no proposer up"));
    cl.step_pending = true;
    loop_->After(kNoProposerRetryUs, [this, c] {
      clients_[c].step_pending = false;
      Step(c);
    });
    return;
  }
  cl.current = std::move(*cl.next);
  cl.next.reset();
  InFlight f;
  f.history_id = history_->Invoke(c, cl.current.key, cl.current.change, cl.current.query,
                                  loop_->now_us());
  f.request_id = next_request_id_++;
  f.to = cluster_->addr(p);
  f.deadline_ms = loop_->now_ms() + params_.client.deadline_ms;
  f.liveness = healed_;
  request_owner_[f.request_id] = c;
  cl.in_flight = f;
  log_->Add(loop_->now_us(), absl::StrFormat("invoke c%d #%d r%d -> %s %s %s", c, f.history_id,
                                             f.request_id, AddrName(f.to), cl.current.key,
                                             DescribeChange(cl.current.change)));
  const uint64_t history_id = f.history_id;
  loop_->At((f.deadline_ms + params_.client.timeout_grace_ms) * 1000,
            [this, c, history_id] { OnTimeout(c, history_id); });
  core::ClientRequest req;
  req.id = f.request_id;
  req.key = cl.current.key;
  req.change = cl.current.change;
  req.query = cl.current.query;
  req.deadline_ms = f.deadline_ms;
  cluster_->Submit(p, std::move(req));
}

void ClientDriver::OnCompletion(int proposer, const core::Completion& completion) {
  auto it = request_owner_.find(completion.id);
  if (it == request_owner_.end()) {
    log_->Add(loop_->now_us(), absl::StrCat("late answer r", completion.id, " ignored"));
    return;
  }
  Client& cl = clients_[it->second];
  request_owner_.erase(it);
  InFlight& f = *cl.in_flight;
  if (loop_->now_ms() > f.deadline_ms) {
    liveness_failures_.push_back(absl::StrFormat(
        "proposer %s answered request r%d at %d ms, after its deadline of %d ms",
        AddrName(f.to), completion.id, loop_->now_ms(), f.deadline_ms));
  }
  if (!healed_ && params_.fault.client_reply_loss_p > 0 &&
      rng_.Chance(params_.fault.client_reply_loss_p)) {
    f.answer_lost = true;
    log_->Add(loop_->now_us(), absl::StrFormat("answer r%d to c%d LOST (%s)", completion.id,
                                               cl.id, completion.status.ToString()));
    return;
  }
  Finish(cl, OutcomeOfStatus(completion.status), completion.response,
         completion.status.ok() ? "" : completion.status.ToString());
}

void ClientDriver::OnProposerCrashed(int proposer, const std::vector<uint64_t>& request_ids) {
  for (uint64_t id : request_ids) {
    auto it = request_owner_.find(id);
    if (it == request_owner_.end()) continue;
    Client& cl = clients_[it->second];
    request_owner_.erase(it);
    Finish(cl, Outcome::kUnknown, {}, "the proposer crashed (connection reset)");
  }
}

void ClientDriver::OnTimeout(int c, uint64_t history_id) {
  Client& cl = clients_[c];
  if (!cl.in_flight.has_value() || cl.in_flight->history_id != history_id) return;
  const InFlight& f = *cl.in_flight;
  if (!f.answer_lost) {
    // The proposer is alive (a crash would have ended the op) and never answered.
    liveness_failures_.push_back(absl::StrFormat(
        "proposer %s never answered request r%d (op #%d) by its deadline of %d ms",
        AddrName(f.to), f.request_id, f.history_id, f.deadline_ms));
  }
  request_owner_.erase(f.request_id);
  Finish(cl, Outcome::kUnknown, {}, "client timed out waiting for the answer");
}

void ClientDriver::Finish(Client& cl, Outcome outcome, const v1::ChangeQueryResponse& response,
                          const std::string& error) {
  const InFlight f = *cl.in_flight;
  cl.in_flight.reset();
  history_->Complete(f.history_id, outcome, response, error, loop_->now_us());
  log_->Add(loop_->now_us(),
            absl::StrCat("answer ", DescribeOp(history_->op(f.history_id))));
  cl.workload->Observe(cl.current, outcome, response);
  if (f.liveness) {
    ++cl.liveness_ops;
    if (outcome != Outcome::kOk) {
      liveness_failures_.push_back(absl::StrCat("after healing, an operation failed: ",
                                                DescribeOp(history_->op(f.history_id))));
    }
  } else {
    ++cl.fault_ops;
  }
  ScheduleStep(cl.id);
}

void ClientDriver::MaybeFaultWorkDone() {
  if (fault_work_done_) return;
  for (const Client& cl : clients_) {
    if (!FaultWorkDone(cl)) return;
  }
  fault_work_done_ = true;
  if (on_fault_work_done_) on_fault_work_done_();
}

bool ClientDriver::FaultWorkDone(const Client& cl) const {
  if (cl.fault_ops < params_.intensity) return false;
  return !keep_running_ || cl.fault_ops >= kKeepRunningFactor * params_.intensity ||
         !keep_running_();
}

void ClientDriver::Heal() {
  healed_ = true;
  for (Client& cl : clients_) {
    cl.waiting_for_heal = false;
    if (!cl.in_flight.has_value()) ScheduleStep(cl.id);
  }
}

bool ClientDriver::all_done() const {
  if (!healed_) return false;
  for (const Client& cl : clients_) {
    if (cl.in_flight.has_value() || cl.liveness_ops < params_.liveness_ops) return false;
  }
  return true;
}

std::string ClientDriver::DescribeUnfinished() const {
  std::string s;
  for (const Client& cl : clients_) {
    if (cl.in_flight.has_value()) {
      absl::StrAppendFormat(&s, "    c%d waits for %s (sent to %s, deadline %d ms)\n", cl.id,
                            DescribeOp(history_->op(cl.in_flight->history_id)),
                            AddrName(cl.in_flight->to), cl.in_flight->deadline_ms);
    } else if (cl.liveness_ops < params_.liveness_ops) {
      absl::StrAppendFormat(&s, "    c%d has done %d of %d operations after healing\n", cl.id,
                            cl.liveness_ops, params_.liveness_ops);
    }
  }
  return s;
}

}  // namespace gryadka::sim
