#include "acceptor_adapter/redis_auth.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/bounded_file.h"

namespace gryadka::acceptor {
namespace {

constexpr size_t kAuthErrorBytesMax = 256;  // longest Redis error text quoted

}  // namespace

RedisCredentialSource RedisCredentialSource::FromFile(std::string user, std::string password_file) {
  RedisCredentialSource s;
  s.kind_ = Kind::kFile;
  s.user_ = std::move(user);
  s.password_file_ = std::move(password_file);
  return s;
}

RedisCredentialSource RedisCredentialSource::FromPassword(std::string user, std::string password) {
  RedisCredentialSource s;
  s.kind_ = Kind::kFixed;
  s.user_ = std::move(user);
  s.password_ = std::move(password);
  return s;
}

absl::StatusOr<std::optional<RedisCredentials>> RedisCredentialSource::Load() const {
  switch (kind_) {
    case Kind::kNone:
      return std::optional<RedisCredentials>();
    case Kind::kFixed:
      return std::optional<RedisCredentials>(RedisCredentials{user_, password_});
    case Kind::kFile: {
      absl::StatusOr<std::string> password = ReadRedisPasswordFile(password_file_);
      if (!password.ok()) return password.status();
      return std::optional<RedisCredentials>(RedisCredentials{user_, *std::move(password)});
    }
  }
  return absl::InternalError("unknown credential source");
}

std::string RedisCredentialSource::Describe() const {
  const std::string user = user_.empty() ? "default user" : absl::StrCat("user '", user_, "'");
  switch (kind_) {
    case Kind::kNone: return "none";
    case Kind::kFixed: return absl::StrCat(user, ", password from GRYADKA_REDIS_PASSWORD");
    case Kind::kFile: return absl::StrCat(user, ", password from file ", password_file_);
  }
  return "unknown";
}

absl::StatusOr<std::string> ReadRedisPasswordFile(const std::string& path) {
  absl::StatusOr<std::string> read = ReadFileBounded(path, kRedisPasswordFileBytesMax);
  if (!read.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Redis password file ", path, " ", read.status().message()));
  }
  std::string content = *std::move(read);
  if (absl::EndsWith(content, "\r\n")) {
    content.resize(content.size() - 2);
  } else if (absl::EndsWith(content, "\n")) {
    content.resize(content.size() - 1);
  }
  if (content.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Redis password file ", path, " is empty"));
  }
  return content;
}

absl::StatusOr<RedisCredentialSource> RedisCredentialsFromFlags(
    const std::string& user, const std::string& password_file,
    const std::optional<std::string>& env_password) {
  const bool has_env = env_password.has_value() && !env_password->empty();
  if (has_env && !password_file.empty()) {
    return absl::InvalidArgumentError(
        "--redis_password_file and the environment variable GRYADKA_REDIS_PASSWORD are both "
        "set; give the Redis password one way only");
  }
  if (!password_file.empty()) {
    if (absl::StatusOr<std::string> p = ReadRedisPasswordFile(password_file); !p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--redis_password_file: ", p.status().message()));
    }
    return RedisCredentialSource::FromFile(user, password_file);
  }
  if (has_env) return RedisCredentialSource::FromPassword(user, *env_password);
  if (!user.empty()) {
    return absl::InvalidArgumentError(
        "--redis_user needs a password: give --redis_password_file or set "
        "GRYADKA_REDIS_PASSWORD");
  }
  return RedisCredentialSource();
}

std::vector<std::string> AuthArgv(const RedisCredentials& credentials) {
  if (credentials.user.empty()) return {"AUTH", credentials.password};
  return {"AUTH", credentials.user, credentials.password};
}

std::string RedisAuthErrorText(const char* str, size_t len) {
  if (str == nullptr) return "";
  const bool cut = len > kAuthErrorBytesMax;
  return absl::StrCat(std::string(str, cut ? kAuthErrorBytesMax : len), cut ? "..." : "");
}

}  // namespace gryadka::acceptor
