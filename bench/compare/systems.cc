#include "bench/compare/systems.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/load/local_cluster.h"  // AcceptorRedisPersistenceArgs
#include "client/shared/process_handle.h"
#include "client/shared/sync_redis.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace gryadka::bench::compare {
namespace {

using process::ProcessHandle;
using process::ProcessSpec;

constexpr int64_t kPollMs = 50;
constexpr int64_t kProbeTimeoutMs = 500;  // one readiness probe

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// Waits until the member at `target` answers a linearizable Range (so the cluster has a leader).
absl::Status WaitEtcd(ProcessHandle& p, const std::string& target) {
  auto stub =
      etcdserverpb::KV::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const auto start = std::chrono::steady_clock::now();
  grpc::Status last;
  while (ElapsedMs(start) < kEtcdReadyTimeoutMs) {
    if (!p.Running()) return absl::UnavailableError(absl::StrCat(p.Describe(), " exited"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs));
    etcdserverpb::RangeRequest req;
    req.set_key("gryadka-compare:ready-probe");
    etcdserverpb::RangeResponse resp;
    last = stub->Range(&ctx, req, &resp);
    if (last.ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat(p.Describe(), " did not answer a Range within ",
                                                  kEtcdReadyTimeoutMs,
                                                  " ms (last: ", last.error_message(), ")"));
}

absl::Status WaitRedis(ProcessHandle& p, int port) {
  const auto start = std::chrono::steady_clock::now();
  std::string last = "no answer";
  while (ElapsedMs(start) < kRedisReadyTimeoutMs) {
    if (!p.Running()) return absl::UnavailableError(absl::StrCat(p.Describe(), " exited"));
    auto pong = process::RunRedisCommand(port, {"PING"}, kProbeTimeoutMs);
    if (pong.ok() && pong->str == "PONG") return absl::OkStatus();
    last = pong.ok() ? pong->DebugString() : pong.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return absl::DeadlineExceededError(absl::StrCat(p.Describe(), " did not answer PING within ",
                                                  kRedisReadyTimeoutMs, " ms (last: ", last, ")"));
}

absl::Status WaitGrpc(ProcessHandle& p, int port) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  const auto start = std::chrono::steady_clock::now();
  while (ElapsedMs(start) < kGrpcFloorReadyTimeoutMs) {
    if (!p.Running()) return absl::UnavailableError(absl::StrCat(p.Describe(), " exited"));
    if (channel->WaitForConnected(std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(kProbeTimeoutMs))) {
      return absl::OkStatus();
    }
  }
  return absl::DeadlineExceededError(absl::StrCat(
      p.Describe(), " did not accept a connection within ", kGrpcFloorReadyTimeoutMs, " ms"));
}

// A free port was taken by another process between our probe and the server's bind.
bool PortTaken(const absl::Status& s) {
  return absl::StrContains(s.message(), "address already in use") ||
         absl::StrContains(s.message(), "Address already in use");
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const std::string& etcd_bin) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> c = absl::UnavailableError("no attempt");
  for (int attempt = 0; attempt < kSystemStartAttemptsMax; ++attempt) {
    c = StartOnce(etcd_bin);
    if (c.ok() || !PortTaken(c.status())) break;
  }
  return c;
}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::StartOnce(const std::string& etcd_bin) {
  auto dir = process::MakeTempDir("gryadka-compare-etcd-");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<EtcdCluster> c(new EtcdCluster(*std::move(dir)));
  std::vector<int> client_ports;
  std::vector<std::string> peers;
  for (int i = 0; i < kEtcdMembers; ++i) {
    auto client = process::FreeLoopbackPort();
    auto peer = process::FreeLoopbackPort();
    if (!client.ok()) return client.status();
    if (!peer.ok()) return peer.status();
    client_ports.push_back(*client);
    peers.push_back(absl::StrCat("m", i, "=http://127.0.0.1:", *peer));
    c->client_targets_.push_back(absl::StrCat("127.0.0.1:", *client));
  }
  auto fail = [&c](const absl::Status& s) {
    const std::string logs = c->Logs();
    c->Stop();
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", logs));
  };
  for (int i = 0; i < kEtcdMembers; ++i) {
    const std::string member_dir = absl::StrCat(c->dir_, "/m", i);
    std::error_code ec;
    std::filesystem::create_directories(member_dir, ec);
    if (ec) return fail(absl::InternalError(absl::StrCat("cannot create ", member_dir)));
    const std::string client_url = absl::StrCat("http://", c->client_targets_[i]);
    const std::string peer_url = peers[i].substr(peers[i].find('=') + 1);
    ProcessSpec spec;
    spec.binary = etcd_bin;
    spec.name = absl::StrCat("etcd-", i);
    spec.args = {"--name",
                 absl::StrCat("m", i),
                 "--data-dir",
                 member_dir + "/data",
                 "--listen-client-urls",
                 client_url,
                 "--advertise-client-urls",
                 client_url,
                 "--listen-peer-urls",
                 peer_url,
                 "--initial-advertise-peer-urls",
                 peer_url,
                 "--initial-cluster",
                 absl::StrJoin(peers, ","),
                 "--initial-cluster-token",
                 "gryadka-compare",
                 "--initial-cluster-state",
                 "new",
                 "--logger",
                 "zap",
                 "--log-level",
                 "warn"};
    auto p = ProcessHandle::Start(spec, member_dir, /*adopt_dir=*/false);
    if (!p.ok()) return fail(p.status());
    c->members_.push_back(*std::move(p));
  }
  for (int i = 0; i < kEtcdMembers; ++i) {
    if (absl::Status s = WaitEtcd(*c->members_[i], c->client_targets_[i]); !s.ok()) return fail(s);
  }
  return c;
}

EtcdCluster::~EtcdCluster() { Stop(); }

void EtcdCluster::Stop() {
  for (auto& m : members_) m->Stop(kSystemStopGraceMs);
  members_.clear();
  RemoveDir(dir_);
}

absl::StatusOr<std::string> EtcdCluster::LeaderTarget() const {
  std::vector<uint64_t> ids;  // member id per client target, 0 if it did not answer
  uint64_t leader = 0;
  for (const std::string& target : client_targets_) {
    auto stub = etcdserverpb::Maintenance::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs));
    etcdserverpb::StatusResponse resp;
    const grpc::Status st = stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
    ids.push_back(st.ok() ? resp.header().member_id() : 0);
    if (st.ok() && resp.leader() != 0) leader = resp.leader();
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (leader != 0 && ids[i] == leader) return client_targets_[i];
  }
  return absl::UnavailableError("etcd: no member names a leader among the members");
}

