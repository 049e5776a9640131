// The named scenarios. A name follows the original Gryadka: "<fault family>/c<clients>p<proposers>
// k<keys>", with ".i" for a deliberately inconsistent quorum configuration that the checkers must
// catch and ".a5" for five acceptors. A scenario fixes the shape (counts, workload) and which
// faults are switched on; the seed draws the magnitudes (see params.h). Thread-safe (constant).
#pragma once

#include <string>
#include <vector>

namespace gryadka::sim {

enum class Workload {
  kCasLoop,    // the original's homogeneous clients: read, change, compare_and_set, repeat
  kIncrement,  // increments with record or version queries
  kMix,        // every op of kv.proto (put, put_if_absent, cas, increment, append, delete, read)
};
const char* WorkloadName(Workload w);

struct FaultSwitches {
  bool reorder = false;            // heavy-tailed message delays
  bool loss = false;               // requests and replies lost (also after the acceptor applied)
  bool duplication = false;        // messages delivered twice
  bool partitions = false;         // symmetric and asymmetric, changing over time
  bool acceptor_crashes = false;   // crash and restart with durable state
  bool acceptor_pauses = false;    // messages queue and are delivered late
  bool proposer_restarts = false;  // new Proposer with a new id; caches and queues lost
  bool client_timeouts = false;    // answers to clients lost: the client gives up at its deadline
  bool accept_loss = false;        // heavy extra loss on accept requests only (1-RTT minority)
  int acceptors_down = 0;          // acceptors down for the whole fault phase
  // Requests that never leave the proposer: each fails at once with kError and
  // maybe_applied = false with chance not_sent_p (a full queue), and every request over a
  // proposer's connection to an acceptor fails so while that connection is down (disconnections
  // of a random subset of acceptors, sometimes all, from time to time).
  bool disconnects = false;
  // Every proposer but proposer 0 is replaced by a new incarnation (new id) as soon as it is
  // idle after answering a request, so every write comes from a new id and the key's writer
  // marks overflow (kWriterMarksMax); proposer 0 keeps its id, so its retries meet registers
  // whose marks were pushed out. Nothing is lost: only idle proposers are replaced.
  bool proposer_churn = false;
};

// An online membership change run by the simulated operator (tests/sim/operator.h) while the
// clients run and the faults act.
enum class MembershipChange {
  kNone,
  kGrow,         // 3 -> 4: one spare acceptor joins
  kFlux,         // 3 -> 4 -> 5 -> 4 -> 3, twice: spares join, random members leave
  kReplaceDead,  // a member crashes for good and an empty spare replaces it
  kMissedStep,   // grow, then replace a member; the last proposer is never reconfigured and
                 // learns every configuration from fenced replies only
  kRotate,       // replace every starting member, oldest first, by an empty acceptor
};
const char* MembershipChangeName(MembershipChange m);

struct ScenarioSpec {
  std::string name;
  std::string summary;  // one line for --list
  int clients = 1;
  int proposers = 1;
  int keys = 1;
  int acceptors = 3;
  Workload workload = Workload::kCasLoop;
  FaultSwitches faults;
  // ".i": prepare quorum 1 and accept quorum 1 of 3 (allow_unsafe_quorums). Passes only when
  // the checkers find a violation.
  bool inconsistent_quorums = false;
  // Clients may route each key to one proposer (drawn per seed). Off for ".i": one proposer per
  // key with a 1-RTT cache hides much of the inconsistency the scenario must expose.
  bool key_affinity_allowed = true;
  int default_intensity = 100;  // operations per client in the fault phase
  int ctest_seeds = 200;        // seeds 1..N run by ctest (0: covered by a GoogleTest instead)
  int ctest_lua_seeds = 20;     // seeds 1..N run by ctest again with Lua acceptors (0: none)

  // Membership change. `acceptors` counts every acceptor process; the first
  // `initial_members` (0: all) form the starting configuration, the rest start empty and in no
  // configuration until the operator adds them.
  MembershipChange membership = MembershipChange::kNone;
  int initial_members = 0;
  // The operator skips every rescan step: an UNSAFE change that the checkers must catch (the run
  // passes only when they find a violation, like ".i").
  bool skip_rescan = false;
  // Clients keep running past `intensity` operations until the change is complete; when false
  // they stop after `intensity` and the rest of the change meets cold keys.
  bool clients_follow_change = true;
  int64_t operator_delay_ms = 0;  // the change starts this much later than otherwise
  // Each seed draws a random valid flexible configuration (prepare and accept sets and quorums
  // that differ but intersect) over the acceptors instead of majorities.
  bool flexible_quorums = false;
};

const std::vector<ScenarioSpec>& Scenarios();
// nullptr when no scenario has that name.
const ScenarioSpec* FindScenario(const std::string& name);

}  // namespace gryadka::sim
