// UTF-8 validation and decoding (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
// Keys are proto3 `string`s, which must be valid UTF-8 on the wire; values are bytes.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace gryadka::client {

// Length in bytes (1..4) of the valid UTF-8 sequence at the start of `bytes`, storing its code
// point in *code_point; 0 when `bytes` is empty or does not start with a valid sequence.
size_t DecodeUtf8(absl::string_view bytes, uint32_t* code_point);

// True when all of `bytes` is valid UTF-8.
bool IsValidUtf8(absl::string_view bytes);

}  // namespace gryadka::client