NamedPids EtcdCluster::processes() const {
  NamedPids out;
  for (size_t i = 0; i < members_.size(); ++i)
    out.emplace_back(absl::StrCat("etcd-", i), members_[i]->pid());
  return out;
}

std::string EtcdCluster::Logs() const {
  std::string out;
  for (const auto& m : members_)
    absl::StrAppend(&out, "--- ", m->Describe(), ":\n", m->LogTail(2048));
  return out;
}

absl::StatusOr<std::unique_ptr<LocalServer>> LocalServer::Start(const std::string& binary,
                                                                const std::string& name,
                                                                const ArgsFn& args,
                                                                const ReadyFn& ready) {
  absl::StatusOr<std::unique_ptr<LocalServer>> r = absl::UnavailableError("no attempt");
  for (int attempt = 0; attempt < kSystemStartAttemptsMax; ++attempt) {
    r = StartOnce(binary, name, args, ready);
    if (r.ok() || !PortTaken(r.status())) break;
  }
  return r;
}

absl::StatusOr<std::unique_ptr<LocalServer>> LocalServer::StartOnce(const std::string& binary,
                                                                    const std::string& name,
                                                                    const ArgsFn& args,
                                                                    const ReadyFn& ready) {
  auto dir = process::MakeTempDir(absl::StrCat("gryadka-compare-", name, "-"));
  if (!dir.ok()) return dir.status();
  auto port = process::FreeLoopbackPort();
  if (!port.ok()) {
    RemoveDir(*dir);
    return port.status();
  }
  std::unique_ptr<LocalServer> r(new LocalServer(*dir, *port, name));
  ProcessSpec spec;
  spec.binary = binary;
  spec.name = name;
  spec.args = args(*port, *dir);
  auto p = ProcessHandle::Start(spec, *dir, /*adopt_dir=*/false);
  if (!p.ok()) return p.status();
  r->process_ = *std::move(p);
  if (absl::Status s = ready(*r->process_, *port); !s.ok()) {
    const std::string log = r->process_->LogTail(2048);
    r->Stop();
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", log));
  }
  return r;
}

LocalServer::~LocalServer() { Stop(); }

void LocalServer::Stop() {
  if (process_) process_->Stop(kSystemStopGraceMs);
  process_.reset();
  RemoveDir(dir_);
}

std::string LocalServer::target() const { return absl::StrCat("127.0.0.1:", port_); }

NamedPids LocalServer::processes() const {
  if (!process_) return {};
  return {{name_, process_->pid()}};
}

absl::StatusOr<std::unique_ptr<LocalServer>> StartFloorRedis(const std::string& redis_server,
                                                             Persistence persistence,
                                                             const std::string& name) {
  auto args = [persistence](int port, const std::string& dir) {
    std::vector<std::string> a = {"--port", absl::StrCat(port), "--bind", "127.0.0.1", "--dir",
                                  dir,      "--daemonize",      "no"};
    std::vector<std::string> persist = {"--save", "", "--appendonly", "no"};
    if (persistence == Persistence::kFsyncAlways) persist = AcceptorRedisPersistenceArgs("always");
    a.insert(a.end(), persist.begin(), persist.end());
    return a;
  };
  return LocalServer::Start(redis_server, name, args, &WaitRedis);
}

absl::StatusOr<std::unique_ptr<LocalServer>> StartGrpcFloor(const std::string& bin) {
  return LocalServer::Start(
      bin, "grpc-floor",
      [](int port, const std::string&) {
        return std::vector<std::string>{absl::StrCat("--port=", port)};
      },
      &WaitGrpc);
}

}  // namespace gryadka::bench::compare
