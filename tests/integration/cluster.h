// A real local cluster for integration tests: Redis acceptors and gryadka-proposer processes on
// free loopback ports, each in its own temp dir, stopped (by PID) when the Cluster is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "client/shared/process_handle.h"
#include "tests/support/redis_process.h"

namespace gryadka::integration {

struct ClusterOptions {
  int acceptors = 3;
  int proposers = 1;
  std::vector<std::string> proposer_flags;  // extra flags for every proposer
  int64_t serving_timeout_ms = 15000;       // bound on waiting for SERVING at start
  // false: proposers get no --acceptors flag (their flags name the acceptors another way,
  // e.g. --membership_file).
  bool acceptors_flag = true;
  // Non-empty: every Redis starts with --requirepass (see RedisProcessOptions::requirepass).
  std::string redis_requirepass;
  std::vector<std::string> proposer_env;  // extra "NAME=value" for every proposer
};

class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options = {});
  ~Cluster();

  test_support::RedisProcess& redis(int i) { return *redis_[i]; }
  process::ProcessHandle& proposer(int i) { return *proposers_[i]; }
  std::string target(int i) const { return "127.0.0.1:" + std::to_string(proposer_ports_[i]); }
  std::string acceptor_list() const;
  int num_proposers() const { return static_cast<int>(proposers_.size()); }

  // A client of proposer i (or of all proposers with i = -1).
  std::unique_ptr<Client> NewClient(int i = 0, int64_t default_deadline_ms = 5000) const;
  // A raw generated stub of proposer i, for tests that need the exact wire behaviour.
  std::unique_ptr<v1::KV::Stub> NewStub(int i = 0) const;

  // Polls proposer i's health until it is SERVING (want=true) or not (want=false).
  absl::Status WaitHealth(int i, bool want, int64_t timeout_ms = 15000) const;

  // Starts one more proposer with the cluster's acceptors and `extra_flags` (and `extra_env`,
  // "NAME=value" entries); returns its index.
  absl::StatusOr<int> AddProposer(const std::vector<std::string>& extra_flags,
                                  const std::vector<std::string>& extra_env = {});

  // Log tails of every process, for failure messages.
  std::string Logs() const;

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  ClusterOptions options_;
  std::vector<std::unique_ptr<test_support::RedisProcess>> redis_;
  std::vector<std::unique_ptr<process::ProcessHandle>> proposers_;
  std::vector<int> proposer_ports_;
};

// The body of http://127.0.0.1:PORT/metrics, a proposer's --metrics_listen ("" when it cannot be
// fetched; 5 s receive timeout).
std::string FetchMetrics(int port);

// The value of the sample `series` (name with labels, exactly as exposed) in a /metrics body;
// -1 when absent.
double MetricSample(const std::string& body, const std::string& series);

}  // namespace gryadka::integration
