#include "bench/load/options.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gryadka::bench {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

bool ParsePort(absl::string_view s, int* port) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *port);
  return ec == std::errc() && p == s.data() + s.size() && *port >= 1 && *port <= 65535;
}

// "host:port" or "[v6]:port" -> host, port.
bool SplitHostPort(absl::string_view s, std::string* host, int* port) {
  const size_t colon = s.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view h = s.substr(0, colon);
  if (absl::StartsWith(h, "[") != absl::EndsWith(h, "]")) return false;
  *host = std::string(h);
  return ParsePort(s.substr(colon + 1), port);
}

// --fault and its schedule: inside the measured window, with a healthy stretch before it and a
// recovery stretch after it.
absl::Status ValidateFault(const BenchOptions& o) {
  const FaultSchedule& f = o.fault;
  if (f.kind == FaultKind::kNone) return absl::OkStatus();
  if (!o.spawn) return Bad("fault", "needs --spawn (it signals the acceptors the bench started)");
  if (f.acceptor < 0 || f.acceptor >= kSpawnedAcceptors) {
    return Bad("fault_acceptor", absl::StrCat("must be in 0..", kSpawnedAcceptors - 1));
  }
  if (o.duration_s > kFaultRunSecondsMax) {
    return Bad("duration_s", absl::StrCat("must be <= ", kFaultRunSecondsMax, " with --fault"));
  }
  if (o.max_ops != 0) return Bad("max_ops", "must be 0 with --fault (the window runs its full length)");
  if (!(f.at_s > 0)) return Bad("fault_at_s", "must be > 0 (a healthy stretch comes first)");
  if (!(f.duration_s > 0)) return Bad("fault_duration_s", "must be > 0");
  if (!(f.at_s + f.duration_s < o.duration_s)) {
    return Bad("fault_duration_s",
               absl::StrCat("--fault_at_s + --fault_duration_s must end before --duration_s (",
                            o.duration_s, " s), so that the recovery is measured"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Workload::ToString() const {
  if (kind == Kind::kMixed) return absl::StrCat("mixed:", read_percent, "/", write_percent);
  return KindName();
}

const char* Workload::KindName() const {
  switch (kind) {
    case Kind::kIncr: return "incr";
    case Kind::kCas: return "cas";
    case Kind::kRead: return "read";
    case Kind::kPut: return "put";
    case Kind::kMixed: return "mixed";
  }
  return "?";
}

absl::StatusOr<Workload> ParseWorkload(absl::string_view s) {
  Workload w;
  if (s == "incr") {
    w.kind = Workload::Kind::kIncr;
  } else if (s == "cas") {
    w.kind = Workload::Kind::kCas;
  } else if (s == "read") {
    w.kind = Workload::Kind::kRead;
  } else if (s == "put") {
    w.kind = Workload::Kind::kPut;
  } else if (absl::ConsumePrefix(&s, "mixed:")) {
    std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &w.read_percent) ||
        !absl::SimpleAtoi(parts[1], &w.write_percent) || w.read_percent < 0 ||
        w.write_percent < 0 || w.read_percent + w.write_percent != 100) {
      return Bad("workload", "mixed:R/W needs two percentages that add up to 100, e.g. mixed:90/10");
    }
    w.kind = Workload::Kind::kMixed;
  } else {
    return Bad("workload", absl::StrCat("'", s, "' is not one of incr, cas, read, put, mixed:R/W"));
  }
  return w;
}

absl::StatusOr<KeyOrder> ParseKeyOrder(absl::string_view s) {
  if (s == "random") return KeyOrder::kRandom;
  if (s == "sequential") return KeyOrder::kSequential;
  return Bad("key_order", absl::StrCat("'", s, "' is not random or sequential"));
}

const char* KeyOrderName(KeyOrder order) {
  return order == KeyOrder::kRandom ? "random" : "sequential";
}

absl::StatusOr<Routing> ParseRouting(absl::string_view s) {
  if (s == "affine") return Routing::kAffine;
  if (s == "random") return Routing::kRandom;
  return Bad("routing", absl::StrCat("'", s, "' is not affine or random"));
}

const char* RoutingName(Routing routing) {
  return routing == Routing::kAffine ? "affine" : "random";
}

absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view s) {
  if (s == "none") return FaultKind::kNone;
  if (s == "freeze_acceptor") return FaultKind::kFreezeAcceptor;
  if (s == "kill_acceptor") return FaultKind::kKillAcceptor;
  return Bad("fault", absl::StrCat("'", s, "' is not none, freeze_acceptor or kill_acceptor"));
}

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone: return "none";
    case FaultKind::kFreezeAcceptor: return "freeze_acceptor";
    case FaultKind::kKillAcceptor: return "kill_acceptor";
  }
  return "?";
}

std::string HttpUrl::ToString() const { return absl::StrCat("http://", host, ":", port, path); }

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view s) {
  absl::string_view rest = s;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return Bad("metrics_url", absl::StrCat("'", s, "' does not start with http://"));
  }
  HttpUrl url;
  const size_t slash = rest.find('/');
  absl::string_view hostport = rest.substr(0, slash);
  if (slash != absl::string_view::npos) url.path = std::string(rest.substr(slash));
  if (!SplitHostPort(hostport, &url.host, &url.port)) {
    return Bad("metrics_url", absl::StrCat("'", s, "' is not http://HOST:PORT[/PATH]"));
  }
  return url;
}

