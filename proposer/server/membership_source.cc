#include "proposer/server/membership_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/bounded_file.h"
#include "google/protobuf/util/json_util.h"
#include "proposer/core/membership.h"

namespace gryadka::server {
namespace {

v1::QuorumSet SetFrom(const std::vector<HostPort>& subset, const std::vector<HostPort>& all,
                      int quorum) {
  v1::QuorumSet s;
  for (const HostPort& hp : subset.empty() ? all : subset) s.add_acceptors(hp.ToString());
  s.set_quorum(static_cast<uint32_t>(std::max(0, quorum)));
  return s;
}

absl::Status CheckSubset(const char* flag, const std::vector<HostPort>& subset,
                         const std::vector<HostPort>& all) {
  for (const HostPort& hp : subset) {
    if (std::find(all.begin(), all.end(), hp) == all.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " names ", hp.ToString(), " which is not in --acceptors"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostPort> AcceptorHostPort(const std::string& address) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("acceptor address ", hp.status().message()));
  }
  if (hp->host.size() >= 2 && hp->host.front() == '[' && hp->host.back() == ']') {
    hp->host = hp->host.substr(1, hp->host.size() - 2);
  }
  return hp;
}

absl::Status ValidateServerMembership(const v1::Membership& m) {
  if (absl::Status s = core::ValidateMembership(m); !s.ok()) return s;
  for (const std::string& a : core::MembershipAcceptors(m)) {
    if (auto hp = AcceptorHostPort(a); !hp.ok()) return hp.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Membership> MembershipFromOptions(const ServerOptions& o) {
  if (o.acceptors.empty()) {
    return absl::InvalidArgumentError(
        "--acceptors (or --membership_file) is required: HOST:PORT,HOST:PORT,... (2F+1 Redis "
        "servers)");
  }
  if (auto s = CheckSubset("prepare_acceptors", o.prepare_acceptors, o.acceptors); !s.ok()) return s;
  if (auto s = CheckSubset("accept_acceptors", o.accept_acceptors, o.acceptors); !s.ok()) return s;
  v1::Membership m;
  m.set_epoch(0);
  *m.mutable_prepare() = SetFrom(o.prepare_acceptors, o.acceptors, o.prepare_quorum);
  *m.mutable_accept() = SetFrom(o.accept_acceptors, o.acceptors, o.accept_quorum);
  if (absl::Status s = ValidateServerMembership(m); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("acceptor sets/quorums: ", s.message()));
  }
  return m;
}

absl::StatusOr<v1::Membership> ParseMembershipJson(const std::string& text) {
  v1::Membership m;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(text, &m, opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not the proto3 JSON of a gryadka.v1.Membership: ", std::string(st.message())));
  }
  if (absl::Status s = ValidateServerMembership(m); !s.ok()) return s;
  return m;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileBounded(path, kMembershipFileBytesMax);
  if (content.ok()) return content;
  return absl::Status(content.status().code(), absl::StrCat(path, " ", content.status().message()));
}

MembershipFile::Poll MembershipFile::PollOnce() {
  Poll poll;
  absl::StatusOr<std::string> content = ReadSmallFile(path_);
  const std::string seen =
      content.ok() ? absl::StrCat("+", *content) : absl::StrCat("-", content.status().ToString());
  if (last_ && *last_ == seen) return poll;
  last_ = seen;
  poll.changed = true;
  if (!content.ok()) {
    poll.membership = content.status();
    return poll;
  }
  absl::StatusOr<v1::Membership> m = ParseMembershipJson(*content);
  if (!m.ok()) {
    poll.membership = absl::InvalidArgumentError(
        absl::StrCat("--membership_file ", path_, ": ", m.status().message()));
    return poll;
  }
  poll.membership = *std::move(m);
  return poll;
}

}  // namespace gryadka::server
