#include "bench/load/local_cluster.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "client/shared/sync_redis.h"

namespace gryadka::bench {
namespace {

using process::ProcessHandle;
using process::ProcessSpec;

constexpr int64_t kPollMs = 20;
constexpr int64_t kProbeTimeoutMs = 500;    // one readiness probe (PING or Get)
constexpr int64_t kBindSettleMs = 200;      // a proposer that lost its port exits within this
constexpr char kProbeKey[] = "gryadka-bench:ready-probe";

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// Waits until the redis-server of `p` answers PING on `port` and INFO names its PID.
absl::Status WaitRedis(ProcessHandle& p, int port) {
  const auto start = std::chrono::steady_clock::now();
  std::string last = "no answer";
  while (ElapsedMs(start) < kReadyTimeoutMs) {
    if (!p.Running()) return absl::UnavailableError(absl::StrCat(p.Describe(), " exited"));
    auto info = process::RunRedisCommand(port, {"INFO", "server"}, kProbeTimeoutMs);
    if (info.ok() && info->type == process::RedisValue::Type::kString) {
      if (process::ProcessIdFromInfo(info->str) != p.pid()) {
        return absl::UnavailableError(
            absl::StrCat("another redis-server answers on port ", port));
      }
      auto pong = process::RunRedisCommand(port, {"PING"}, kProbeTimeoutMs);
      if (pong.ok() && pong->str == "PONG") return absl::OkStatus();
      last = pong.ok() ? pong->DebugString() : pong.status().ToString();
    } else {
      last = info.ok() ? info->DebugString() : info.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat(p.Describe(), " did not answer PING within ",
                                                  kReadyTimeoutMs, " ms (last: ", last, ")"));
}

// Waits until the proposer at `target` answers a Get (so it serves and reaches a quorum).
absl::Status WaitProposer(ProcessHandle& p, const std::string& target) {
  auto stub = v1::KV::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const auto start = std::chrono::steady_clock::now();
  grpc::Status last;
  while (ElapsedMs(start) < kReadyTimeoutMs) {
    if (!p.Running()) return absl::UnavailableError(absl::StrCat(p.Describe(), " exited"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs));
    v1::GetRequest req;
    req.set_key(kProbeKey);
    v1::GetResponse resp;
    last = stub->Get(&ctx, req, &resp);
    if (last.ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat(p.Describe(), " did not answer a Get within ",
                                                  kReadyTimeoutMs, " ms (last: ",
                                                  last.error_message(), ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  auto dir = process::MakeTempDir("gryadka-bench-");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<LocalCluster> c(new LocalCluster(std::move(options), *std::move(dir)));
  auto fail = [&c](const absl::Status& s) {
    const std::string logs = c->Logs();
    c->Stop();
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", logs));
  };
  for (int i = 0; i < kSpawnedAcceptors; ++i) {
    if (absl::Status s = c->StartRedis(i); !s.ok()) return fail(s);
  }
  if (absl::Status s = c->StartProposers(); !s.ok()) return fail(s);
  for (int i = 0; i < c->options_.proposers; ++i) {
    if (absl::Status s = WaitProposer(*c->proposers_[i], c->proposer_targets()[i]); !s.ok()) {
      return fail(s);
    }
  }
  return c;
}

LocalCluster::~LocalCluster() { Stop(); }

std::vector<std::string> AcceptorRedisPersistenceArgs(const std::string& appendfsync) {
  return {"--save", "", "--appendonly", "yes", "--appendfsync", appendfsync};
}

absl::Status LocalCluster::StartRedis(int index) {
  const std::string dir = absl::StrCat(dir_, "/redis-", index);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  absl::Status last = absl::UnavailableError("no attempt");
  for (int attempt = 0; attempt < kStartAttemptsMax; ++attempt) {
    auto port = process::FreeLoopbackPort();
    if (!port.ok()) return port.status();
    ProcessSpec spec;
    spec.binary = options_.redis_server;
    spec.name = absl::StrCat("redis-", index);
    spec.args = {"--port", absl::StrCat(*port), "--bind", "127.0.0.1", "--dir",
                 dir,      "--daemonize",       "no"};
    const std::vector<std::string> persist =
        AcceptorRedisPersistenceArgs(options_.redis_appendfsync);
    spec.args.insert(spec.args.end(), persist.begin(), persist.end());
    auto p = ProcessHandle::Start(spec, dir, /*adopt_dir=*/false);
    if (!p.ok()) return p.status();
    last = WaitRedis(**p, *port);
    if (last.ok()) {
      redis_.push_back(*std::move(p));
      redis_ports_.push_back(*port);
      return absl::OkStatus();
    }
    const bool port_taken = absl::StrContains((*p)->LogTail(), "Address already in use") ||
                            absl::StrContains(last.message(), "another redis-server");
    (*p)->Stop();
    if (!port_taken) return absl::Status(last.code(), absl::StrCat(last.message(), "\n", (*p)->LogTail()));
  }
  return last;
}

absl::Status LocalCluster::StartProposers() {
  for (int attempt = 0; attempt < kStartAttemptsMax; ++attempt) {
    // Every port first: each proposer gets the whole list as --peers.
    std::vector<int> ports, metrics_ports;
    for (int i = 0; i < 2 * options_.proposers; ++i) {
      auto port = process::FreeLoopbackPort();
      if (!port.ok()) return port.status();
      if (std::find(ports.begin(), ports.end(), *port) != ports.end() ||
          std::find(metrics_ports.begin(), metrics_ports.end(), *port) != metrics_ports.end()) {
        --i;  // the same free port twice: draw again
        continue;
      }
      (i % 2 == 0 ? ports : metrics_ports).push_back(*port);
    }
    proposer_ports_ = ports;
    metrics_ports_ = metrics_ports;
    absl::Status s;
    for (int i = 0; i < options_.proposers && s.ok(); ++i) s = StartProposer(i);
    if (s.ok()) return s;
    for (auto& p : proposers_) p->Stop(kProposerStopGraceMs);
    proposers_.clear();
    // A port taken between probing and binding makes a proposer exit at once: all again.
    if (!absl::IsAlreadyExists(s)) return s;
  }
  return absl::UnavailableError(
      absl::StrCat("could not start the proposers on free ports in ", kStartAttemptsMax, " attempts"));
}

absl::Status LocalCluster::StartProposer(int index) {
  const std::string dir = absl::StrCat(dir_, "/proposer-", index);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string self = proposer_targets()[index];
  ProcessSpec spec;
  spec.binary = options_.proposer_bin;
  spec.name = absl::StrCat("proposer-", index);
  spec.args = {"--listen=" + self,
               "--acceptors=" + AcceptorList(),
               absl::StrCat("--metrics_listen=127.0.0.1:", metrics_ports_[index]),
               absl::StrCat("--io_threads=", options_.proposer_io_threads),
               "--drain_timeout_ms=2000"};
  if (options_.proposers > 1) {
    spec.args.push_back("--peers=" + absl::StrJoin(proposer_targets(), ","));
    spec.args.push_back("--advertise=" + self);
  }
  spec.args.insert(spec.args.end(), options_.proposer_flags.begin(), options_.proposer_flags.end());
  auto p = ProcessHandle::Start(spec, dir, /*adopt_dir=*/false);
  if (!p.ok()) return p.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(kBindSettleMs));
  if (!(*p)->Running()) {
    const std::string tail = (*p)->LogTail();
    if (absl::StrContains(tail, "cannot listen") || absl::StrContains(tail, "cannot serve metrics")) {
      return absl::AlreadyExistsError(absl::StrCat((*p)->Describe(), ": port taken"));
    }
    return absl::UnavailableError(absl::StrCat((*p)->Describe(), " exited at start:\n", tail));
  }
  proposers_.push_back(*std::move(p));
  return absl::OkStatus();
}

absl::Status LocalCluster::CheckAcceptorIndex(int index) const {
  if (stopped_) return absl::FailedPreconditionError("the cluster is stopped");
  if (index < 0 || index >= static_cast<int>(redis_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("acceptor ", index, " is not in 0..", static_cast<int>(redis_.size()) - 1));
  }
  return absl::OkStatus();
}

absl::Status LocalCluster::FreezeAcceptor(int index) {
  if (absl::Status s = CheckAcceptorIndex(index); !s.ok()) return s;
  redis_[index]->Pause();
  return absl::OkStatus();
}

absl::Status LocalCluster::ThawAcceptor(int index) {
  if (absl::Status s = CheckAcceptorIndex(index); !s.ok()) return s;
  redis_[index]->Resume();
  return absl::OkStatus();
}

absl::Status LocalCluster::KillAcceptor(int index) {
  if (absl::Status s = CheckAcceptorIndex(index); !s.ok()) return s;
  redis_[index]->Kill();
  return absl::OkStatus();
}

absl::Status LocalCluster::RestartAcceptor(int index) {
  if (absl::Status s = CheckAcceptorIndex(index); !s.ok()) return s;
  ProcessHandle& p = *redis_[index];
  if (absl::Status s = p.Restart(); !s.ok()) return s;
  if (absl::Status s = WaitRedis(p, redis_ports_[index]); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(s.message(), "\n", p.LogTail(1500)));
  }
  return absl::OkStatus();
}

void LocalCluster::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& p : proposers_) p->Stop(kProposerStopGraceMs);
  for (auto& r : redis_) r->Stop();
  proposers_.clear();
  redis_.clear();
  if (!options_.keep_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string LocalCluster::AcceptorList() const {
  std::vector<std::string> parts;
  for (int port : redis_ports_) parts.push_back(absl::StrCat("127.0.0.1:", port));
  return absl::StrJoin(parts, ",");
}

std::vector<std::string> LocalCluster::proposer_targets() const {
  std::vector<std::string> out;
  for (int port : proposer_ports_) out.push_back(absl::StrCat("127.0.0.1:", port));
  return out;
}

std::vector<std::string> LocalCluster::metrics_urls() const {
  std::vector<std::string> out;
  for (int port : metrics_ports_) out.push_back(absl::StrCat("http://127.0.0.1:", port, "/metrics"));
  return out;
}

std::vector<pid_t> LocalCluster::proposer_pids() const {
  std::vector<pid_t> out;
  for (const auto& p : proposers_) out.push_back(p->pid());
  return out;
}

std::vector<std::pair<std::string, pid_t>> LocalCluster::processes() const {
  std::vector<std::pair<std::string, pid_t>> out;
  for (size_t i = 0; i < redis_.size(); ++i) out.emplace_back(absl::StrCat("redis-", i), redis_[i]->pid());
  for (size_t i = 0; i < proposers_.size(); ++i) {
    out.emplace_back(absl::StrCat("proposer-", i), proposers_[i]->pid());
  }
  return out;
}

std::string LocalCluster::Logs() const {
  std::string out;
  for (const auto& r : redis_) absl::StrAppend(&out, "--- ", r->Describe(), "\n", r->LogTail(1500), "\n");
  for (const auto& p : proposers_) {
    absl::StrAppend(&out, "--- ", p->Describe(), "\n", p->LogTail(3000), "\n");
  }
  return out;
}

}  // namespace gryadka::bench
