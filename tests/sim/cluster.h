// The simulated cluster: acceptor processes (MemoryAcceptor or the production Lua scripts), proposer processes
// (production core::Proposer, one object per incarnation) and the network between them. It
// carries out what the proposers ask for — messages to send, timers to arm (a Tick at
// NextWakeupMs) — and hands their completions to the listener (the clients). It is the target
// of the fault injector. Each proposer runs inside a shell that, like the gRPC server, takes new
// configurations from the operator (ConfigureProposer), adopts a newer one from a fenced reply
// (core::Proposer::TakeFenceNotice) and restarts with the operator's latest published one.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/core/proposer.h"
#include "proposer/core/random.h"
#include "tests/sim/accept_monitor.h"
#include "tests/sim/acceptor_node.h"
#include "tests/sim/event_log.h"
#include "tests/sim/event_loop.h"
#include "tests/sim/faults.h"
#include "tests/sim/network.h"
#include "tests/sim/params.h"

namespace gryadka::sim {

// Request ids at and above this are the operator's (rescan and audit reads); their completions go
// to the operator listener.
inline constexpr uint64_t kOperatorRequestIdBase = uint64_t{1} << 62;

// Acceptor `a`'s address in a gryadka.v1.Membership: "a<a>".
std::string AcceptorAddress(int a);
// The acceptor of an address "a<N>" with N < acceptors, or -1.
core::AcceptorId ParseAcceptorAddress(const std::string& address, int acceptors);

class ClusterListener {
 public:
  virtual ~ClusterListener() = default;
  // A proposer answered a request.
  virtual void OnCompletion(int proposer, const core::Completion& completion) = 0;
  // A proposer crashed; these requests (submitted to it, unanswered) will never be answered.
  virtual void OnProposerCrashed(int proposer, const std::vector<uint64_t>& request_ids) = 0;
};

class Cluster : public NetworkSink, public FaultTarget {
 public:
  // Starts every proposer and acceptor. Completions go to the listener (set before any
  // request is submitted).
  Cluster(EventLoop* loop, EventLog* log, const SimParams& params);
  ~Cluster() override;
  void set_listener(ClusterListener* listener) { listener_ = listener; }
  // Receives the completions of requests with ids >= kOperatorRequestIdBase.
  void set_operator_listener(ClusterListener* listener) { operator_listener_ = listener; }

  // Membership. A proposer (re)started from now on runs `m` (its membership file); the
  // missed-step proposer (SimParams::missed_proposer) keeps the initial configuration.
  void Publish(const v1::Membership& m);
  // Proposer p's shell gets `m` (SetMembership): reconfigures when m's epoch is above the
  // running one. Returns false when p is down. REQUIRES: core::ValidateMembership(m).ok().
  bool ConfigureProposer(int p, const v1::Membership& m);
  // nullptr while proposer p is down.
  const core::Proposer* proposer(int p) const { return proposers_[p].core.get(); }
  int acceptors() const { return static_cast<int>(acceptors_.size()); }
  AcceptorNode& acceptor(int a) { return acceptors_[a]; }
  bool acceptor_dead(int a) const { return dead_[a]; }
  // Crashes acceptor `a` for good: restarts are ignored from now on.
  void KillAcceptorForGood(int a);
  // Client requests submitted to a proposer that still ran an older configuration than the
  // operator's latest published one (a configure step in progress, or the missed proposer).
  uint64_t submits_behind_published() const { return submits_behind_published_; }
  // Configurations proposer p adopted from fenced replies, over all its incarnations.
  uint64_t fence_adoptions(int p) const { return proposers_[p].fence_adoptions; }

  bool proposer_up(int p) const { return proposers_[p].core != nullptr; }
  ProposerAddr addr(int p) const { return ProposerAddr{p, proposers_[p].incarnation}; }
  // Hands a client request to proposer `p`. REQUIRES: proposer_up(p).
  void Submit(int p, core::ClientRequest request);

