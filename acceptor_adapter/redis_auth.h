// Redis authentication: where the proposer's Redis password comes from, and the AUTH command
// built from it. Sent first on every connection the proposer opens to a Redis acceptor (the
// async acceptor connections, redis_acceptor.h, and the blocking admin ones, redis_admin.h).
// See docs/redis-auth.md for the flags, the commands the proposer sends and a minimal ACL.
//
// The password never comes from a command-line flag: it is read from a file (re-read on every
// Load(), so a rotated Kubernetes Secret is used by the next connection) or given once by the
// caller (from the environment variable GRYADKA_REDIS_PASSWORD). Messages and Describe() never
// contain the password.
//
// Thread-safety: RedisCredentialSource is an immutable value; Load() may run concurrently from
// any number of threads (it only reads the file).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gryadka::acceptor {

// Longest password file accepted, in bytes (Redis passwords are short; this bounds the read).
inline constexpr size_t kRedisPasswordFileBytesMax = 4096;

// What AUTH sends. user empty = Redis's "default" user (requirepass).
struct RedisCredentials {
  std::string user;
  std::string password;
};

class RedisCredentialSource {
 public:
  // No authentication: Load() answers std::nullopt and no AUTH is sent.
  RedisCredentialSource() = default;
  // The password is read from `password_file` on every Load().
  static RedisCredentialSource FromFile(std::string user, std::string password_file);
  // A fixed password (e.g. from the environment).
  static RedisCredentialSource FromPassword(std::string user, std::string password);

  bool enabled() const { return kind_ != Kind::kNone; }
  // The credentials to send now: std::nullopt when not enabled. Errors (from the file only):
  // FAILED_PRECONDITION naming the file (missing, unreadable, empty, or longer than
  // kRedisPasswordFileBytesMax).
  absl::StatusOr<std::optional<RedisCredentials>> Load() const;
  // "none", or e.g. "user 'gryadka', password from file /run/secrets/password" (no password).
  std::string Describe() const;

 private:
  enum class Kind { kNone, kFile, kFixed };
  Kind kind_ = Kind::kNone;
  std::string user_;
  std::string password_file_;  // kFile
  std::string password_;       // kFixed
};

// The password in `path`: its content with ONE trailing "\n" (or "\r\n") removed. Errors as
// RedisCredentialSource::Load().
absl::StatusOr<std::string> ReadRedisPasswordFile(const std::string& path);

// The proposer's flags and environment combined: --redis_user, --redis_password_file and the
// value of GRYADKA_REDIS_PASSWORD (std::nullopt or empty = unset). Errors (INVALID_ARGUMENT, naming
// the flag or variable): both a file and the variable given; a user without a password; the file
// unreadable now (checked once here, so a bad path fails at start).
absl::StatusOr<RedisCredentialSource> RedisCredentialsFromFlags(
    const std::string& user, const std::string& password_file,
    const std::optional<std::string>& env_password);

// The AUTH command: {"AUTH", password} or {"AUTH", user, password}.
std::vector<std::string> AuthArgv(const RedisCredentials& credentials);

// Redis's answer to a failed AUTH (or any error text), cut to a bounded length for logs and
// messages. The password is never part of Redis's AUTH errors (WRONGPASS, NOAUTH, ERR ...).
std::string RedisAuthErrorText(const char* str, size_t len);

}  // namespace gryadka::acceptor
