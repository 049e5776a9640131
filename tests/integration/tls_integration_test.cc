// TLS end to end (docs/security.md): a real gryadka-proposer over 3 real Redis acceptors, with
// certificates made by `openssl` in the test's temp dir. Plain TLS, mutual TLS, a foreign CA,
// certificate rotation without restart, the plaintext health port and its liveness service,
// and gryadkactl's --tls_* flags. Cost: 2-5 s per test (start-up, openssl), about 20 s in all;
// rotation waits for one --tls_reload_interval_s=1 reload.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/test_certs.h"
#include "client/shared/process_handle.h"
#include "tests/support/redis_process.h"

namespace gryadka::integration {
namespace {

using grpc::health::v1::HealthCheckResponse;
using process::ProcessHandle;
using process::ProcessSpec;
using test_support::RedisProcess;

constexpr char kServerName[] = "gryadka.test";  // the only name in the server certificates
constexpr int64_t kWaitMs = 15000;              // bound on every wait for a state
constexpr int64_t kPollMs = 50;
constexpr int64_t kCallDeadlineMs = 3000;

bool ExitedZero(const ProcessHandle& p) {
  return p.exit_status().has_value() && WIFEXITED(*p.exit_status()) &&
         WEXITSTATUS(*p.exit_status()) == 0;
}

// Polls `condition` every kPollMs until it holds or kWaitMs passed.
template <typename F>
bool WaitFor(F condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return true;
}

class TlsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = process::MakeTempDir("gryadka_tls_test_");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    certs_.emplace(dir_);
    auto ca = certs_->MakeCa("ca1");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca1_ = *ca;
    ca = certs_->MakeCa("ca2");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca2_ = *ca;
    auto server = certs_->MakeLeaf("server1", ca1_, {kServerName}, 1001);
    ASSERT_TRUE(server.ok()) << server.status();
    server1_ = *server;
    for (int i = 0; i < 3; ++i) {
      auto r = RedisProcess::Start();
      ASSERT_TRUE(r.ok()) << r.status();
      redis_.push_back(*std::move(r));
    }
  }

  void TearDown() override {
    if (proposer_) proposer_->Stop();
    for (auto& r : redis_) r->Stop();
    if (!HasFailure() || std::getenv("GRYADKA_KEEP_TEST_DIRS") == nullptr) {
      std::filesystem::remove_all(dir_);
    }
  }

  std::string Acceptors() const {
    std::string list;
    for (const auto& r : redis_)
      absl::StrAppend(&list, list.empty() ? "" : ",", "127.0.0.1:", r->port());
    return list;
  }

