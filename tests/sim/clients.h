// The simulated clients. Each runs its workload one operation at a time: picks a proposer (the
// key's home proposer under key affinity, else a random live one), submits with a deadline,
// records invocation and answer in the history, and thinks a little before the next operation.
// A client whose answer was lost (client-timeout fault) gives up timeout_grace_ms after the
// deadline and records the outcome as unknown; so does a client whose proposer crashed.
//
// In the fault phase each client runs `intensity` operations; after healing, `liveness_ops`
// more, each of which must succeed. Thread-compatible.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proposer/core/random.h"
#include "tests/sim/cluster.h"
#include "tests/sim/history.h"
#include "tests/sim/workload.h"

namespace gryadka::sim {

class ClientDriver : public ClusterListener {
 public:
  ClientDriver(EventLoop* loop, EventLog* log, const SimParams& params, Cluster* cluster,
               History* history);
  ~ClientDriver() override;

  // Schedules every client's first operation.
  void Start();
  // The network healed: clients finish what they do and run their liveness operations.
  void Heal();

  // While `fn` returns true, clients go on past `intensity` fault-phase operations (up to
  // kKeepRunningFactor times as many): they keep running while a membership change is under way.
  void set_keep_running(std::function<bool()> fn) { keep_running_ = std::move(fn); }
  static constexpr int kKeepRunningFactor = 4;
  // Called once, when every client has finished its fault-phase operations.
  void set_on_fault_work_done(std::function<void()> fn) { on_fault_work_done_ = std::move(fn); }
  bool all_done() const;
  // Violations of liveness seen so far (a failed operation after healing, an unanswered
  // request), in words.
  const std::vector<std::string>& liveness_failures() const { return liveness_failures_; }
  // What every unfinished client is waiting for.
  std::string DescribeUnfinished() const;

  // ClusterListener.
  void OnCompletion(int proposer, const core::Completion& completion) override;
  void OnProposerCrashed(int proposer, const std::vector<uint64_t>& request_ids) override;

 private:
  struct InFlight {
    uint64_t history_id = 0;
    uint64_t request_id = 0;
    ProposerAddr to;
    int64_t deadline_ms = 0;
    bool liveness = false;     // issued after healing
    bool answer_lost = false;  // the proposer answered but the answer never reached the client
  };
  struct Client {
    int id = 0;
    std::unique_ptr<ClientWorkload> workload;
    std::optional<OpRequest> next;  // chosen, not yet submitted (no proposer was up)
    std::optional<InFlight> in_flight;
    OpRequest current;
    int fault_ops = 0;
    int liveness_ops = 0;
    bool waiting_for_heal = false;
    bool step_pending = false;  // a Step event is scheduled
  };

  void Step(int c);
  int ChooseProposer(const std::string& key);
  void Finish(Client& c, Outcome outcome, const v1::ChangeQueryResponse& response,
              const std::string& error);
  void OnTimeout(int c, uint64_t history_id);
  void ScheduleStep(int c);
  void MaybeFaultWorkDone();
  // The client has done every fault-phase operation it is to do.
  bool FaultWorkDone(const Client& cl) const;

  EventLoop* loop_;
  EventLog* log_;
  const SimParams& params_;
  Cluster* cluster_;
  History* history_;
  core::Random rng_;
  std::vector<Client> clients_;
  std::map<uint64_t, int> request_owner_;  // request id -> client
  uint64_t next_request_id_ = 1;
  bool healed_ = false;
  bool fault_work_done_ = false;
  std::function<void()> on_fault_work_done_;
  std::function<bool()> keep_running_;
  std::vector<std::string> liveness_failures_;
};

}  // namespace gryadka::sim
