// An in-process gryadka.v1.Admin server for gryadkactl membership tests: a running Membership
// (SetMembership is a compare-and-set on its epoch), acceptor fences kept in a FakeFences shared
// by several servers, and a Rescan stream of two progress messages (optionally broken once after
// the first). No rounds run: rounds_in_older_epochs is always 0. Listens on 127.0.0.1 at a port
// the kernel picks.
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
#include "gryadka/v1/admin.grpc.pb.h"

namespace gryadka::testing {

// The acceptors' minimum epochs, shared by the fake proposers of one test.
struct FakeFences {
  absl::Mutex mu;
  std::map<std::string, uint64_t> min_epoch ABSL_GUARDED_BY(mu);
};

class FakeAdminServer {
 public:
  // Starts a server running `membership`; aborts the test binary if it cannot listen.
  static std::unique_ptr<FakeAdminServer> Start(const v1::Membership& membership,
                                                FakeFences* fences, uint64_t proposer_id);
  ~FakeAdminServer();

  const std::string& target() const { return target_; }
  v1::Membership membership() const;
  // The next Rescan stream fails with UNAVAILABLE after its first progress message.
  void BreakNextRescan();
  // Cursors the Rescan calls started from, comma-separated ("" = from the start).
  std::string RescanCursors() const;
  void Shutdown();  // idempotent

 private:
  class Service;
  FakeAdminServer() = default;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
};

}  // namespace gryadka::testing
