#include "bench/load/metrics_scrape.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gryadka::bench {
namespace {

// Closes the descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status Unavailable(const HttpUrl& url, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("--metrics_url ", url.ToString(), ": ", what));
}

}  // namespace

absl::StatusOr<std::string> HttpGet(const HttpUrl& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string host = url.host;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) host = host.substr(1, host.size() - 2);
  if (int rc = getaddrinfo(host.c_str(), absl::StrCat(url.port).c_str(), &hints, &res); rc != 0) {
    return Unavailable(url, absl::StrCat("cannot resolve: ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  const timeval tv{kScrapeTimeoutMs / 1000, (kScrapeTimeoutMs % 1000) * 1000};
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) continue;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = absl::StrCat("connect: ", std::strerror(errno));
      continue;
    }
    const std::string request = absl::StrCat("GET ", url.path, " HTTP/1.0\r\nHost: ", url.host,
                                             "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return Unavailable(url, absl::StrCat("send: ", std::strerror(errno)));
    }
    std::string response;
    char buf[16384];
    for (;;) {
      const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        return Unavailable(url, absl::StrCat("recv: ", std::strerror(errno)));
      }
      response.append(buf, static_cast<size_t>(n));
      if (response.size() > kScrapeResponseBytesMax) {
        return Unavailable(url, absl::StrCat("answer over ", kScrapeResponseBytesMax, " bytes"));
      }
    }
    const size_t header_end = response.find("\r\n\r\n");
    if (header_end == std::string::npos) return Unavailable(url, "no HTTP header in the answer");
    absl::string_view status_line = absl::string_view(response).substr(0, response.find("\r\n"));
    std::vector<absl::string_view> parts = absl::StrSplit(status_line, ' ');
    if (parts.size() < 2 || parts[1] != "200") {
      return Unavailable(url, absl::StrCat("HTTP status '", status_line, "'"));
    }
    return response.substr(header_end + 4);
  }
  return Unavailable(url, last_error);
}

std::map<std::string, double> ParsePrometheusText(absl::string_view text) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space outside braces; labels may contain spaces in quotes.
    const size_t close = line.rfind('}');
    const size_t space = line.find(' ', close == absl::string_view::npos ? 0 : close);
    if (space == absl::string_view::npos) continue;
    absl::string_view name = line.substr(0, space);
    absl::string_view rest = absl::StripAsciiWhitespace(line.substr(space + 1));
    rest = rest.substr(0, rest.find(' '));  // drop an optional timestamp
    double v = 0;
    if (!absl::SimpleAtod(rest, &v)) continue;
    out[std::string(name)] = v;
  }
  return out;
}

RoundCounts& RoundCounts::operator+=(const RoundCounts& o) {
  one_rtt += o.one_rtt;
  two_rtt += o.two_rtt;
  calls += o.calls;
  call_seconds += o.call_seconds;
  cache_entries += o.cache_entries;
  return *this;
}

RoundCounts& RoundCounts::operator-=(const RoundCounts& o) {
  one_rtt -= o.one_rtt;
  two_rtt -= o.two_rtt;
  calls -= o.calls;
  call_seconds -= o.call_seconds;
  return *this;
}

absl::StatusOr<RoundCounts> ScrapeRounds(const HttpUrl& url) {
  auto body = HttpGet(url);
  if (!body.ok()) return body.status();
  const std::map<std::string, double> m = ParsePrometheusText(*body);
  auto one = m.find("gryadka_rounds_total{path=\"one_rtt\"}");
  auto two = m.find("gryadka_rounds_total{path=\"two_rtt\"}");
  if (one == m.end() || two == m.end()) {
    return Unavailable(url, "no gryadka_rounds_total{path=\"one_rtt\"|\"two_rtt\"} in the answer");
  }
  RoundCounts r;
  r.one_rtt = one->second;
  r.two_rtt = two->second;
  if (auto c = m.find("gryadka_cache_entries"); c != m.end()) r.cache_entries = c->second;
  for (const auto& [name, value] : m) {
    if (absl::StartsWith(name, "gryadka_call_duration_seconds_count{")) r.calls += value;
    if (absl::StartsWith(name, "gryadka_call_duration_seconds_sum{")) r.call_seconds += value;
  }
  return r;
}

absl::StatusOr<double> ReadProcessCpuSeconds(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  // "pid (comm) state ppid ...": comm may hold spaces, so fields count from the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return absl::InternalError(absl::StrCat(path, ": no ')'"));
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(line).substr(close + 2), ' ', absl::SkipEmpty());
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  int64_t utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) {
    return absl::InternalError(absl::StrCat(path, ": cannot parse utime/stime"));
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

absl::StatusOr<double> ReadMachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return absl::NotFoundError("cannot read /proc/stat");
  // "cpu user nice system idle iowait irq softirq steal guest guest_nice"
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  int64_t v[8] = {};
  if (f.size() < 9 || f[0] != "cpu") return absl::InternalError("/proc/stat: no cpu line");
  for (int i = 0; i < 8; ++i) {
    if (!absl::SimpleAtoi(f[i + 1], &v[i])) return absl::InternalError("/proc/stat: bad cpu line");
  }
  const int64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(busy) / static_cast<double>(ticks);
}

absl::StatusOr<ProcessMemory> ReadProcessMemory(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  ProcessMemory m;
  bool rss = false;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    int64_t* field = nullptr;
    if (absl::ConsumePrefix(&v, "VmRSS:")) {
      field = &m.rss_kib;
      rss = true;
    } else if (absl::ConsumePrefix(&v, "VmHWM:")) {
      field = &m.hwm_kib;
    } else {
      continue;
    }
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, " kB");
    if (!absl::SimpleAtoi(v, field)) {
      return absl::InternalError(absl::StrCat(path, ": cannot parse '", line, "'"));
    }
  }
  if (!rss) return absl::NotFoundError(absl::StrCat(path, " has no VmRSS line"));
  return m;
}

}  // namespace gryadka::bench
