#include "client/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gryadka::client {
namespace {

// Splits "dns:[//authority/]host:port" into host and port; false if it is not of that form.
bool ParseDnsTarget(absl::string_view target, std::string* host, std::string* port) {
  if (!absl::ConsumePrefix(&target, "dns:")) return false;
  if (absl::ConsumePrefix(&target, "//")) {
    const size_t slash = target.find('/');
    if (slash == absl::string_view::npos) return false;
    target.remove_prefix(slash + 1);
  }
  const size_t colon = target.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
  absl::string_view h = target.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  *host = std::string(h);
  *port = std::string(target.substr(colon + 1));
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveWithGetaddrinfo(const std::string& host,
                                                                const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::vector<std::string> out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof(text));
      out.push_back(absl::StrCat("ipv4:", text, ":", port));
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof(text));
      out.push_back(absl::StrCat("ipv6:[", text, "]:", port));
    }
  }
  freeaddrinfo(found);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) return absl::UnavailableError(absl::StrCat(host, " has no addresses"));
  return out;
}

std::vector<std::string> ExpandDnsTargets(const std::vector<std::string>& targets,
                                          const Resolver& resolve) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](const std::string& t) {
    if (seen.insert(t).second) out.push_back(t);
  };
  for (const std::string& target : targets) {
    std::string host, port;
    if (!ParseDnsTarget(target, &host, &port)) {
      add(target);
      continue;
    }
    absl::StatusOr<std::vector<std::string>> addresses = resolve(host, port);
    if (!addresses.ok() || addresses->empty()) {
      add(target);
      continue;
    }
    for (const std::string& a : *addresses) add(a);
  }
  return out;
}

}  // namespace gryadka::client
