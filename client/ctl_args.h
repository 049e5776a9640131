// gryadkactl's command line: subcommands, flags and the usage text.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/tls_options.h"

namespace gryadka::ctl {

inline constexpr char kDefaultTarget[] = "127.0.0.1:8080";
inline constexpr int64_t kDefaultDeadlineMs = 5000;

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 2;       // the call failed (gRPC code name on stderr)
inline constexpr int kExitNotApplied = 3;  // a precondition did not hold
inline constexpr int kExitUsage = 64;      // bad command line (EX_USAGE)

enum class Command { kGet, kPut, kCas, kIncr, kDel, kHealth, kMembership };

// gryadkactl membership ACTION (client/membership_driver.h runs it).
enum class MembershipAction { kStatus, kAdd, kRemove, kReplace };

inline constexpr int64_t kDefaultStepTimeoutMs = 60000;
inline constexpr int64_t kDefaultPollIntervalMs = 100;

struct MembershipArgs {
  MembershipAction action = MembershipAction::kStatus;
  std::string action_name;             // "status", "add", ...
  std::vector<std::string> addresses;  // add/remove: {ADDR}; replace: {OLD, NEW}
  bool dry_run = false;                // --dry-run: print the plan, change nothing
  // --step_timeout_ms: bound on waiting for every proposer to run a step's epoch with no
  // round left in an older one.
  int64_t step_timeout_ms = kDefaultStepTimeoutMs;
  int64_t poll_interval_ms = kDefaultPollIntervalMs;  // --poll_interval_ms, while waiting
  uint32_t rescan_keys_per_second = 0;  // --rescan_keys_per_second; 0 = the server's default
};

struct Args {
  bool help = false;     // --help: print Usage() and exit 0; nothing else is set
  bool version = false;  // --version (without --help): print the version, exit 0; nothing else
  Command command = Command::kGet;
  std::string command_name;  // "get", "put", ...
  std::string key;
  std::string value;                         // put, cas
  std::optional<uint64_t> expected_version;  // cas (always), del (--expected_version)
  int64_t delta = 1;                         // incr
  std::vector<std::string> targets;
  int64_t deadline_ms = kDefaultDeadlineMs;  // membership: the bound of each admin call
  bool json = false;
  // --tls_ca/--tls_cert/--tls_key/--tls_server_name (or $GRYADKA_TLS_CA/_CERT/_KEY): any of
  // them set = TLS for every channel, membership and health included; unset = plaintext.
  std::optional<TlsOptions> tls;
  // membership only. `targets` are then the proposers (--proposers, else --target or
  // $GRYADKA_TARGET); every one of them takes every step.
  MembershipArgs membership;
};

// True iff `address` is "host:port" with a non-empty host (brackets around an IPv6 literal)
// and a decimal port in 1..65535: how an acceptor is named in a membership.
bool ValidAcceptorAddress(absl::string_view address);

// The environment variables gryadkactl reads; each null or empty when unset. A flag overrides
// its variable.
struct Env {
  const char* target = nullptr;   // $GRYADKA_TARGET (--target)
  const char* tls_ca = nullptr;   // $GRYADKA_TLS_CA (--tls_ca)
  const char* tls_cert = nullptr; // $GRYADKA_TLS_CERT (--tls_cert)
  const char* tls_key = nullptr;  // $GRYADKA_TLS_KEY (--tls_key)
};

// Parses the arguments after the program name. Returns INVALID_ARGUMENT with a one-line message
// naming the bad argument on a usage error. Does not read the TLS files (client/tls.h does).
absl::StatusOr<Args> ParseArgs(const std::vector<absl::string_view>& args, const Env& env);
// The same with only $GRYADKA_TARGET (`env_target`) set.
absl::StatusOr<Args> ParseArgs(const std::vector<absl::string_view>& args, const char* env_target);

// The --help text.
std::string Usage();

}  // namespace gryadka::ctl
