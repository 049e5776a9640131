// Messages between a proposer core and its acceptors. Plain values; the shell (gRPC server or
// simulator) carries them. Thread-compatible.
//
// Acceptor semantics (identical for the Redis Lua scripts and the in-memory acceptor):
//   prepare(key, b):              if b <= promised or b <= accepted -> Conflict(max(promised,
//                                 accepted)); else promised = b; reply Ok(accepted, value).
//   accept(key, b, value, next):  if b < promised or b <= accepted -> Conflict(max(promised,
//                                 accepted)); else accepted = b, value = value, promised = next
//                                 (next zero -> promised = b); reply Ok.
// A key never written has promised = accepted = zero and an empty value.
#pragma once

#include <cstdint>
#include <string>

#include "proposer/core/ballot.h"

namespace gryadka::core {

// Index of an acceptor in the proposer's acceptor list (the --acceptors flag order).
using AcceptorId = int;

struct AcceptorRequest {
  enum class Kind { kPrepare, kAccept };
  Kind kind = Kind::kPrepare;
  AcceptorId acceptor = 0;
  // Unique per proposer core; the reply carries it back. Replies to unknown or finished ids are
  // ignored, so late and duplicated replies are harmless.
  uint64_t msg_id = 0;
  std::string key;
  Ballot ballot;
  std::string value;  // kAccept only: the serialized StoredRegister
  Ballot next;        // kAccept only: promise to leave behind (zero = none)
};

struct AcceptorReply {
  enum class Status {
    kOk,        // prepare: promised; `ballot`/`value` = accepted ballot and value. accept: done.
    kConflict,  // rejected; `ballot` = the acceptor's highest promised/accepted ballot.
    kError,     // transport error or timeout; outcome at the acceptor unknown. `error` says why.
    kInvalidState,  // the stored data under this key is not a Gryadka register (e.g. a Redis
                    // string written by someone else); `error` says what was found.
  };
  AcceptorId acceptor = 0;
  uint64_t msg_id = 0;
  Status status = Status::kError;
  Ballot ballot;
  std::string value;
  std::string error;
  // kError only: false when the request certainly never reached the acceptor (e.g. it was not
  // connected), so it cannot have been applied there. True (the safe default) when unknown.
  bool maybe_applied = true;
};

}  // namespace gryadka::core