absl::StatusOr<std::vector<std::pair<std::string, int>>> ParseCpuPids(absl::string_view list) {
  std::vector<std::pair<std::string, int>> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    absl::string_view name = part.substr(0, eq);
    int pid = 0;
    if (eq == absl::string_view::npos || name.empty() ||
        !absl::SimpleAtoi(part.substr(eq + 1), &pid) || pid <= 0) {
      return Bad("cpu_pids", absl::StrCat("'", part, "' is not NAME=PID (PID a positive number)"));
    }
    for (char c : name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return Bad("cpu_pids",
                   absl::StrCat("'", name, "': a name is letters, digits, '-', '_' or '.'"));
      }
    }
    if (name == "machine" || name == "gryadka-bench" || absl::StartsWith(name, "redis-") ||
        absl::StartsWith(name, "proposer-")) {
      return Bad("cpu_pids", absl::StrCat("'", name, "' is a name --report_cpu gives itself"));
    }
    for (const auto& [other, unused] : out) {
      if (other == name) return Bad("cpu_pids", absl::StrCat("'", name, "' is listed twice"));
    }
    out.emplace_back(std::string(name), pid);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseTargets(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    std::string host;
    int port = 0;
    if (!SplitHostPort(part, &host, &port)) {
      return Bad("target", absl::StrCat("'", part, "' is not HOST:PORT"));
    }
    if (std::find(out.begin(), out.end(), part) != out.end()) {
      return Bad("target", absl::StrCat("'", part, "' is listed twice"));
    }
    out.emplace_back(part);
  }
  return out;
}

absl::Status ValidateOptions(const BenchOptions& o) {
  if (o.spawn && !o.targets.empty()) return Bad("target", "give either --target or --spawn, not both");
  if (!o.spawn && o.targets.empty()) {
    return Bad("target", "required (HOST:PORT[,HOST:PORT...]), unless --spawn starts a local cluster");
  }
  if (static_cast<int>(o.targets.size()) > kTargetsMax) {
    return Bad("target", absl::StrCat("at most ", kTargetsMax, " targets"));
  }
  if (o.proposers < 1 || o.proposers > kProposersMax) {
    return Bad("proposers", absl::StrCat("must be in 1..", kProposersMax));
  }
  if (o.proposer_io_threads < 1 || o.proposer_io_threads > kProposerIoThreadsMax) {
    return Bad("proposer_io_threads", absl::StrCat("must be in 1..", kProposerIoThreadsMax));
  }
  if (o.redis_appendfsync != "always" && o.redis_appendfsync != "everysec" &&
      o.redis_appendfsync != "no") {
    return Bad("redis_appendfsync",
               absl::StrCat("'", o.redis_appendfsync, "' is not always, everysec or no"));
  }
  if (o.concurrency < 1 || o.concurrency > kConcurrencyMax) {
    return Bad("concurrency", absl::StrCat("must be in 1..", kConcurrencyMax));
  }
  if (o.keys < 1 || o.keys > kKeysMax) return Bad("keys", absl::StrCat("must be in 1..", kKeysMax));
  if (o.value_bytes > kValueBytesMax) {
    return Bad("value_bytes", absl::StrCat("must be in 0..", kValueBytesMax));
  }
  if (o.key_prefix.size() > kKeyPrefixBytesMax) {
    return Bad("key_prefix", absl::StrCat("at most ", kKeyPrefixBytesMax, " bytes"));
  }
  if (!(o.duration_s > 0) || o.duration_s > kDurationSecondsMax) {
    return Bad("duration_s", absl::StrCat("must be > 0 and <= ", kDurationSecondsMax));
  }
  if (!(o.warmup_s >= 0) || o.warmup_s > kDurationSecondsMax) {
    return Bad("warmup_s", absl::StrCat("must be in 0..", kDurationSecondsMax));
  }
  if (o.deadline_ms < 1 || o.deadline_ms > kDeadlineMsMax) {
    return Bad("deadline_ms", absl::StrCat("must be in 1..", kDeadlineMsMax));
  }
  if (o.threads < 1 || o.threads > kThreadsMax) {
    return Bad("threads", absl::StrCat("must be in 1..", kThreadsMax));
  }
  if (o.channels < 1 || o.channels > kChannelsPerTargetMax) {
    return Bad("channels", absl::StrCat("must be in 1..", kChannelsPerTargetMax));
  }
  if (o.report_rss && !o.spawn) {
    return Bad("report_rss", "needs --spawn (it reads the spawned proposers' /proc/PID/status)");
  }
  if (o.report_cpu && !o.spawn && o.cpu_pids.empty()) {
    return Bad("report_cpu",
               "needs --spawn or --cpu_pids (it reads those processes' /proc/PID/stat)");
  }
  if (!o.cpu_pids.empty() && !o.report_cpu) return Bad("cpu_pids", "needs --report_cpu");
  if (absl::Status s = ValidateFault(o); !s.ok()) return s;
  if (!o.spawn) {
    if (o.proposers != 1) return Bad("proposers", "needs --spawn");
    if (o.proposer_io_threads != 1) return Bad("proposer_io_threads", "needs --spawn");
    if (!o.proposer_flags.empty()) return Bad("proposer_flags", "needs --spawn");
    if (o.redis_appendfsync != "always") return Bad("redis_appendfsync", "needs --spawn");
  }
  return absl::OkStatus();
}

std::string EffectiveKeyPrefix(const BenchOptions& o) {
  if (!o.key_prefix.empty()) return o.key_prefix;
  return absl::StrCat("bench:", o.workload.KindName(), ":");
}

}  // namespace gryadka::bench
