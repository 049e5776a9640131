// The original Gryadka's rumor check: clients tell each other instantly every state they observe
// (a rumor); when an operation completes, the state it observed must be at least as new as every
// state any client had observed, on the same key, before the operation began.
//
// "Newer" is the record version (every applied change adds 1), and two observations of one
// version must carry the same value. A delete resets the version to 0, so versions are monotone
// only until the first delete of the key: the check of a key stops at the invocation of the
// first delete on it (operations answered after that point are covered by the linearizability
// checker only). Workloads without deletes are checked over their whole history.
//
// Observed states come from answered (kOk) operations: the whole record for a RecordQuery, the
// version alone for a VersionQuery, nothing for a NoneQuery. Thread-compatible.
#pragma once

#include <string>

#include "tests/sim/history.h"

namespace gryadka::sim {

struct RumorReport {
  bool ok = true;
  size_t checked = 0;     // answered operations compared against the rumors
  std::string violation;  // the first violation, in words
};

RumorReport CheckRumors(const History& history);

}  // namespace gryadka::sim
