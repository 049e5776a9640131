// The seam between a proposer's event loop and one acceptor. Implementations: RedisAcceptor
// (production) and test doubles. Called only on the owning event loop's thread.
#pragma once

#include <functional>
#include <string>

#include "proposer/core/messages.h"

namespace gryadka::acceptor {

// Receives every reply. Called on the loop thread, never synchronously from inside Send().
using ReplySink = std::function<void(const core::AcceptorReply&)>;

class Acceptor {
 public:
  virtual ~Acceptor() = default;
  // Sends one prepare or accept. The sink is called exactly once for it: kOk/kConflict/
  // kInvalidState with the acceptor's answer, or kError (disconnected, timed out, protocol
  // error) with a message naming the acceptor and the cause. Requests sent in one loop turn are
  // pipelined together.
  virtual void Send(const core::AcceptorRequest& request) = 0;
  // True while a connection is established and the last health check answered in time.
  virtual bool Healthy() const = 0;
  // Whether Healthy() is a verdict yet: false until the first connection attempt and health
  // check have finished (answered, failed or timed out). The default: always a verdict.
  virtual bool HealthKnown() const { return true; }
  // Why the acceptor is not Healthy() (the last connection, PING or AUTH error, naming the
  // cause); "" while healthy. For logs.
  virtual std::string HealthError() const { return Healthy() ? "" : "unhealthy"; }
  // "redis 127.0.0.1:6379" — for logs and error messages.
  virtual std::string Describe() const = 0;
};

}  // namespace gryadka::acceptor
