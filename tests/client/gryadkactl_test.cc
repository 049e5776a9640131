// The gryadkactl binary against an in-process fake server: output lines and exit codes.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proposer/core/membership.h"
#include "tests/client/fake_admin_server.h"
#include "tests/client/fake_kv_server.h"

extern char** environ;

namespace gryadka {
namespace {

using testing::FakeKvServer;

constexpr int64_t kRunTimeoutMs = 30000;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAndRemove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

std::string TempFile(const char* what) {
  std::string path = (std::filesystem::temp_directory_path() /
                      absl::StrCat("gryadkactl_test_", getpid(), "_", what, "_XXXXXX"))
                         .string();
  const int fd = mkstemp(path.data());
  if (fd < 0) ADD_FAILURE() << "mkstemp " << path << ": " << std::strerror(errno);
  close(fd);
  return path;
}

// Runs gryadkactl with `args`; GRYADKA_TARGET is set to `env_target` (unset when empty).
// Kills the child (by its PID) if it runs longer than kRunTimeoutMs.
Result RunCtl(const std::vector<std::string>& args, const std::string& env_target = "") {
  const std::string out_path = TempFile("out");
  const std::string err_path = TempFile("err");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "GRYADKA_TARGET=")) env_strings.emplace_back(*e);
  }
  if (!env_target.empty()) env_strings.push_back("GRYADKA_TARGET=" + env_target);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {GRYADKACTL_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_TRUNC);
    const int err = open(err_path.c_str(), O_WRONLY | O_TRUNC);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  Result result;
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return result;
  }
  const absl::Time give_up = absl::Now() + absl::Milliseconds(kRunTimeoutMs);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "gryadkactl did not finish within " << kRunTimeoutMs << " ms";
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadAndRemove(out_path);
  result.err = ReadAndRemove(err_path);
  return result;
}

std::string TargetFlag(const FakeKvServer& server) {
  return absl::StrCat("--target=", server.target());
}

#define EXPECT_RUN(result, code, stdout_text)                                      \
  do {                                                                             \
    const Result& r_ = (result);                                                   \
    EXPECT_EQ(r_.exit_code, (code)) << "stdout: " << r_.out << "\nstderr: " << r_.err; \
    EXPECT_EQ(r_.out, (stdout_text)) << "stderr: " << r_.err;                     \
  } while (0)

TEST(Gryadkactl, GetPutCasIncrDelOutputsAndExitCodes) {
  auto server = FakeKvServer::Start();
  const std::string t = TargetFlag(*server);
  EXPECT_RUN(RunCtl({t, "get", "foo"}), 0, "foo: not found\n");
  EXPECT_RUN(RunCtl({t, "put", "foo", "bar"}), 0, "foo = \"bar\" (version 1)\n");
  EXPECT_RUN(RunCtl({"get", "foo", t}), 0, "foo = \"bar\" (version 1)\n");
  EXPECT_RUN(RunCtl({t, "cas", "foo", "5", "baz"}), 3, "not applied: version is 1, expected 5\n");
  EXPECT_RUN(RunCtl({t, "cas", "foo", "1", "baz"}), 0, "foo = \"baz\" (version 2)\n");
  EXPECT_RUN(RunCtl({t, "incr", "n"}), 0, "n = 1 (version 1)\n");
  EXPECT_RUN(RunCtl({t, "incr", "n", "41"}), 0, "n = 42 (version 2)\n");
  EXPECT_RUN(RunCtl({t, "incr", "n", "-50"}), 0, "n = -8 (version 3)\n");
  EXPECT_RUN(RunCtl({t, "incr", "foo"}), 3,
             "not applied: foo = \"baz\" (version 2) is not a decimal int64, or adding 1 "
             "would overflow\n");
  EXPECT_RUN(RunCtl({t, "del", "foo", "--expected_version=1"}), 3,
             "not applied: version is 2, expected 1\n");
  EXPECT_RUN(RunCtl({t, "del", "foo", "--expected_version", "2"}), 0, "foo: deleted\n");
  EXPECT_RUN(RunCtl({t, "del", "n"}), 0, "n: deleted\n");
  EXPECT_RUN(RunCtl({t, "get", "foo"}), 0, "foo: not found\n");
  EXPECT_EQ(server->Stored("n").version(), 0u);
}

