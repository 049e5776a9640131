// A fault-injecting TCP proxy for the chaos tests: listens on a free loopback port and forwards
// every accepted connection to one upstream loopback port (a Redis acceptor), byte for byte,
// unless a fault is set. Faults apply to the existing connections and to new ones at once:
//   cut          existing connections are reset (RST on both sides); new ones are accepted and
//                reset immediately. Nothing is forwarded.
//   stall        a black hole: connections stay open, nothing is read or forwarded in either
//                direction (bytes wait in the kernel's buffers and in the proxy's, and flow
//                again, in order, when the stall ends). New connections are accepted and held.
//   latency_ms   every chunk read is forwarded latency_ms after it was read (FIFO per
//                direction; a chunk never overtakes an earlier one).
//   block_to_upstream / block_to_client
//                a one-way partition: that direction is stalled, the other flows.
// A connection whose peer closes or fails is closed on both sides (queued bytes are dropped).
//
// Bounds: at most kProxyQueueBytesMax bytes queued per direction of a connection (reading stops
// beyond it), at most kProxyConnectionsMax live connections (more are reset at accept).
//
// Thread-safety: Set() and the getters may be called from any thread. One thread accepts, one
// thread serves each connection; the destructor resets every connection and joins all threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace gryadka::chaos {

inline constexpr size_t kProxyQueueBytesMax = 1 << 20;
inline constexpr int kProxyConnectionsMax = 256;
inline constexpr int64_t kProxyPollIntervalMs = 5;  // how soon a new fault takes effect

struct LinkFaults {
  bool cut = false;
  bool stall = false;
  int64_t latency_ms = 0;
  bool block_to_upstream = false;
  bool block_to_client = false;
  bool operator==(const LinkFaults&) const = default;
  bool healthy() const { return *this == LinkFaults{}; }
};

// "healthy", "cut", "stall", "latency 40ms", "one-way: to upstream blocked", ...
std::string DescribeFaults(const LinkFaults& faults);

class FaultProxy {
 public:
  // Listens on 127.0.0.1:<free port> and forwards to 127.0.0.1:`upstream_port`. Returns
  // INTERNAL naming the failing system call when it cannot listen.
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Replaces the faults (a negative latency counts as 0). Returns at once; every connection
  // picks them up within about kProxyPollIntervalMs (later on a loaded machine).
  void Set(const LinkFaults& faults);
  // Blocks until every live connection serves under the faults of the last Set() (a cut: until
  // they are reset), or `timeout_ms` passed. Returns false on timeout.
  bool WaitApplied(int64_t timeout_ms) const;
  LinkFaults faults() const;

  int port() const { return port_; }
  int upstream_port() const { return upstream_port_; }
  int64_t connections_accepted() const { return accepted_.load(); }
  int live_connections() const;

 private:
  struct Connection;
  FaultProxy(int listen_fd, int port, int upstream_port);
  void AcceptLoop();
  void Serve(Connection* c);
  void ReapFinished();
  LinkFaults Current(uint64_t* generation) const;

  const int listen_fd_;
  const int port_;
  const int upstream_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> accepted_{0};
  mutable std::mutex mu_;
  LinkFaults faults_;                                   // guarded by mu_
  uint64_t generation_ = 0;                             // guarded by mu_; bumped by Set()
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace gryadka::chaos