  // Starts the proposer on a free port with `flags`, and with --health_listen on a second free
  // port when `health_port` is set; waits until `ready_client` (when given) sees it SERVING.
  void StartProposer(const std::vector<std::string>& flags, bool health_port = false) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto port = process::FreeLoopbackPort();
      ASSERT_TRUE(port.ok()) << port.status();
      auto hport = process::FreeLoopbackPort();
      ASSERT_TRUE(hport.ok()) << hport.status();
      ProcessSpec spec;
      spec.binary = GRYADKA_PROPOSER_BIN;
      spec.name = "proposer";
      spec.args = {absl::StrCat("--listen=127.0.0.1:", *port), "--acceptors=" + Acceptors(),
                   "--acceptor_timeout_ms=300", "--drain_timeout_ms=2000"};
      if (health_port) spec.args.push_back(absl::StrCat("--health_listen=127.0.0.1:", *hport));
      spec.args.insert(spec.args.end(), flags.begin(), flags.end());
      auto p = ProcessHandle::Start(spec);
      ASSERT_TRUE(p.ok()) << p.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!(*p)->Running()) {
        if (absl::StrContains((*p)->LogTail(), "cannot listen")) continue;  // port taken: retry
        FAIL() << "the proposer exited at start:\n" << (*p)->LogTail();
      }
      proposer_ = *std::move(p);
      port_ = *port;
      health_port_ = health_port ? *hport : 0;
      return;
    }
    FAIL() << "no free port for the proposer in 5 attempts";
  }

  std::string Target() const { return absl::StrCat("127.0.0.1:", port_); }
  std::string HealthTarget() const { return absl::StrCat("127.0.0.1:", health_port_); }

  static std::optional<TlsOptions> Trusting(const CertFiles& ca,
                                            const std::string& name = kServerName) {
    TlsOptions tls;
    tls.ca_file = ca.cert;
    tls.server_name = name;
    return tls;
  }

  // A new client (so a new connection) of the proposer; no retries, so a refused handshake
  // shows as the call's error.
  std::unique_ptr<Client> NewClient(const std::optional<TlsOptions>& tls) const {
    ClientOptions o;
    o.targets = {Target()};
    o.tls = tls;
    o.retry_attempts_max = 0;
    o.default_deadline_ms = kCallDeadlineMs;
    auto c = Client::Create(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Waits until a client with `tls` sees the proposer SERVING (acceptor quorum reachable).
  void WaitServing(const std::optional<TlsOptions>& tls) {
    std::unique_ptr<Client> client = NewClient(tls);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(WaitFor([&] { return client->Health().ok(); })) << client->Health() << "\n"
                                                                << proposer_->LogTail();
  }

  // A Put then a Get through a new client; OK or the first error.
  absl::Status WriteAndRead(const std::optional<TlsOptions>& tls, const std::string& key) const {
    std::unique_ptr<Client> client = NewClient(tls);
    if (client == nullptr) return absl::InternalError("no client");
    absl::StatusOr<ChangeResult> put = client->Put(key, "v-" + key);
    if (!put.ok()) return put.status();
    absl::StatusOr<GetResult> got = client->Get(key);
    if (!got.ok()) return got.status();
    if (!got->found || got->record.value != "v-" + key) {
      return absl::InternalError(absl::StrCat("read back ", got->record.value));
    }
    return absl::OkStatus();
  }

  // grpc.health.v1 Check of `service` on `target` in plaintext: the status name, or the RPC's
  // error as "error: CODE".
  static std::string PlainHealth(const std::string& target, const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(kCallDeadlineMs));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status s = stub->Check(&context, request, &response);
    if (!s.ok()) return absl::StrCat("error: ", s.error_code());
    return HealthCheckResponse::ServingStatus_Name(response.status());
  }

  std::string dir_;
  std::optional<TestCerts> certs_;
  CertFiles ca1_, ca2_, server1_;
  std::vector<std::unique_ptr<RedisProcess>> redis_;
  std::unique_ptr<ProcessHandle> proposer_;
  int port_ = 0;
  int health_port_ = 0;
};

TEST_F(TlsIntegrationTest, TlsServesClientsTrustingItsCaAndRefusesPlaintextAndOtherCas) {
  StartProposer({"--tls_cert_file=" + server1_.cert, "--tls_key_file=" + server1_.key});
  WaitServing(Trusting(ca1_));
  EXPECT_TRUE(WriteAndRead(Trusting(ca1_), "tls-a").ok());

  const absl::Status plain = WriteAndRead(std::nullopt, "plain");
  EXPECT_EQ(plain.code(), absl::StatusCode::kUnavailable) << plain;
  const absl::Status other_ca = WriteAndRead(Trusting(ca2_), "other-ca");
  EXPECT_EQ(other_ca.code(), absl::StatusCode::kUnavailable) << other_ca;
  // Without the name override the client checks "127.0.0.1", which the certificate lacks.
  TlsOptions no_override;
  no_override.ca_file = ca1_.cert;
  const absl::Status wrong_name = WriteAndRead(no_override, "wrong-name");
  EXPECT_EQ(wrong_name.code(), absl::StatusCode::kUnavailable) << wrong_name;
  // The refusals did not disturb the proposer.
  EXPECT_TRUE(WriteAndRead(Trusting(ca1_), "tls-b").ok());
}