TEST(Gryadkactl, ValuesAreEscapedForTheTerminal) {
  auto server = FakeKvServer::Start();
  const std::string t = TargetFlag(*server);
  EXPECT_RUN(RunCtl({t, "put", "k", "a\x1b[2J\"b\"\n"}), 0,
             "k = \"a\\x1b[2J\\\"b\\\"\\n\" (version 1)\n");
  EXPECT_EQ(server->Stored("k").value(), "a\x1b[2J\"b\"\n");
}

TEST(Gryadkactl, JsonOutput) {
  auto server = FakeKvServer::Start();
  const std::string t = TargetFlag(*server);
  EXPECT_RUN(RunCtl({t, "--json", "put", "k", "v"}), 0,
             "{\"key\":\"k\",\"applied\":true,\"value\":\"v\",\"value_base64\":\"dg==\","
             "\"version\":1}\n");
  EXPECT_RUN(RunCtl({t, "--json", "get", "k"}), 0,
             "{\"key\":\"k\",\"found\":true,\"value\":\"v\",\"value_base64\":\"dg==\","
             "\"version\":1}\n");
  EXPECT_RUN(RunCtl({t, "--json", "cas", "k", "9", "w"}), 3,
             "{\"key\":\"k\",\"applied\":false,\"expected_version\":9,\"value\":\"v\","
             "\"value_base64\":\"dg==\",\"version\":1}\n");
  EXPECT_RUN(RunCtl({t, "--json", "health"}), 0,
             absl::StrCat("{\"healthy\":true,\"targets\":[{\"target\":\"", server->target(),
                          "\",\"serving_status\":\"SERVING\",\"code\":\"OK\",\"message\":\"\"}"
                          "]}\n"));
}

TEST(Gryadkactl, UsageErrorsExit64WithUsageText) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"get"}, {"cas", "k", "x", "v"}, {"incr", "k", "1.5"},
           {"get", "k", "--bogus"}, {"--target=nonsense", "get", "k"}}) {
    const Result r = RunCtl(args);
    EXPECT_EQ(r.exit_code, 64) << absl::StrJoin(args, " ") << "\nstderr: " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(absl::StrContains(r.err, "Usage: gryadkactl")) << r.err;
  }
  const Result bad_target = RunCtl({"--target=nonsense", "get", "k"});
  EXPECT_TRUE(absl::StrContains(bad_target.err, "invalid target \"nonsense\"")) << bad_target.err;
}

TEST(Gryadkactl, HelpListsCommandsAndFlags) {
  const Result r = RunCtl({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"get KEY", "put KEY VALUE", "cas KEY EXPECTED_VERSION VALUE",
                           "incr KEY [DELTA]", "del KEY [--expected_version=N]", "health",
                           "--target=", "--deadline_ms=", "--json", "GRYADKA_TARGET"}) {
    EXPECT_TRUE(absl::StrContains(r.out, word)) << word;
  }
}

TEST(Gryadkactl, ErrorsExit2WithTheCodeNameOnStderr) {
  auto server = FakeKvServer::Start();
  server->FailNext(grpc::StatusCode::ABORTED, 1);
  const Result aborted = RunCtl({TargetFlag(*server), "put", "k", "v"});
  EXPECT_RUN(aborted, 2, "");
  EXPECT_TRUE(absl::StartsWith(aborted.err, "gryadkactl: ABORTED: injected Put failure"))
      << aborted.err;

  server->Shutdown();
  const Result down = RunCtl({TargetFlag(*server), "--deadline_ms=2000", "get", "k"});
  EXPECT_RUN(down, 2, "");
  EXPECT_TRUE(absl::StartsWith(down.err, "gryadkactl: UNAVAILABLE: ")) << down.err;
}

TEST(Gryadkactl, HealthReportsEveryTarget) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  const std::string both = absl::StrCat("--target=", a->target(), ",", b->target());
  EXPECT_RUN(RunCtl({both, "health"}), 0,
             absl::StrCat(a->target(), ": SERVING\n", b->target(), ": SERVING\n"));
  b->SetServing(false);
  const Result r = RunCtl({both, "health"});
  EXPECT_RUN(r, 2,
             absl::StrCat(a->target(), ": SERVING\n", b->target(),
                          ": UNAVAILABLE: gryadka.v1.KV is NOT_SERVING\n"));
  EXPECT_TRUE(absl::StrContains(r.err, "1 of 2 targets not serving")) << r.err;
}

