#include "tests/chaos/chaos_cluster.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/client.h"

namespace gryadka::chaos {
namespace {

constexpr int kProposerStartAttemptsMax = 5;  // fresh ports tried if the chosen one was taken
constexpr int64_t kHealthPollMs = 20;
constexpr int64_t kProxyApplyTimeoutMs = 5000;

}  // namespace

absl::StatusOr<std::unique_ptr<ChaosCluster>> ChaosCluster::Start(ChaosClusterOptions options) {
  std::unique_ptr<ChaosCluster> c(new ChaosCluster(options));
  for (int a = 0; a < options.acceptors; ++a) {
    auto r = test_support::RedisProcess::Start();
    if (!r.ok()) return r.status();
    c->redis_.push_back(*std::move(r));
  }
  // Every proposer's port first: each gets all of them as --peers, so calls the workload's
  // pinned clients send to a non-owner are forwarded, under the same faults.
  for (int p = 0; p < options.proposers; ++p) {
    auto port = process::FreeLoopbackPort();
    if (!port.ok()) return port.status();
    c->peer_ports_.push_back(*port);
  }
  for (int p = 0; p < options.proposers; ++p) {
    c->proxies_.emplace_back();
    for (int a = 0; a < options.acceptors; ++a) {
      auto proxy = FaultProxy::Start(c->redis_[a]->port());
      if (!proxy.ok()) return proxy.status();
      c->proxies_[p].push_back(*std::move(proxy));
    }
    c->proposers_.push_back(nullptr);
    c->proposer_ports_.push_back(0);
    if (auto s = c->StartProposer(p); !s.ok()) return s;
  }
  for (int p = 0; p < options.proposers; ++p) {
    if (auto s = c->WaitServing(p, options.serving_timeout_ms); !s.ok()) {
      return absl::UnavailableError(absl::StrCat(s.message(), "\n", c->Logs()));
    }
  }
  return c;
}

ChaosCluster::~ChaosCluster() {
  for (auto& p : proposers_) {
    if (p != nullptr) p->Stop();
  }
  proxies_.clear();
  for (auto& r : redis_) r->Stop();
}

absl::Status ChaosCluster::StartProposer(int i) {
  std::vector<std::string> acceptors;
  for (const auto& proxy : proxies_[i]) acceptors.push_back(absl::StrCat("127.0.0.1:", proxy->port()));
  std::string last_log;  // of the last attempt that exited: a bad flag shows here
  std::vector<std::string> peers;
  for (int port : peer_ports_) peers.push_back(absl::StrCat("127.0.0.1:", port));
  for (int attempt = 0; attempt < kProposerStartAttemptsMax; ++attempt) {
    // The port in the peer list first; a fresh one if it was taken (the others' lists are then
    // stale for this proposer: they serve its keys themselves, which is always correct).
    auto port = attempt == 0 ? absl::StatusOr<int>(peer_ports_[i]) : process::FreeLoopbackPort();
    if (!port.ok()) return port.status();
    process::ProcessSpec spec;
    spec.binary = options_.proposer_binary;
    spec.name = absl::StrCat("proposer", i);
    spec.args = {absl::StrCat("--listen=127.0.0.1:", *port),
                 "--acceptors=" + absl::StrJoin(acceptors, ","), "--drain_timeout_ms=2000",
                 "--peers=" + absl::StrJoin(peers, ","),
                 absl::StrCat("--advertise=127.0.0.1:", *port)};
    spec.args.insert(spec.args.end(), options_.proposer_flags.begin(), options_.proposer_flags.end());
    auto p = process::ProcessHandle::Start(spec);
    if (!p.ok()) return p.status();
    // A port taken between probing and binding makes the proposer exit at once: retry.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!(*p)->Running()) {
      last_log = (*p)->LogTail(2000);
      continue;
    }
    proposers_[i] = *std::move(p);
    proposer_ports_[i] = *port;
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("could not start proposer ", i, " on a free port in ",
                                             kProposerStartAttemptsMax, " attempts; its last log:\n",
                                             last_log));
}

