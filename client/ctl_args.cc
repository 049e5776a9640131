#include "client/ctl_args.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/ctl_output.h"

namespace gryadka::ctl {
namespace {

constexpr int64_t kDeadlineMsMax = int64_t{24} * 60 * 60 * 1000;

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<uint64_t> ParseVersion(absl::string_view what, absl::string_view text) {
  uint64_t version = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &version)) {
    return UsageError(absl::StrCat("invalid ", what, " \"", EscapeBytes(text),
                                   "\": expected a version number (a decimal uint64)"));
  }
  return version;
}

absl::StatusOr<std::vector<std::string>> ParseTargets(absl::string_view list,
                                                      absl::string_view source) {
  std::vector<std::string> targets;
  for (absl::string_view piece : absl::StrSplit(list, ',')) {
    piece = absl::StripAsciiWhitespace(piece);
    if (piece.empty()) {
      return UsageError(absl::StrCat(source, " \"", EscapeBytes(list),
                                     "\" has an empty entry; expected host:port[,host:port...]"));
    }
    targets.emplace_back(piece);
  }
  return targets;
}

struct CommandSpec {
  const char* name;
  Command command;
  size_t positional_min;  // including KEY
  size_t positional_max;
  const char* synopsis;
};

constexpr CommandSpec kCommands[] = {
    {"get", Command::kGet, 1, 1, "get KEY"},
    {"put", Command::kPut, 2, 2, "put KEY VALUE"},
    {"cas", Command::kCas, 3, 3, "cas KEY EXPECTED_VERSION VALUE"},
    {"incr", Command::kIncr, 1, 2, "incr KEY [DELTA]"},
    {"del", Command::kDel, 1, 1, "del KEY [--expected_version=N]"},
    {"health", Command::kHealth, 0, 0, "health"},
};

// Splits flags from positional arguments. Value flags take "--name=value" or "--name value".
struct Flags {
  std::optional<std::string> target;
  std::optional<std::string> deadline_ms;
  std::optional<std::string> expected_version;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_server_name;
  std::optional<std::string> proposers;  // membership flags from here on
  std::optional<std::string> step_timeout_ms;
  std::optional<std::string> poll_interval_ms;
  std::optional<std::string> rescan_keys_per_second;
  bool dry_run = false;
  bool json = false;
  bool help = false;
  bool version = false;
};

absl::Status ParseFlag(absl::string_view arg, const std::vector<absl::string_view>& args,
                       size_t* i, Flags* flags) {
  absl::string_view name = arg.substr(2);
  std::optional<absl::string_view> value;
  if (const size_t eq = name.find('='); eq != absl::string_view::npos) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
  }
  if (name == "help" || name == "version" || name == "json" || name == "dry-run" ||
      name == "dry_run") {
    if (value.has_value()) return UsageError(absl::StrCat("--", name, " takes no value"));
    (name == "help"      ? flags->help
     : name == "version" ? flags->version
     : name == "json"    ? flags->json
                         : flags->dry_run) = true;
    return absl::OkStatus();
  }
  std::optional<std::string>* slot =
      name == "target"                   ? &flags->target
      : name == "deadline_ms"            ? &flags->deadline_ms
      : name == "expected_version"       ? &flags->expected_version
      : name == "tls_ca"                 ? &flags->tls_ca
      : name == "tls_cert"               ? &flags->tls_cert
      : name == "tls_key"                ? &flags->tls_key
      : name == "tls_server_name"        ? &flags->tls_server_name
      : name == "proposers"              ? &flags->proposers
      : name == "step_timeout_ms"        ? &flags->step_timeout_ms
      : name == "poll_interval_ms"       ? &flags->poll_interval_ms
      : name == "rescan_keys_per_second" ? &flags->rescan_keys_per_second
                                         : nullptr;
  if (slot == nullptr) {
    return UsageError(absl::StrCat("unknown flag --", EscapeBytes(name)));
  }
  if (!value.has_value()) {
    if (*i + 1 >= args.size()) return UsageError(absl::StrCat("--", name, " needs a value"));
    value = args[++*i];
  }
  *slot = std::string(*value);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseBounded(absl::string_view flag, const std::string& text, int64_t min,
                                     int64_t max, absl::string_view unit) {
  int64_t v = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &v) || v < min || v > max) {
    return UsageError(absl::StrCat("invalid --", flag, " \"", EscapeBytes(text), "\": expected ",
                                   unit, " in ", min, "..", max));
  }
  return v;
}