TEST_F(TlsIntegrationTest, MutualTlsAcceptsOnlyClientsWithACertificateFromTheClientCa) {
  auto client_ca = certs_->MakeCa("client-ca");
  ASSERT_TRUE(client_ca.ok()) << client_ca.status();
  auto good = certs_->MakeLeaf("client-good", *client_ca, {}, 2001);
  ASSERT_TRUE(good.ok()) << good.status();
  auto foreign = certs_->MakeLeaf("client-foreign", ca2_, {}, 2002);
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  StartProposer({"--tls_cert_file=" + server1_.cert, "--tls_key_file=" + server1_.key,
                 "--tls_client_ca_file=" + client_ca->cert});
  std::optional<TlsOptions> with_cert = Trusting(ca1_);
  with_cert->cert_file = good->cert;
  with_cert->key_file = good->key;
  WaitServing(with_cert);
  EXPECT_TRUE(WriteAndRead(with_cert, "mtls").ok());

  const absl::Status no_cert = WriteAndRead(Trusting(ca1_), "no-cert");
  EXPECT_EQ(no_cert.code(), absl::StatusCode::kUnavailable) << no_cert;
  std::optional<TlsOptions> foreign_cert = Trusting(ca1_);
  foreign_cert->cert_file = foreign->cert;
  foreign_cert->key_file = foreign->key;
  const absl::Status foreign_status = WriteAndRead(foreign_cert, "foreign-cert");
  EXPECT_EQ(foreign_status.code(), absl::StatusCode::kUnavailable) << foreign_status;
}

TEST_F(TlsIntegrationTest, RotatedCertificateIsUsedForNewConnectionsWithoutRestart) {
  // The kubelet's way of updating a mounted Secret: the files sit in a versioned dir behind a
  // symlink that is swapped in one rename().
  namespace fs = std::filesystem;
  const fs::path v1 = fs::path(dir_) / "v1", v2 = fs::path(dir_) / "v2";
  const fs::path current = fs::path(dir_) / "current";
  fs::create_directories(v1);
  fs::create_directories(v2);
  fs::copy_file(server1_.cert, v1 / "tls.crt");
  fs::copy_file(server1_.key, v1 / "tls.key");
  auto server2 = certs_->MakeLeaf("server2", ca2_, {kServerName}, 1002);
  ASSERT_TRUE(server2.ok()) << server2.status();
  fs::copy_file(server2->cert, v2 / "tls.crt");
  fs::copy_file(server2->key, v2 / "tls.key");
  fs::create_directory_symlink("v1", current);

  StartProposer({"--tls_cert_file=" + (current / "tls.crt").string(),
                 "--tls_key_file=" + (current / "tls.key").string(), "--tls_reload_interval_s=1"});
  WaitServing(Trusting(ca1_));
  const pid_t pid = proposer_->pid();
  std::unique_ptr<Client> connected_before = NewClient(Trusting(ca1_));
  ASSERT_TRUE(connected_before->Put("before", "1").ok());
  // Before the rotation a client trusting only CA2 is refused.
  EXPECT_EQ(WriteAndRead(Trusting(ca2_), "ca2-early").code(), absl::StatusCode::kUnavailable);

  fs::create_directory_symlink("v2", fs::path(dir_) / "current.new");
  fs::rename(fs::path(dir_) / "current.new", current);
  const auto swapped = std::chrono::steady_clock::now();

  ASSERT_TRUE(WaitFor([&] { return WriteAndRead(Trusting(ca2_), "ca2-late").ok(); }))
      << WriteAndRead(Trusting(ca2_), "ca2-late") << "\n"
      << proposer_->LogTail();
  const auto picked_up_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - swapped)
                                .count();
  RecordProperty("rotation_picked_up_ms", static_cast<int>(picked_up_ms));
  std::cout << "the rotated certificate served new connections after " << picked_up_ms << " ms\n";
  // New connections now get the CA2 certificate only; the process was not restarted.
  EXPECT_EQ(WriteAndRead(Trusting(ca1_), "ca1-late").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(proposer_->Running());
  EXPECT_EQ(proposer_->pid(), pid);
  // A connection made before the rotation keeps its handshake.
  EXPECT_TRUE(connected_before->Get("before").ok());
}

