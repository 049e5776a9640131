// The simulated network between proposers and acceptors. Every message gets a delay (uniform,
// or heavy-tailed: that is what reorders messages), may be lost (a request before the acceptor,
// or a reply after the acceptor applied the request), duplicated, or cut by a partition (checked
// when it is sent and again when it arrives). A lost message is sometimes reported to its
// proposer as a transport error (kError), as a Redis client reports a broken connection. A
// message in flight to or from an acceptor that crashes is lost with the connection.
// All choices come from the network's own random stream. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proposer/core/messages.h"
#include "proposer/core/random.h"
#include "tests/sim/event_log.h"
#include "tests/sim/event_loop.h"
#include "tests/sim/params.h"

namespace gryadka::sim {

// A proposer process: its slot and which incarnation of it (a restarted proposer is a new one).
struct ProposerAddr {
  int slot = 0;
  uint64_t incarnation = 0;
};

// Where delivered messages go.
class NetworkSink {
 public:
  virtual ~NetworkSink() = default;
  // `duplicated`: another copy of this request is in flight too.
  virtual void DeliverRequest(ProposerAddr from, const core::AcceptorRequest& request,
                              bool duplicated) = 0;
  virtual void DeliverReply(ProposerAddr to, const core::AcceptorReply& reply) = 0;
  // Counts the crashes of acceptor `a`. A message sent over a connection that a crash broke
  // (the acceptor's epoch changed while it was in flight) is lost.
  virtual uint64_t AcceptorEpoch(int a) const = 0;
};

class Network {
 public:
  Network(EventLoop* loop, EventLog* log, uint64_t seed, const NetworkParams& params,
          int proposers, int acceptors, NetworkSink* sink);

  void SendRequest(ProposerAddr from, const core::AcceptorRequest& request);
  void SendReply(ProposerAddr to, const core::AcceptorReply& reply);
  // The request could not be handled (its acceptor is down): with error_reply_p the proposer
  // hears a transport error, otherwise nothing. `maybe_applied` is false only when no copy of
  // the request can have been applied.
  void RequestFailed(ProposerAddr from, const core::AcceptorRequest& request, const char* why,
                     bool maybe_applied);

  // The proposer's connection to the acceptor is down (or up again): until it is up, every
  // request over it fails at once, never sent (kError, maybe_applied = false).
  void SetDisconnected(int proposer, int acceptor, bool down);

  // Partitions: cut the link proposer→acceptor (requests) and/or acceptor→proposer (replies).
  void Cut(int proposer, int acceptor, bool requests, bool replies);
  void ClearPartitions();
  // Describes the current cuts ("p0>a1 a2>p1 ..."), "none" when there are none.
  std::string DescribePartitions() const;

  // After the fault phase: no more loss, duplication, partitions, disconnections or heavy tails.
  void Heal();

  uint64_t messages_sent() const { return sent_; }
  uint64_t messages_lost() const { return lost_; }
  // Requests that failed without being sent (disconnected, or the not_sent_p draw).
  uint64_t requests_not_sent() const { return not_sent_; }

 private:
  int64_t SampleDelayUs();
  bool RequestCut(int p, int a) const { return cut_requests_[p * acceptors_ + a]; }
  bool ReplyCut(int p, int a) const { return cut_replies_[p * acceptors_ + a]; }
  // The request never leaves the proposer: it hears kError, maybe_applied = false, at once.
  void ReportNotSent(ProposerAddr from, const core::AcceptorRequest& request, const char* why);
  void ReportError(ProposerAddr to, const core::AcceptorRequest& request, const std::string& why,
                   bool maybe_applied);

  EventLoop* loop_;
  EventLog* log_;
  core::Random rng_;
  NetworkParams params_;
  int proposers_;
  int acceptors_;
  NetworkSink* sink_;
  std::vector<bool> cut_requests_;  // [proposer * acceptors + acceptor]
  std::vector<bool> cut_replies_;
  std::vector<bool> disconnected_;  // [proposer * acceptors + acceptor]
  uint64_t sent_ = 0;
  uint64_t not_sent_ = 0;
  uint64_t lost_ = 0;
};

// "p1.2" — slot 1, incarnation 2.
std::string AddrName(ProposerAddr a);
// "prepare m17 k0 b=3.9f2c" / "accept m18 k0 b=... next=... v=<hash>" for the event log.
std::string DescribeRequest(const core::AcceptorRequest& r);
std::string DescribeReply(const core::AcceptorReply& r);

}  // namespace gryadka::sim
