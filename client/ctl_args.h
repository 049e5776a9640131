// gryadkactl's command line: subcommands, flags and the usage text.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gryadka::ctl {

inline constexpr char kDefaultTarget[] = "127.0.0.1:8080";
inline constexpr int64_t kDefaultDeadlineMs = 5000;

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 2;       // the call failed (gRPC code name on stderr)
inline constexpr int kExitNotApplied = 3;  // a precondition did not hold
inline constexpr int kExitUsage = 64;      // bad command line (EX_USAGE)

enum class Command { kGet, kPut, kCas, kIncr, kDel, kHealth };

struct Args {
  bool help = false;  // --help: print Usage() and exit 0; nothing else is set
  Command command = Command::kGet;
  std::string command_name;  // "get", "put", ...
  std::string key;
  std::string value;                         // put, cas
  std::optional<uint64_t> expected_version;  // cas (always), del (--expected_version)
  int64_t delta = 1;                         // incr
  std::vector<std::string> targets;
  int64_t deadline_ms = kDefaultDeadlineMs;
  bool json = false;
};

// Parses the arguments after the program name. `env_target` is $GRYADKA_TARGET (null or empty
// when unset); --target overrides it. Returns INVALID_ARGUMENT with a one-line message naming
// the bad argument on a usage error.
absl::StatusOr<Args> ParseArgs(const std::vector<absl::string_view>& args, const char* env_target);

// The --help text.
std::string Usage();

}  // namespace gryadka::ctl
