// The proposer core's per-key state (internal to proposer/core: included by proposer.cc and
// proposer_invariants.cc only). Thread-compatible, like the Proposer that owns it.
//
// Per key: a queue of waiting requests and at most one Batch. A batch runs one Round (attempt) at
// a time and backs off between attempts; a round holds the configuration it started with, its
// phase in flight (prepare, then accept) with the Tally of answers, and — once it knows the
// register — its AcceptInFlight.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {

// A client request inside the proposer.
struct Proposer::Member {
  ClientRequest req;
  bool done = false;
  // An accept that would apply this member's change was sent and did not reach a quorum: if the
  // member ends without an answer from a later round, its outcome is unknown.
  bool in_changing_accept = false;
};

// An accept that changed the register and did not reach its quorum. Its value may still surface
// (a later prepare may pick it), so the batch must find out before re-applying its changes.
struct Proposer::Attempt {
  uint64_t counter = 0;  // the attempt's ballot counter: the register's mark for us if applied
  std::vector<v1::ChangeQueryResponse> responses;  // per batch member, as that attempt computed
};

// What a round writes once it knows the current register, and what it answers.
struct Proposer::AcceptInFlight {
  internal::StoredRegister new_reg;
  Ballot next;  // the promise the accept asks for (zero = none; 1-RTT off)
  bool changing = false;
  int resolved_attempt = -1;  // index into Batch::unresolved found applied; its responses answer
  std::vector<v1::ChangeQueryResponse> responses;  // this attempt's, per member
};

// One attempt of a batch: a prepare (skipped on the 1-RTT path), then an accept, both under the
// configuration the round started with.
struct Proposer::Round {
  enum class Phase { kPrepare, kAccept };
  std::shared_ptr<const ProposerConfig> config;  // the snapshot; never null
  Ballot ballot;
  bool one_rtt = false;

  // The phase in flight.
  Phase phase = Phase::kPrepare;
  uint64_t msg_id = 0;
  Tally tally;
  int64_t phase_started_ms = 0;
  int64_t phase_deadline_ms = 0;
  int64_t straggler_deadline_ms = -1;  // armed once the phase hinges on silent acceptors
  // Accept to a quorum first (ProposerConfig::accept_quorum_first): the members of the tally's
  // set not asked yet, and when they will be asked anyway (-1: none held).
  std::vector<AcceptorId> held;
  int64_t hedge_deadline_ms = -1;
  std::vector<std::pair<AcceptorId, Ballot>> accepted;  // prepare: accepted ballot per ok
  Ballot best_ballot;
  std::string best_value;
  bool conflict = false;
  bool maybe_applied = false;  // accept: some acceptor took it or may have
  std::vector<std::string> errors;
  absl::Status invalid;  // first kInvalidState seen in this phase

  std::optional<AcceptInFlight> accept;  // once the register is known

  const ProposerConfig& cfg() const { return *config; }
};

// The requests of one key combined into one round, retried until done.
struct Proposer::Batch {
  std::vector<Member> members;
  std::vector<Attempt> unresolved;
  int consecutive_failures = 0;  // for the backoff exponent
  int unavailable_rounds = 0;    // consecutive failures without any conflict
  int64_t backoff_until_ms = 0;  // when `round` is null
  std::unique_ptr<Round> round;  // null while backing off between attempts
};

struct Proposer::KeyState {
  std::string key;
  uint64_t seq = 0;          // creation order: the timer's tie-break
  int64_t timer_ms = -1;     // when its entry in timers_ fires; -1 = none
  std::deque<Member> queue;  // waiting for the next batch
  std::unique_ptr<Batch> batch;
};

}  // namespace gryadka::core
