// An in-process gryadka.v1.KV server for client tests: a map of records with the registered ops'
// semantics (no Paxos), plus fault injection (fail the next calls with a code, delay calls) and
// per-method call counters. Listens on 127.0.0.1 at a port the kernel picks (SO_REUSEPORT off,
// so no other server can share it) and serves grpc.health.v1 through gRPC's built-in service.
//
// Thread-safety: all methods may be called from any thread while the server runs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "gryadka/v1/kv.grpc.pb.h"

namespace gryadka::testing {

class FakeKvServer {
 public:
  // Starts a server; aborts the test binary (with a message) if it cannot listen.
  static std::unique_ptr<FakeKvServer> Start();
  ~FakeKvServer();

  // "127.0.0.1:PORT".
  const std::string& target() const { return target_; }
  int port() const { return port_; }

  // The next `count` calls (of any method) return `code` without touching the data. An
  // UNAVAILABLE carries the proposer's "nothing written" trailing metadata unless `marked` is
  // false (then it looks like a connection lost mid-call).
  void FailNext(grpc::StatusCode code, int count, bool marked = true);
  // Every call waits this long (or until the client cancels) before it is served.
  void SetDelayMs(int64_t delay_ms);
  // Health of "gryadka.v1.KV".
  void SetServing(bool serving);
  // Calls received so far, per method name ("Get", "Put", ...) or in total.
  int Calls(const std::string& method) const;
  int TotalCalls() const;
  // The stored record of `key` (version 0 when absent).
  v1::Record Stored(const std::string& key) const;
  // Stops serving; the port is closed when this returns. Idempotent.
  void Shutdown();

 private:
  class Service;
  FakeKvServer();

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
  int port_ = 0;
};

}  // namespace gryadka::testing
