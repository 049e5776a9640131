// Where a proposer's membership (gryadka.v1.Membership, docs/membership.md) comes from at start
// and while it runs: the acceptor flags, or a proto3 JSON file that is polled for changes.
//
// A Kubernetes ConfigMap volume updates a mounted file by swapping the `..data` symlink, so the
// file is re-opened by path on every poll and its CONTENT is compared with the last one read;
// nothing watches inodes or paths (no inotify).
//
// Thread-safety: the free functions are thread-safe; MembershipFile is thread-compatible (one
// poller thread owns it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gryadka/v1/admin.pb.h"
#include "proposer/server/options.h"

namespace gryadka::server {

// Largest membership file read, in bytes (a membership of a few dozen acceptors is ~2 KiB).
inline constexpr size_t kMembershipFileBytesMax = 1 << 20;

// OK, or INVALID_ARGUMENT naming what is wrong: core::ValidateMembership (malformed sets,
// quorums that do not intersect — the message names the sets), or an address that is not
// HOST:PORT (a proposer must be able to connect to every acceptor it names).
absl::Status ValidateServerMembership(const v1::Membership& membership);

// The "host" and port of an acceptor address "host:port" or "[v6]:port" (brackets removed), as
// RedisAcceptor and RedisAdminConnection take them. INVALID_ARGUMENT naming the address.
absl::StatusOr<HostPort> AcceptorHostPort(const std::string& address);

// The epoch-0 membership the acceptor flags describe (--acceptors, --prepare_acceptors/
// --prepare_quorum, --accept_acceptors/--accept_quorum; empty subsets = all). Errors
// (INVALID_ARGUMENT) name the flag at fault.
absl::StatusOr<v1::Membership> MembershipFromOptions(const ServerOptions& options);

// Parses proto3 JSON `text` into a Membership and validates it (ValidateServerMembership).
// Errors (INVALID_ARGUMENT) say what is wrong; the caller adds the file name.
absl::StatusOr<v1::Membership> ParseMembershipJson(const std::string& text);

// Reads the whole file at `path` (following symlinks), at most kMembershipFileBytesMax bytes.
// Errors as ReadFileBounded (client/bounded_file.h: NOT_FOUND, PERMISSION_DENIED, DATA_LOSS,
// OUT_OF_RANGE when too large), their message starting with the path.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// A polled membership file.
class MembershipFile {
 public:
  explicit MembershipFile(std::string path) : path_(std::move(path)) {}

  // What one poll found.
  struct Poll {
    bool changed = false;  // the content differs from the previous poll's (or first poll)
    // When changed: the parsed membership, or why the file cannot be used (naming the file).
    absl::StatusOr<v1::Membership> membership = absl::UnknownError("unchanged");
  };

  // Reads the file; reports a change when its bytes differ from the last read (a failed read
  // counts as content too: an error is reported once, not on every poll, until it changes).
  Poll PollOnce();

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  std::optional<std::string> last_;  // the last content read, or the last read error's text
};

}  // namespace gryadka::server
