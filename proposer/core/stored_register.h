// Decoding of the register an acceptor stores for a key (gryadka.internal.StoredRegister,
// proto/gryadka/internal/register.proto) from the bytes of a prepare reply. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gryadka/internal/register.pb.h"

namespace gryadka::core {

// Returns the register `bytes` hold (empty bytes: the never-written register), or
// FAILED_PRECONDITION naming `key` when they are not a Gryadka register: they do not parse, or
// they break its invariants (version 0 = absent, which has an empty value; at most one writer
// mark per proposer).
absl::StatusOr<internal::StoredRegister> DecodeStoredRegister(std::string_view bytes,
                                                              std::string_view key);

}  // namespace gryadka::core
