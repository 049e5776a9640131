// What simulated clients do: each client runs one workload, which picks its next operation and
// learns from the outcome of the previous one. Every written value is unique in the run
// ("c<client>.<n>"), so a checker report names the write it saw. Thread-compatible.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gryadka/v1/kv.pb.h"
#include "proposer/core/random.h"
#include "tests/sim/history.h"
#include "tests/sim/scenarios.h"

namespace gryadka::sim {

struct OpRequest {
  std::string key;
  v1::ChangeOp change;
  v1::QueryOp query;
};

class ClientWorkload {
 public:
  virtual ~ClientWorkload() = default;
  // The client's next operation.
  virtual OpRequest Next(core::Random& rng) = 0;
  // The outcome of the operation Next() returned last (`response` is valid when kOk).
  virtual void Observe(const OpRequest& op, Outcome outcome,
                       const v1::ChangeQueryResponse& response) = 0;
};

// Keys are "k0".."k<keys-1>". REQUIRES: keys >= 1.
std::unique_ptr<ClientWorkload> MakeWorkload(Workload kind, int client, int keys);
std::string KeyName(int index);

}  // namespace gryadka::sim
