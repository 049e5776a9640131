#include "proposer/server/options.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gryadka::server {

std::string HostPort::ToString() const { return absl::StrCat(host, ":", port); }

absl::StatusOr<HostPort> ParseHostPort(absl::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not HOST:PORT"));
  }
  HostPort hp;
  hp.host = std::string(s.substr(0, colon));
  absl::string_view port = s.substr(colon + 1);
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (ec != std::errc() || p != port.data() + port.size() || hp.port < 1 || hp.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", s, "' has no valid port (1..65535)"));
  }
  return hp;
}

absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view list) {
  std::vector<HostPort> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    auto hp = ParseHostPort(part);
    if (!hp.ok()) return hp.status();
    if (std::find(out.begin(), out.end(), *hp) != out.end()) {
      return absl::InvalidArgumentError(absl::StrCat("'", part, "' is listed twice"));
    }
    out.push_back(*std::move(hp));
  }
  return out;
}

size_t DefaultMaxRequestBytes(size_t max_value_bytes, size_t max_key_bytes) {
  return 4 * max_value_bytes + max_key_bytes + kRequestOverheadBytes;
}

size_t MinMaxRequestBytes(size_t max_value_bytes, size_t max_key_bytes) {
  return max_value_bytes + max_key_bytes + kRequestOverheadBytes;
}

absl::Status ResolveMaxRequestBytes(ServerOptions* o) {
  if (o->max_request_bytes == 0) {
    o->max_request_bytes = DefaultMaxRequestBytes(o->max_value_bytes, o->max_key_bytes);
  }
  const size_t min = MinMaxRequestBytes(o->max_value_bytes, o->max_key_bytes);
  if (o->max_request_bytes < min || o->max_request_bytes > kMaxRequestBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_request_bytes=", o->max_request_bytes, " must be in ", min, "..",
        kMaxRequestBytesMax, " (at least --max_value_bytes + --max_key_bytes + ",
        kRequestOverheadBytes, " bytes of framing, so every valid request fits; 0 = ",
        "4 * --max_value_bytes + --max_key_bytes + ", kRequestOverheadBytes, ")"));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::vector<core::AcceptorId>> IndexSet(const char* flag,
                                                       const std::vector<HostPort>& subset,
                                                       const std::vector<HostPort>& all) {
  std::vector<core::AcceptorId> ids;
  if (subset.empty()) {
    for (size_t i = 0; i < all.size(); ++i) ids.push_back(static_cast<int>(i));
    return ids;
  }
  for (const HostPort& hp : subset) {
    auto it = std::find(all.begin(), all.end(), hp);
    if (it == all.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " names ", hp.ToString(), " which is not in --acceptors"));
    }
    ids.push_back(static_cast<int>(it - all.begin()));
  }
  return ids;
}

}  // namespace

absl::Status CheckMembershipOptions(const ServerOptions& o) {
  if (!o.membership_file.empty() &&
      (!o.acceptors.empty() || !o.prepare_acceptors.empty() || !o.accept_acceptors.empty() ||
       o.prepare_quorum != 0 || o.accept_quorum != 0)) {
    return absl::InvalidArgumentError(
        "--membership_file excludes --acceptors, --prepare_acceptors, --prepare_quorum, "
        "--accept_acceptors and --accept_quorum: the file names the acceptor sets");
  }
  if (o.membership_file_poll_ms < kMembershipFilePollMsMin ||
      o.membership_file_poll_ms > kMembershipFilePollMsMax) {
    return absl::InvalidArgumentError(absl::StrCat("--membership_file_poll_ms must be in ",
                                                   kMembershipFilePollMsMin, "..",
                                                   kMembershipFilePollMsMax));
  }
  if (o.rescan_inflight_max < 1 || o.rescan_inflight_max > kRescanInflightMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rescan_inflight_max must be in 1..", kRescanInflightMax));
  }
  if (o.admin_redis_timeout_ms < 1) {
    return absl::InvalidArgumentError("--admin_redis_timeout_ms must be >= 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<core::ProposerConfig> BuildCoreConfig(const ServerOptions& o) {
  if (o.acceptors.empty()) {
    return absl::InvalidArgumentError("--acceptors (or --membership_file) is required: HOST:PORT,HOST:PORT,... (2F+1 Redis servers)");
  }
  absl::StatusOr<core::ProposerConfig> base = BuildCoreConfigBase(o);
  if (!base.ok()) return base.status();
  core::ProposerConfig c = *std::move(base);
  c.num_acceptors = static_cast<int>(o.acceptors.size());
  auto prepare = IndexSet("prepare_acceptors", o.prepare_acceptors, o.acceptors);
  if (!prepare.ok()) return prepare.status();
  auto accept = IndexSet("accept_acceptors", o.accept_acceptors, o.acceptors);
  if (!accept.ok()) return accept.status();
  c.prepare_set = *prepare;
  c.accept_set = *accept;
  c.prepare_quorum = o.prepare_quorum > 0 ? o.prepare_quorum : static_cast<int>(c.prepare_set.size()) / 2 + 1;
  c.accept_quorum = o.accept_quorum > 0 ? o.accept_quorum : static_cast<int>(c.accept_set.size()) / 2 + 1;
  if (absl::Status s = c.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("acceptor sets/quorums: ", s.message()));
  }
  return c;
}

absl::StatusOr<core::ProposerConfig> BuildCoreConfigBase(const ServerOptions& o) {
  if (o.io_threads < 1 || o.io_threads > 256) {
    return absl::InvalidArgumentError("--io_threads must be in 1..256");
  }
  if (o.acceptor_timeout_ms < 1) return absl::InvalidArgumentError("--acceptor_timeout_ms must be >= 1");
  if (o.straggler_timeout_ms < 1 || o.straggler_timeout_ms > o.acceptor_timeout_ms) {
    return absl::InvalidArgumentError("need 1 <= --straggler_timeout_ms <= --acceptor_timeout_ms");
  }
  if (o.accept_hedge_ms < 1 || o.accept_hedge_ms > o.acceptor_timeout_ms) {
    return absl::InvalidArgumentError("need 1 <= --accept_hedge_ms <= --acceptor_timeout_ms");
  }
  if (o.default_deadline_ms < 1 || o.max_deadline_ms < o.default_deadline_ms) {
    return absl::InvalidArgumentError("need 1 <= --default_deadline_ms <= --max_deadline_ms");
  }
  core::ProposerConfig c;
  c.limits.max_key_bytes = o.max_key_bytes;
  c.limits.max_value_bytes = o.max_value_bytes;
  c.round_timeout_ms = o.acceptor_timeout_ms;
  c.straggler_timeout_ms = o.straggler_timeout_ms;
  c.one_rtt = o.one_rtt;
  c.accept_quorum_first = o.accept_quorum_first;
  c.accept_hedge_ms = o.accept_hedge_ms;
  const size_t shards = static_cast<size_t>(o.io_threads);
  c.cache_entries_max = std::max<size_t>(1, o.cache_entries_max / shards);
  c.cache_bytes_max = std::max<size_t>(1, o.cache_bytes_max / shards);
  c.requests_max = std::max<size_t>(1, o.requests_max / shards);
  if (absl::Status s = c.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("proposer options: ", s.message()));
  }
  return c;
}

}  // namespace gryadka::server