std::string ChaosCluster::target(int i) const {
  return absl::StrCat("127.0.0.1:", proposer_ports_[i]);
}

std::vector<std::string> ChaosCluster::targets() const {
  std::vector<std::string> out;
  for (int i = 0; i < proposers(); ++i) out.push_back(target(i));
  return out;
}

absl::Status ChaosCluster::WaitServing(int i, int64_t timeout_ms) const {
  ClientOptions o;
  o.targets = {target(i)};
  o.default_deadline_ms = 1000;
  auto client = Client::Create(o);
  if (!client.ok()) return client.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  absl::Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = (*client)->Health();
    if (last.ok()) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(kHealthPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat("proposer ", i, " not SERVING within ",
                                                  timeout_ms, " ms; last health: ", last.ToString()));
}

std::vector<FaultProxy*> ChaosCluster::Links(const Fault& fault) {
  std::vector<FaultProxy*> links;
  for (int p = 0; p < proposers(); ++p) {
    if (fault.link_proposer < 0 || fault.link_proposer == p) links.push_back(proxies_[p][fault.target].get());
  }
  return links;
}

absl::Status ChaosCluster::SetLinks(const Fault& fault, const LinkFaults& faults) {
  const std::vector<FaultProxy*> links = Links(fault);
  for (FaultProxy* link : links) link->Set(faults);
  for (FaultProxy* link : links) {
    if (!link->WaitApplied(kProxyApplyTimeoutMs)) {
      return absl::DeadlineExceededError(absl::StrCat("proxy to acceptor ", fault.target, " did not apply '",
                                                      DescribeFaults(faults), "' within ",
                                                      kProxyApplyTimeoutMs, " ms"));
    }
  }
  return absl::OkStatus();
}

absl::Status ChaosCluster::Apply(const Fault& f) {
  switch (f.kind) {
    case FaultKind::kRedisKill: redis_[f.target]->Kill(); break;
    case FaultKind::kRedisPause: redis_[f.target]->Pause(); break;
    case FaultKind::kProxyCut: return SetLinks(f, {.cut = true});
    case FaultKind::kProxyStall: return SetLinks(f, {.stall = true});
    case FaultKind::kProxyLatency: return SetLinks(f, {.latency_ms = f.latency_ms});
    case FaultKind::kOneWayToRedis: return SetLinks(f, {.block_to_upstream = true});
    case FaultKind::kOneWayFromRedis: return SetLinks(f, {.block_to_client = true});
    case FaultKind::kProposerKill: proposers_[f.target]->Kill(); break;
    case FaultKind::kProposerPause: proposers_[f.target]->Pause(); break;
  }
  return absl::OkStatus();
}

absl::Status ChaosCluster::Heal(const Fault& f) {
  switch (f.kind) {
    case FaultKind::kRedisKill: return redis_[f.target]->Restart();
    case FaultKind::kRedisPause: redis_[f.target]->Resume(); return absl::OkStatus();
    case FaultKind::kProposerKill:
      if (auto s = proposers_[f.target]->Restart(); !s.ok()) return s;
      return WaitServing(f.target, options_.serving_timeout_ms);
    case FaultKind::kProposerPause:
      proposers_[f.target]->Resume();
      return WaitServing(f.target, options_.serving_timeout_ms);
    default: return SetLinks(f, {});
  }
}

std::string ChaosCluster::Logs() const {
  std::string out;
  for (const auto& r : redis_) absl::StrAppend(&out, "--- ", r->Describe(), "\n", r->LogTail(1500), "\n");
  for (const auto& p : proposers_) {
    if (p != nullptr) absl::StrAppend(&out, "--- ", p->Describe(), "\n", p->LogTail(3000), "\n");
  }
  return out;
}

}  // namespace gryadka::chaos