  Network& network() { return network_; }
  const AcceptMonitor& monitor() const { return monitor_; }
  // Summed over every proposer incarnation so far.
  core::ProposerStats TotalStats() const;
  uint64_t restarts() const { return restarts_; }
  // Ends proposer churn (at healing).
  void StopChurn() { churn_ = false; }
  // Proposer::CheckInvariants of every live proposer: OK, or the first error naming the proposer.
  absl::Status CheckProposerInvariants() const;
  // Requests proposer `p` still holds (0 while crashed).
  size_t requests_in_flight(int p) const {
    return proposers_[p].core ? proposers_[p].core->requests_in_flight() : 0;
  }

  // NetworkSink.
  void DeliverRequest(ProposerAddr from, const core::AcceptorRequest& request,
                      bool duplicated) override;
  void DeliverReply(ProposerAddr to, const core::AcceptorReply& reply) override;
  uint64_t AcceptorEpoch(int a) const override { return acceptors_[a].epoch(); }

  // FaultTarget.
  void CrashAcceptor(int a) override;
  void RestartAcceptor(int a) override;
  void PauseAcceptor(int a) override;
  void ResumeAcceptor(int a) override;
  void CrashProposer(int p) override;
  void RestartProposer(int p) override;

 private:
  struct ProposerSlot {
    std::unique_ptr<core::Proposer> core;  // null while crashed
    uint64_t incarnation = 0;
    std::set<int64_t> ticks_ms;            // Tick events scheduled and not yet run
    std::set<uint64_t> requests;           // submitted, not yet answered
    uint64_t fence_adoptions = 0;
  };

  void StartProposer(int p);
  // The shell: adopts the configuration of the proposer's newest fence notice when it is valid
  // and newer than the running one.
  void HandleFenceNotices(int p);
  // `m` as proposer p's core configuration. nullopt (logged) when an address is unknown or the
  // configuration invalid.
  std::optional<core::ProposerConfig> ConfigFor(const v1::Membership& m, const char* source);
  ClusterListener* ListenerFor(uint64_t request_id) const;
  // proposer_churn: replaces proposer `p` by a new incarnation (new id) if it is still
  // `incarnation` and holds no request.
  void RecycleIfIdle(int p, uint64_t incarnation);
  // Tells every live proposer, after a detection delay, that acceptor `a` is (not) connected
  // (Proposer::SetAcceptorUp). Hints may arrive late; correctness must not depend on them.
  void HintAcceptorUp(int a, bool up);
  // Sends the outbox, hands over the completions, arms the next Tick.
  void Drain(int p);
  void ArmTick(int p);
  void HandleAtAcceptor(ProposerAddr from, const core::AcceptorRequest& request);
  // Lua acceptors: runs the batch window's arrivals (if the acceptor was not crashed since).
  void FlushPending(int a, uint64_t epoch);
  // Runs `queued` at acceptor `a` as batch calls: per proposer (in order of first arrival), in
  // runs of at most kBatchCallsMax (RedisAcceptorOptions::batch_calls_max).
  void HandleBatches(int a, const std::vector<AcceptorNode::Queued>& queued);
  void Answer(ProposerAddr from, const core::AcceptorRequest& request,
              const core::AcceptorReply& reply);
  static void AddStats(core::ProposerStats* sum, const core::ProposerStats& s);

  EventLoop* loop_;
  EventLog* log_;
  const SimParams& params_;
  ClusterListener* listener_ = nullptr;
  ClusterListener* operator_listener_ = nullptr;
  std::optional<v1::Membership> published_;  // what restarted proposers run (null: params)
  std::vector<bool> dead_;                    // acceptors crashed for good
  uint64_t submits_behind_published_ = 0;
  core::Random rng_;  // proposer ids and seeds
  Network network_;
  std::vector<AcceptorNode> acceptors_;
  std::vector<ProposerSlot> proposers_;
  std::set<uint64_t> used_ids_;
  std::vector<bool> acceptor_hint_up_;  // the latest hint given for each acceptor
  std::vector<uint64_t> hint_seq_;      // hints scheduled per acceptor; only the last applies
  AcceptMonitor monitor_;
  core::ProposerStats finished_stats_;  // of crashed incarnations
  uint64_t restarts_ = 0;
  bool churn_ = true;  // with FaultSwitches::proposer_churn, until healing
};

}  // namespace gryadka::sim