constexpr int64_t kStepTimeoutMsMax = int64_t{24} * 60 * 60 * 1000;
constexpr int64_t kPollIntervalMsMax = 60 * 1000;
constexpr int64_t kRescanKeysPerSecondMax = 1'000'000;

struct MembershipSpec {
  const char* name;
  MembershipAction action;
  size_t addresses;
  const char* synopsis;
};

constexpr MembershipSpec kMembershipActions[] = {
    {"status", MembershipAction::kStatus, 0, "membership status"},
    {"add", MembershipAction::kAdd, 1, "membership add ADDR"},
    {"remove", MembershipAction::kRemove, 1, "membership remove ADDR"},
    {"replace", MembershipAction::kReplace, 2, "membership replace OLD NEW"},
};

// positional = {"membership", ACTION, ADDR...}.
absl::Status ParseMembership(const std::vector<absl::string_view>& positional,
                             const Flags& flags, MembershipArgs* out) {
  if (positional.size() < 2) {
    return UsageError("membership needs an action: status, add ADDR, remove ADDR or replace "
                      "OLD NEW");
  }
  const MembershipSpec* spec = nullptr;
  for (const MembershipSpec& m : kMembershipActions) {
    if (positional[1] == m.name) spec = &m;
  }
  if (spec == nullptr) {
    return UsageError(absl::StrCat("unknown membership action \"", EscapeBytes(positional[1]),
                                   "\"; expected status, add, remove or replace"));
  }
  if (positional.size() != 2 + spec->addresses) {
    return UsageError(absl::StrCat("wrong number of arguments for membership ", spec->name,
                                   "; usage: gryadkactl ", spec->synopsis));
  }
  out->action = spec->action;
  out->action_name = spec->name;
  for (size_t i = 2; i < positional.size(); ++i) {
    if (!ValidAcceptorAddress(positional[i])) {
      return UsageError(absl::StrCat("invalid acceptor address \"", EscapeBytes(positional[i]),
                                     "\": expected HOST:PORT (IPv6 as [ADDR]:PORT)"));
    }
    out->addresses.emplace_back(positional[i]);
  }
  if (out->addresses.size() == 2 && out->addresses[0] == out->addresses[1]) {
    return UsageError(absl::StrCat("membership replace: OLD and NEW are both ",
                                   out->addresses[0]));
  }
  out->dry_run = flags.dry_run;
  if (flags.step_timeout_ms.has_value()) {
    absl::StatusOr<int64_t> v = ParseBounded("step_timeout_ms", *flags.step_timeout_ms, 1,
                                             kStepTimeoutMsMax, "milliseconds");
    if (!v.ok()) return v.status();
    out->step_timeout_ms = *v;
  }
  if (flags.poll_interval_ms.has_value()) {
    absl::StatusOr<int64_t> v = ParseBounded("poll_interval_ms", *flags.poll_interval_ms, 1,
                                             kPollIntervalMsMax, "milliseconds");
    if (!v.ok()) return v.status();
    out->poll_interval_ms = *v;
  }
  if (flags.rescan_keys_per_second.has_value()) {
    absl::StatusOr<int64_t> v =
        ParseBounded("rescan_keys_per_second", *flags.rescan_keys_per_second, 0,
                     kRescanKeysPerSecondMax, "keys per second (0 = the server's default)");
    if (!v.ok()) return v.status();
    out->rescan_keys_per_second = static_cast<uint32_t>(*v);
  }
  return absl::OkStatus();
}

// The first membership-only flag given, or nullptr.
const char* MembershipFlagGiven(const Flags& flags) {
  if (flags.proposers.has_value()) return "--proposers";
  if (flags.step_timeout_ms.has_value()) return "--step_timeout_ms";
  if (flags.poll_interval_ms.has_value()) return "--poll_interval_ms";
  if (flags.rescan_keys_per_second.has_value()) return "--rescan_keys_per_second";
  if (flags.dry_run) return "--dry-run";
  return nullptr;
}

}  // namespace

