// gryadkactl's output: human-readable lines and --json objects, with bytes escaped so that no
// stored value can write control sequences to a terminal or break a JSON consumer (JSON strings
// come from client/shared/json_string.h).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/client.h"
#include "client/shared/json_string.h"  // EscapeBytes: bytes for a terminal

namespace gryadka::ctl {

// "\"" + EscapeBytes(bytes) + "\"" (EscapeBytes: client/shared/json_string.h).
std::string Quoted(absl::string_view bytes);

// A key as it is when that is unambiguous (non-empty, printable, no spaces, quotes, backslashes
// or '='), otherwise Quoted(key).
std::string DisplayKey(absl::string_view key);

// One line (without the trailing newline) for each result; `json` selects a JSON object.
std::string FormatGet(absl::string_view key, const GetResult& result, bool json);
// put / cas / del. `expected_version` is the command's precondition, if any.
std::string FormatChange(absl::string_view command, absl::string_view key,
                         std::optional<uint64_t> expected_version, const ChangeResult& result,
                         bool json);
std::string FormatIncrement(absl::string_view key, int64_t delta, const IncrementResult& result,
                            bool json);
// Human: one line per target; JSON: one object {"healthy":..,"targets":[..]}.
std::string FormatHealth(const std::vector<TargetHealth>& targets, bool json);

}  // namespace gryadka::ctl
