// JSON string literals for any bytes (and EscapeBytes, the display form): the one escaper of the proposer's log lines, gryadkactl's
// --json output, gryadka-bench's report and the chaos verdict.
//
// The output is always valid JSON and valid UTF-8, and safe to print on a terminal:
//   - '"' and '\' are backslash-escaped; \n, \r and \t use their short escapes;
//   - the other C0 controls, DEL, the C1 controls (U+0080..U+009F), the line and paragraph
//     separators (U+2028, U+2029), the bidirectional controls (U+202A..U+202E, U+2066..U+2069)
//     and the BOM (U+FEFF) are written as \uXXXX (lowercase hex); a JSON parser reads back the
//     same code points, so this costs nothing but length;
//   - every other valid UTF-8 sequence is copied as it is;
//   - each byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong forms, no
//     surrogates, at most U+10FFFF; see client/utf8.h) becomes \ufffd, the replacement
//     character, one per byte, as Go's encoding/json does. Such input is lossy by design: callers
//     that must keep arbitrary bytes add a base64 field (gryadkactl's "value_base64").
// Valid UTF-8 text with none of the code points listed above is copied unchanged except for '"'
// and '\'.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace gryadka {

// Appends the JSON string literal of `bytes`, quotes included, to *out.
void AppendJsonString(std::string* out, std::string_view bytes);

// The JSON string literal of `bytes`, quotes included.
std::string JsonString(std::string_view bytes);

// True for the code points written as \uXXXX although JSON allows them raw (listed above): the
// ones that must not reach a terminal as they are. gryadkactl's human output escapes the same set.
bool IsTerminalUnsafeCodePoint(uint32_t code_point);

// `bytes` for a human reading a terminal or a log (not JSON): printable ASCII and printable
// non-ASCII UTF-8 as they are; \" \\ \n \r \t; every other byte (control characters, invalid
// UTF-8, and the code points IsTerminalUnsafeCodePoint names) as \xNN. gryadkactl's human output
// and the proposer's logged keys use it; reversible for every input.
std::string EscapeBytes(absl::string_view bytes);

}  // namespace gryadka