TEST_F(TlsIntegrationTest, HealthPortIsPlaintextHealthOnlyAndLivenessSurvivesQuorumLoss) {
  StartProposer({"--tls_cert_file=" + server1_.cert, "--tls_key_file=" + server1_.key},
                /*health_port=*/true);
  ASSERT_TRUE(WaitFor([&] { return PlainHealth(HealthTarget(), "") == "SERVING"; }))
      << PlainHealth(HealthTarget(), "") << "\n"
      << proposer_->LogTail();
  EXPECT_EQ(PlainHealth(HealthTarget(), "gryadka.v1.KV"), "SERVING");
  EXPECT_EQ(PlainHealth(HealthTarget(), "gryadka.v1.KV.liveness"), "SERVING");
  EXPECT_EQ(PlainHealth(HealthTarget(), "no.such.Service"), "error: 5");  // NOT_FOUND
  // The main port is TLS only; through TLS it reports the same statuses.
  EXPECT_EQ(PlainHealth(Target(), ""), "error: 14");  // UNAVAILABLE
  EXPECT_TRUE(NewClient(Trusting(ca1_))->Health().ok());

  // Nothing but grpc.health.v1 on the health port: no KV, no reflection.
  auto kv =
      v1::KV::NewStub(grpc::CreateChannel(HealthTarget(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext kv_context;
  kv_context.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(kCallDeadlineMs));
  v1::GetRequest get;
  get.set_key("k");
  v1::GetResponse got;
  EXPECT_EQ(kv->Get(&kv_context, get, &got).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  grpc::GenericStub generic(
      grpc::CreateChannel(HealthTarget(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext refl_context;
  refl_context.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(kCallDeadlineMs));
  grpc::Slice empty_message("");
  grpc::ByteBuffer request(&empty_message, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&refl_context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                    grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status s) { done.set_value(s); });
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // Acceptor quorum lost: readiness goes NOT_SERVING on both ports, liveness stays SERVING.
  redis_[0]->Stop();
  redis_[1]->Stop();
  ASSERT_TRUE(WaitFor([&] {
    return PlainHealth(HealthTarget(), "gryadka.v1.KV") == "NOT_SERVING";
  })) << proposer_->LogTail();
  EXPECT_EQ(PlainHealth(HealthTarget(), ""), "NOT_SERVING");
  EXPECT_EQ(PlainHealth(HealthTarget(), "gryadka.v1.KV.liveness"), "SERVING");
  EXPECT_FALSE(NewClient(Trusting(ca1_))->Health().ok());

  // SIGTERM drains and stops both servers; a clean drain exits 0.
  proposer_->Stop();
  EXPECT_TRUE(ExitedZero(*proposer_)) << proposer_->LogTail();
  EXPECT_TRUE(absl::StrContains(proposer_->LogTail(), "stopped")) << proposer_->LogTail();
  EXPECT_EQ(PlainHealth(HealthTarget(), "gryadka.v1.KV.liveness"), "error: 14");
}

TEST_F(TlsIntegrationTest, BadTlsFlagsExit64NamingTheFlagAndFile) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tls_cert_file=" + server1_.cert}, "--tls_cert_file is set without --tls_key_file"},
      {{"--tls_cert_file=" + dir_ + "/absent.crt", "--tls_key_file=" + server1_.key},
       // (JSON-escaped: the proposer logs usage errors as JSON lines)
       "--tls_cert_file: file \\\"" + dir_ + "/absent.crt\\\" cannot be opened"},
      {{"--tls_client_ca_file=" + ca1_.cert}, "--tls_client_ca_file needs --tls_cert_file"},
  };
  for (const auto& [flags, message] : cases) {
    ProcessSpec spec;
    spec.binary = GRYADKA_PROPOSER_BIN;
    spec.args = {"--listen=127.0.0.1:1", "--acceptors=" + Acceptors()};
    spec.args.insert(spec.args.end(), flags.begin(), flags.end());
    auto p = ProcessHandle::Start(spec);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_TRUE(WaitFor([&] { return !(*p)->Running(); })) << message;
    ASSERT_TRUE((*p)->exit_status().has_value());
    EXPECT_TRUE(WIFEXITED(*(*p)->exit_status()) && WEXITSTATUS(*(*p)->exit_status()) == 64)
        << message << "\n"
        << (*p)->LogTail();
    EXPECT_TRUE(absl::StrContains((*p)->LogTail(), message)) << (*p)->LogTail();
  }
}

// gryadkactl through the real binary, every --tls_* flag and the GRYADKA_TLS_* variables,
// against a proposer requiring mutual TLS.
class GryadkactlTlsTest : public TlsIntegrationTest {
 protected:
  struct Run {
    int exit_code = -1;
    std::string output;  // stdout and stderr
  };
  Run Ctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    ProcessSpec spec;
    spec.binary = GRYADKACTL_BIN;
    spec.args = args;
    spec.env = env;
    spec.name = "gryadkactl";
    auto p = ProcessHandle::Start(spec);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return {};
    EXPECT_TRUE(WaitFor([&] { return !(*p)->Running(); }));
    (*p)->Kill();  // no-op once it exited
    Run run;
    run.output = (*p)->LogTail();
    if ((*p)->exit_status().has_value() && WIFEXITED(*(*p)->exit_status())) {
      run.exit_code = WEXITSTATUS(*(*p)->exit_status());
    }
    return run;
  }
};

TEST_F(GryadkactlTlsTest, TlsFlagsAndVariablesReachAMutualTlsProposerForEveryCommand) {
  auto client_ca = certs_->MakeCa("client-ca");
  ASSERT_TRUE(client_ca.ok()) << client_ca.status();
  auto client = certs_->MakeLeaf("client", *client_ca, {}, 3001);
  ASSERT_TRUE(client.ok()) << client.status();
  StartProposer({"--tls_cert_file=" + server1_.cert, "--tls_key_file=" + server1_.key,
                 "--tls_client_ca_file=" + client_ca->cert});
  const std::vector<std::string> tls = {"--target=" + Target(), "--tls_ca=" + ca1_.cert,
                                        "--tls_cert=" + client->cert, "--tls_key=" + client->key,
                                        "--tls_server_name=" + std::string(kServerName)};
  auto with = [&tls](std::vector<std::string> command) {
    command.insert(command.begin(), tls.begin(), tls.end());
    return command;
  };
  ASSERT_TRUE(WaitFor([&] { return Ctl(with({"health"})).exit_code == 0; }))
      << Ctl(with({"health"})).output << "\n"
      << proposer_->LogTail();
  Run put = Ctl(with({"put", "greeting", "hello"}));
  EXPECT_EQ(put.exit_code, 0) << put.output;
  Run get = Ctl(with({"get", "greeting"}));
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_TRUE(absl::StrContains(get.output, "greeting = \"hello\"")) << get.output;
  Run status = Ctl(with({"membership", "status"}));
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(absl::StrContains(status.output, absl::StrCat("127.0.0.1:", redis_[0]->port())))
      << status.output;

  // The variables instead of the file flags.
  Run env = Ctl(
      {"--target=" + Target(), "--tls_server_name=" + std::string(kServerName), "get", "greeting"},
      {"GRYADKA_TLS_CA=" + ca1_.cert, "GRYADKA_TLS_CERT=" + client->cert,
       "GRYADKA_TLS_KEY=" + client->key});
  EXPECT_EQ(env.exit_code, 0) << env.output;

  // Refused: plaintext, and TLS without the client certificate.
  Run plain = Ctl({"--target=" + Target(), "--deadline_ms=2000", "get", "greeting"});
  EXPECT_EQ(plain.exit_code, 2) << plain.output;
  EXPECT_TRUE(absl::StrContains(plain.output, "UNAVAILABLE")) << plain.output;
  Run no_cert = Ctl({"--target=" + Target(), "--tls_ca=" + ca1_.cert, "--deadline_ms=2000",
                     "--tls_server_name=" + std::string(kServerName), "membership", "status"});
  EXPECT_EQ(no_cert.exit_code, 2) << no_cert.output;
  // An unreadable file is a usage error naming the flag and the file.
  Run missing = Ctl({"--target=" + Target(), "--tls_ca=" + dir_ + "/absent.pem", "health"});
  EXPECT_EQ(missing.exit_code, 64) << missing.output;
  EXPECT_TRUE(absl::StrContains(missing.output, "--tls_ca: file \"" + dir_ + "/absent.pem\""))
      << missing.output;
}

}  // namespace
}  // namespace gryadka::integration