bool ValidAcceptorAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  int port_number = 0;
  if (!AllDigits(port) || port.size() > 5 || !absl::SimpleAtoi(port, &port_number) ||
      port_number < 1 || port_number > 65535) {
    return false;
  }
  if (absl::StartsWith(host, "[")) {
    return host.size() > 2 && absl::EndsWith(host, "]") &&
           host.substr(1, host.size() - 2).find_first_of("[]") == absl::string_view::npos;
  }
  for (char c : host) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(absl::ascii_isalnum(u) || c == '.' || c == '-' || c == '_')) return false;
  }
  return true;
}

namespace {

// The TLS options from the --tls_* flags over $GRYADKA_TLS_*: unset when none of them is given.
absl::Status ApplyTlsFlags(const Flags& flags, const Env& env, Args* out) {
  auto pick = [](const std::optional<std::string>& flag, const char* env_value) {
    if (flag.has_value()) return *flag;
    return std::string(env_value != nullptr ? env_value : "");
  };
  TlsOptions tls;
  tls.ca_file = pick(flags.tls_ca, env.tls_ca);
  tls.cert_file = pick(flags.tls_cert, env.tls_cert);
  tls.key_file = pick(flags.tls_key, env.tls_key);
  tls.server_name = flags.tls_server_name.value_or("");
  const bool any = flags.tls_ca || flags.tls_cert || flags.tls_key || flags.tls_server_name ||
                   !tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty();
  if (!any) return absl::OkStatus();
  for (const auto& [name, flag] : {std::pair{"--tls_ca", &flags.tls_ca},
                                   std::pair{"--tls_cert", &flags.tls_cert},
                                   std::pair{"--tls_key", &flags.tls_key},
                                   std::pair{"--tls_server_name", &flags.tls_server_name}}) {
    if (flag->has_value() && (*flag)->empty()) {
      return UsageError(absl::StrCat(name, " needs a non-empty value"));
    }
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return UsageError(tls.cert_file.empty()
                          ? "--tls_key (or $GRYADKA_TLS_KEY) is set without --tls_cert: a "
                            "client certificate needs both"
                          : "--tls_cert (or $GRYADKA_TLS_CERT) is set without --tls_key: a "
                            "client certificate needs both");
  }
  out->tls = std::move(tls);
  return absl::OkStatus();
}

// --deadline_ms, the targets, --json and the TLS flags, shared by every command.
absl::Status ApplyCommonFlags(const Flags& flags, const Env& env, Args* out) {
  const char* env_target = env.target;
  if (flags.deadline_ms.has_value()) {
    if (!AllDigits(*flags.deadline_ms) || !absl::SimpleAtoi(*flags.deadline_ms, &out->deadline_ms) ||
        out->deadline_ms < 1 || out->deadline_ms > kDeadlineMsMax) {
      return UsageError(absl::StrCat("invalid --deadline_ms \"",
                                     EscapeBytes(*flags.deadline_ms),
                                     "\": expected milliseconds in 1..", kDeadlineMsMax));
    }
  }
  absl::StatusOr<std::vector<std::string>> targets =
      flags.proposers.has_value()
          ? ParseTargets(*flags.proposers, "--proposers")
          : flags.target.has_value()
                ? ParseTargets(*flags.target, "--target")
                : (env_target != nullptr && *env_target != '\0'
                       ? ParseTargets(env_target, "GRYADKA_TARGET")
                       : std::vector<std::string>{kDefaultTarget});
  if (!targets.ok()) return targets.status();
  out->targets = *std::move(targets);
  out->json = flags.json;
  return ApplyTlsFlags(flags, env, out);
}

absl::StatusOr<Args> ParseMembershipCommand(const std::vector<absl::string_view>& positional,
                                            const Flags& flags, const Env& env) {
  Args out;
  out.command = Command::kMembership;
  out.command_name = "membership";
  if (absl::Status s = ParseMembership(positional, flags, &out.membership); !s.ok()) return s;
  if (flags.expected_version.has_value()) {
    return UsageError("--expected_version applies to del only");
  }
  if (flags.json) return UsageError("--json is not supported by membership commands");
  if (flags.proposers.has_value() && flags.target.has_value()) {
    return UsageError("give the proposers with --proposers or --target, not both");
  }
  if (absl::Status s = ApplyCommonFlags(flags, env, &out); !s.ok()) return s;
  return out;
}

}  // namespace

