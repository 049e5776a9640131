// Writer marks: the register's memory of which proposer incarnations changed it last, for
// exactly-once retries (docs/protocol.md, "Exactly-once retries"). Pure functions over
// gryadka.internal.StoredRegister; thread-safe.
//
// A register holds at most one mark per proposer id: (proposer_id, counter of that proposer's
// last changing round), in ballot order (each changing round appends the newest ballot of the
// chain), at most kWriterMarksMax of them; the oldest are evicted first.
#pragma once

#include <cstdint>
#include <optional>

#include "gryadka/internal/register.pb.h"

namespace gryadka::core {

// Proposer incarnations whose last changing round a register remembers.
inline constexpr int kWriterMarksMax = 16;

// The counter of `proposer_id`'s mark in `reg`, or nullopt when it has none (if a malformed
// register held several, the last one).
std::optional<uint64_t> FindWriterMark(const internal::StoredRegister& reg, uint64_t proposer_id);

// Replaces `proposer_id`'s mark by (proposer_id, counter) at the end of the list, then evicts
// the oldest marks beyond kWriterMarksMax. Returns how many marks were evicted.
int PutWriterMark(internal::StoredRegister* reg, uint64_t proposer_id, uint64_t counter);

// True when `reg` cannot tell whether an attempt of `proposer_id` with ballot counter
// `earliest_attempt_counter` (its earliest unresolved one) was applied: it has no mark for the
// proposer, its list is full, and even its oldest mark is newer than that attempt — so the
// proposer's mark may have been pushed out by kWriterMarksMax other proposers.
bool WriterMarkMayBeEvicted(const internal::StoredRegister& reg, uint64_t proposer_id,
                            uint64_t earliest_attempt_counter);

}  // namespace gryadka::core