TEST(Gryadkactl, TargetComesFromTheEnvironmentUnlessGivenAsAFlag) {
  auto server = FakeKvServer::Start();
  EXPECT_RUN(RunCtl({"put", "k", "from-env"}, server->target()), 0,
             "k = \"from-env\" (version 1)\n");
  const Result flag_wins = RunCtl({"--target=127.0.0.1:1", "get", "k"}, server->target());
  EXPECT_EQ(flag_wins.exit_code, 2) << flag_wins.err;
  EXPECT_EQ(server->Calls("Put"), 1);
  EXPECT_EQ(server->Calls("Get"), 0);
}

// gryadkactl membership over gRPC, against fake Admin servers (the protocol side is in
// tests/integration/membership_integration_test.cc).
struct FakeAdmins {
  explicit FakeAdmins(int n) {
    for (int i = 0; i < n; ++i) {
      servers.push_back(testing::FakeAdminServer::Start(
          core::MajorityMembership({"a:1", "b:1", "c:1"}, 0), &fences, 100 + i));
    }
  }
  std::string Flag() const {
    std::vector<std::string> t;
    for (const auto& s : servers) t.push_back(s->target());
    return "--proposers=" + absl::StrJoin(t, ",");
  }
  testing::FakeFences fences;
  std::vector<std::unique_ptr<testing::FakeAdminServer>> servers;
};

TEST(GryadkactlMembership, AddRunsOverGrpcPrintsEachStepAndResumesABrokenRescan) {
  FakeAdmins f(2);
  f.servers[0]->BreakNextRescan();
  const Result r = RunCtl({f.Flag(), "membership", "add", "d:1", "--rescan_keys_per_second=7"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* line :
       {"membership add: target [a:1, b:1, c:1, d:1]\n", "step 1/3 started: accept on the target set",
        "  fenced 4 of 4 acceptors at epoch 1\n", "step 1/3 done\n",
        "  rescan: 5 keys scanned, 1 rewritten, acceptors 1/2, 7 keys/s, cursor \"c\"\n",
        "  rescan resumed on ", "from cursor \"c\" after: proposer ",
        "  rescan: 10 keys scanned, 2 rewritten, acceptors 2/2, 7 keys/s, cursor \"cc\", done\n",
        "step 3/3 done\ndone: epoch 2: prepare 3 of [a:1, b:1, c:1, d:1], accept 3 of [a:1, b:1, "
        "c:1, d:1]\n"}) {
    EXPECT_TRUE(absl::StrContains(r.out, line)) << "lacks: " << line << "\n" << r.out;
  }
  EXPECT_EQ(f.servers[0]->RescanCursors(), "");
  EXPECT_EQ(f.servers[1]->RescanCursors(), "c");
  for (const auto& s : f.servers) EXPECT_EQ(s->membership().epoch(), 2u);
  absl::MutexLock lock(&f.fences.mu);
  EXPECT_EQ(f.fences.min_epoch["d:1"], 2u);
}

TEST(GryadkactlMembership, DryRunAndStatusChangeNothing) {
  FakeAdmins f(2);
  const Result dry = RunCtl({f.Flag(), "membership", "replace", "b:1", "n:1", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(absl::StrContains(dry.out, "step 4/4: configure: majority accept quorum")) << dry.out;
  EXPECT_TRUE(absl::EndsWith(dry.out, "dry run: nothing changed\n")) << dry.out;
  const Result status = RunCtl({f.Flag(), "membership", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "(source flags, rounds in older epochs 0)")) << status.out;
  EXPECT_TRUE(absl::EndsWith(status.out, "no change in progress\n")) << status.out;
  for (const auto& s : f.servers) EXPECT_EQ(s->membership().epoch(), 0u);
}

TEST(GryadkactlMembership, AnUnreachableProposerIsAnErrorNamingIt) {
  FakeAdmins f(2);
  const std::string gone = f.servers[1]->target();
  f.servers[1]->Shutdown();
  const Result r = RunCtl({f.Flag(), "membership", "add", "d:1", "--deadline_ms=2000"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "gryadkactl: UNAVAILABLE: proposer " + gone)) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "gryadkactl: proposer " + gone + " did not answer")) << r.err;
  EXPECT_EQ(f.servers[0]->membership().epoch(), 0u);
}

TEST(GryadkactlMembership, UsageErrorsExit64) {
  const Result r = RunCtl({"membership", "add", "not-an-address"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(absl::StartsWith(r.err, "gryadkactl: invalid acceptor address \"not-an-address\""))
      << r.err;
}

}  // namespace
}  // namespace gryadka