absl::StatusOr<Args> ParseArgs(const std::vector<absl::string_view>& args,
                               const char* env_target) {
  Env env;
  env.target = env_target;
  return ParseArgs(args, env);
}

absl::StatusOr<Args> ParseArgs(const std::vector<absl::string_view>& args, const Env& env) {
  Flags flags;
  std::vector<absl::string_view> positional;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-") ||
        (arg.size() > 1 && arg[1] != '-' && arg != "-h")) {
      positional.push_back(arg);  // a single dash starts no flag, so "incr k -5" works
    } else if (arg == "--") {
      flags_done = true;
    } else if (arg == "-h") {
      flags.help = true;
    } else if (absl::Status s = ParseFlag(arg, args, &i, &flags); !s.ok()) {
      return s;
    }
  }
  Args out;
  if (flags.help || flags.version) {
    out.help = flags.help;
    out.version = !flags.help;
    return out;
  }
  if (positional.empty()) return UsageError("no command given");
  if (positional[0] == "membership") return ParseMembershipCommand(positional, flags, env);
  if (const char* flag = MembershipFlagGiven(flags); flag != nullptr) {
    return UsageError(absl::StrCat(flag, " applies to membership commands only"));
  }
  const CommandSpec* command = nullptr;
  for (const CommandSpec& c : kCommands) {
    if (positional[0] == c.name) command = &c;
  }
  if (command == nullptr) {
    return UsageError(absl::StrCat("unknown command \"", EscapeBytes(positional[0]), "\""));
  }
  positional.erase(positional.begin());
  if (positional.size() < command->positional_min ||
      positional.size() > command->positional_max) {
    return UsageError(absl::StrCat("wrong number of arguments for ", command->name,
                                   "; usage: gryadkactl ", command->synopsis));
  }
  out.command = command->command;
  out.command_name = command->name;
  if (!positional.empty()) out.key = std::string(positional[0]);

  switch (out.command) {
    case Command::kPut:
      out.value = std::string(positional[1]);
      break;
    case Command::kCas: {
      absl::StatusOr<uint64_t> v = ParseVersion("EXPECTED_VERSION", positional[1]);
      if (!v.ok()) return v.status();
      out.expected_version = *v;
      out.value = std::string(positional[2]);
      break;
    }
    case Command::kIncr:
      if (positional.size() == 2 && !absl::SimpleAtoi(positional[1], &out.delta)) {
        return UsageError(absl::StrCat("invalid DELTA \"", EscapeBytes(positional[1]),
                                       "\": expected a decimal int64"));
      }
      break;
    default:
      break;
  }
  if (flags.expected_version.has_value()) {
    if (out.command != Command::kDel) {
      return UsageError("--expected_version applies to del only (cas takes EXPECTED_VERSION "
                        "as an argument)");
    }
    absl::StatusOr<uint64_t> v = ParseVersion("--expected_version", *flags.expected_version);
    if (!v.ok()) return v.status();
    out.expected_version = *v;
  }
  if (absl::Status s = ApplyCommonFlags(flags, env, &out); !s.ok()) return s;
  return out;
}

