#include "tests/integration/cluster.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gryadka::integration {

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  std::unique_ptr<Cluster> c(new Cluster(options));
  for (int i = 0; i < options.acceptors; ++i) {
    test_support::RedisProcessOptions ro;
    ro.requirepass = options.redis_requirepass;
    auto r = test_support::RedisProcess::Start(ro);
    if (!r.ok()) return r.status();
    c->redis_.push_back(*std::move(r));
  }
  for (int i = 0; i < options.proposers; ++i) {
    auto added = c->AddProposer(options.proposer_flags);
    if (!added.ok()) return added.status();
  }
  for (int i = 0; i < options.proposers; ++i) {
    if (auto s = c->WaitHealth(i, true, options.serving_timeout_ms); !s.ok()) {
      return absl::UnavailableError(absl::StrCat(s.message(), "\n", c->Logs()));
    }
  }
  return c;
}

Cluster::~Cluster() {
  for (auto& p : proposers_) p->Stop();
  for (auto& r : redis_) r->Stop();
}

std::string Cluster::acceptor_list() const {
  std::vector<std::string> parts;
  for (const auto& r : redis_) parts.push_back(absl::StrCat("127.0.0.1:", r->port()));
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<int> Cluster::AddProposer(const std::vector<std::string>& extra_flags,
                                         const std::vector<std::string>& extra_env) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = process::FreeLoopbackPort();
    if (!port.ok()) return port.status();
    process::ProcessSpec spec;
    spec.binary = GRYADKA_PROPOSER_BIN;
    spec.name = absl::StrCat("proposer", proposers_.size());
    spec.args = {absl::StrCat("--listen=127.0.0.1:", *port), "--acceptor_timeout_ms=300",
                 "--drain_timeout_ms=5000"};
    if (options_.acceptors_flag) spec.args.push_back("--acceptors=" + acceptor_list());
    spec.args.insert(spec.args.end(), extra_flags.begin(), extra_flags.end());
    spec.env = options_.proposer_env;
    spec.env.insert(spec.env.end(), extra_env.begin(), extra_env.end());
    auto p = process::ProcessHandle::Start(spec);
    if (!p.ok()) return p.status();
    // A port taken between probing and binding makes the proposer exit at once: retry.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!(*p)->Running()) continue;
    proposers_.push_back(*std::move(p));
    proposer_ports_.push_back(*port);
    return static_cast<int>(proposers_.size()) - 1;
  }
  return absl::UnavailableError("could not start a proposer on a free port in 5 attempts\n" + Logs());
}

std::unique_ptr<Client> Cluster::NewClient(int i, int64_t default_deadline_ms) const {
  ClientOptions o;
  if (i >= 0) {
    o.targets = {target(i)};
  } else {
    for (int p = 0; p < num_proposers(); ++p) o.targets.push_back(target(p));
  }
  o.default_deadline_ms = default_deadline_ms;
  auto c = Client::Create(o);
  return c.ok() ? *std::move(c) : nullptr;
}

std::unique_ptr<v1::KV::Stub> Cluster::NewStub(int i) const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::KV::NewStub(grpc::CreateCustomChannel(target(i), grpc::InsecureChannelCredentials(), args));
}

absl::Status Cluster::WaitHealth(int i, bool want, int64_t timeout_ms) const {
  auto client = NewClient(i, 1000);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  absl::Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = client->Health();
    if (last.ok() == want) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("proposer ", i, " did not become ",
                                                  want ? "SERVING" : "NOT_SERVING", " within ",
                                                  timeout_ms, " ms; last health: ", last.ToString()));
}

std::string Cluster::Logs() const {
  std::string out;
  for (const auto& r : redis_) absl::StrAppend(&out, "--- ", r->Describe(), "\n", r->LogTail(1500), "\n");
  for (const auto& p : proposers_) absl::StrAppend(&out, "--- ", p->Describe(), "\n", p->LogTail(3000), "\n");
  return out;
}

std::string FetchMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

double MetricSample(const std::string& body, const std::string& series) {
  size_t at = 0;
  while ((at = body.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') {
      const size_t end = body.find('\n', at);
      double v = 0;
      if (absl::SimpleAtod(body.substr(at + series.size() + 1, end - at - series.size() - 1), &v)) {
        return v;
      }
    }
    at += series.size();
  }
  return -1;
}

}  // namespace gryadka::integration
