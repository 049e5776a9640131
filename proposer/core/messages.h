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
//
// Fencing (docs/membership.md): besides its registers, every acceptor holds a minimum
// configuration epoch E (0 until raised) and the serialized gryadka.v1.Membership stored with
// it (C). Every prepare and accept carries the sender's epoch; one whose epoch < E is refused,
// before the register is read or written, with kFenced(fence_epoch = E, fence_config = C).
// E only grows: the operator's fence call raises it (never lowers it) and stores C with it.
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
  uint64_t epoch = 0;  // the configuration epoch of the round that sends it (fencing)
};

struct AcceptorReply {
  enum class Status {
    kOk,        // prepare: promised; `ballot`/`value` = accepted ballot and value. accept: done.
    kConflict,  // rejected; `ballot` = the acceptor's highest promised/accepted ballot.
    kError,     // transport error or timeout; outcome at the acceptor unknown. `error` says why.
    kInvalidState,  // the stored data under this key is not a Gryadka register (e.g. a Redis
                    // string written by someone else); `error` says what was found.
    kFenced,  // refused unread and unwritten: the request's epoch is below the acceptor's
              // minimum epoch `fence_epoch`; `fence_config` = the configuration stored with it.
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
  // kFenced only: the acceptor's minimum epoch and the serialized gryadka.v1.Membership stored
  // with it (may be empty if the fence carried none).
  uint64_t fence_epoch = 0;
  std::string fence_config;
};

}  // namespace gryadka::core