std::string Usage() {
  return absl::StrCat(
      "gryadkactl: command-line client of Gryadka, a linearizable key-value store.\n"
      "\n"
      "Usage: gryadkactl [FLAGS] COMMAND [ARGS]\n"
      "\n"
      "Commands:\n"
      "  get KEY                         print KEY's value and version\n"
      "  put KEY VALUE                   set KEY to VALUE\n"
      "  cas KEY EXPECTED_VERSION VALUE  set KEY to VALUE only if its version is\n"
      "                                  EXPECTED_VERSION (0 = only if KEY is absent)\n"
      "  incr KEY [DELTA]                add DELTA (default 1) to the decimal int64 at KEY\n"
      "                                  (absent counts as 0)\n"
      "  del KEY [--expected_version=N]  delete KEY (only if its version is N, when given)\n"
      "  health                          check that every target serves gryadka.v1.KV\n"
      "  membership status               every proposer's configuration; whether a change is\n"
      "                                  in progress and the command that finishes it\n"
      "  membership add ADDR             add the acceptor (Redis) ADDR = HOST:PORT online\n"
      "  membership remove ADDR          remove the acceptor ADDR online\n"
      "  membership replace OLD NEW      replace the acceptor OLD (e.g. a dead one) by NEW\n"
      "                                  A change runs in steps over ALL proposers\n"
      "                                  (docs/membership.md); after an interruption, run the\n"
      "                                  same command again to finish it.\n"
      "\n"
      "Flags (anywhere on the line; \"--\" ends them, a single dash starts none):\n"
      "  --target=HOST:PORT[,HOST:PORT...]  proposers to use; keys are spread over them by\n"
      "                                     rendezvous hashing. Also dns:///NAME:PORT.\n"
      "                                     Default: $GRYADKA_TARGET, else ",
      kDefaultTarget,
      "\n"
      "  --deadline_ms=N                    deadline of the command, retries included\n"
      "                                     (default ",
      kDefaultDeadlineMs,
      "; membership: of each admin call)\n"
      "  --json                             print one JSON object (values as \"value\" when\n"
      "                                     UTF-8, always as \"value_base64\")\n"
      "  --expected_version=N               del only: the version KEY must have\n"
      "  --tls_ca=PATH                      speak TLS, trusting the CAs in this PEM file\n"
      "                                     (default $GRYADKA_TLS_CA; unset: system roots)\n"
      "  --tls_cert=PATH --tls_key=PATH     PEM client certificate and key, for proposers\n"
      "                                     that require mutual TLS (default\n"
      "                                     $GRYADKA_TLS_CERT, $GRYADKA_TLS_KEY)\n"
      "  --tls_server_name=NAME             name to check in the proposer's certificate\n"
      "                                     instead of the target's host (e.g. through\n"
      "                                     kubectl port-forward)\n"
      "                                     Any --tls_* flag or GRYADKA_TLS_* variable turns TLS\n"
      "                                     on for every command (docs/security.md).\n"
      "  --proposers=HOST:PORT[,...]        membership: EVERY proposer (or one dns:///NAME:PORT\n"
      "                                     resolving to all of them); default as --target\n"
      "  --dry-run                          membership: print the plan, change nothing\n"
      "  --step_timeout_ms=N                membership: bound on waiting for every proposer to\n"
      "                                     take a step (default ",
      kDefaultStepTimeoutMs,
      ")\n"
      "  --poll_interval_ms=N               membership: pause between checks while waiting\n"
      "                                     (default ",
      kDefaultPollIntervalMs,
      ")\n"
      "  --rescan_keys_per_second=N         membership: rescan rate (0 = the server's default)\n"
      "  -h, --help                         print this text\n"
      "  --version                          print the version and build type\n"
      "\n"
      "Exit codes: 0 success; 2 error (the gRPC code name is printed on stderr);\n"
      "3 not applied (a precondition did not hold); 64 usage error (also an unreadable\n"
      "--tls_* file).\n"
      "\n"
      "Examples:\n"
      "  gryadkactl put greeting hello\n"
      "  gryadkactl get greeting\n"
      "  gryadkactl cas greeting 1 'hello again'\n"
      "  gryadkactl incr visits 5\n"
      "  gryadkactl del greeting --expected_version=2\n"
      "  gryadkactl --target=127.0.0.1:8080,127.0.0.1:8081 health\n"
      "  gryadkactl --tls_ca=ca.crt --tls_server_name=gryadka.example get greeting\n"
      "  gryadkactl --proposers=127.0.0.1:8080,127.0.0.1:8081 membership add 10.0.0.4:6379\n");
}

}  // namespace gryadka::ctl
