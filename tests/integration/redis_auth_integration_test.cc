// Redis authentication end to end (docs/redis-auth.md): real redis-server processes started with
// requirepass (and an ACL user added with ACL SETUSER), real gryadka-proposer processes given the
// password by file or environment. Pins: KV works with either source; a wrong password leaves
// the proposer NOT_SERVING with the Redis error logged (never the password) and a fixed password
// file is picked up on reconnect without restart; an ACL user limited to exactly the documented
// commands and ~PREFIX* runs KV, a membership change with FenceAcceptors and Rescan, and the
// proposer sends no other command; the password is not on the proposer's command line; bad
// flag combinations exit 64 naming the cause. Cost: about 20 s on 2 cores.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gryadka/v1/admin.grpc.pb.h"
#include "gtest/gtest.h"
#include "proposer/core/membership.h"
#include "tests/integration/cluster.h"

namespace gryadka::integration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kAdminPassword[] = "admin-Secret-7";  // Redis's default user (requirepass)
constexpr char kPrefix[] = "gryadka:";                // the proposer's default --redis_prefix

// The commands the proposer sends (AUTH, PING, EVAL, EVALSHA, SCRIPT LOAD, SCAN) and those its
// Lua scripts call (TYPE, HGET, HMGET, HSET): the ACL documented in docs/redis-auth.md.
constexpr char kAclCommands[] =
    "-@all +auth +ping +eval +evalsha +script|load +scan +type +hget +hmget +hset";
const std::set<std::string> kDocumentedCommands = {"auth", "ping",        "eval",
                                                   "evalsha", "script|load", "scan",
                                                   "type", "hget",        "hmget",
                                                   "hset"};

class TempDir {
 public:
  TempDir() {
    auto d = process::MakeTempDir("gryadka_redis_auth_");
    EXPECT_TRUE(d.ok());
    root_ = *d;
  }
  ~TempDir() { fs::remove_all(root_); }
  // Writes `content` to NAME atomically (rename), as a Secret volume update would.
  std::string Write(const std::string& name, const std::string& content) {
    const fs::path tmp = root_ / (name + ".tmp");
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << content;
    fs::rename(tmp, root_ / name);
    return (root_ / name).string();
  }

 private:
  fs::path root_;
};

std::string Addr(test_support::RedisProcess& r) { return absl::StrCat("127.0.0.1:", r.port()); }

std::unique_ptr<grpc::ClientContext> Ctx(int64_t deadline_ms = 10000) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return ctx;
}

// The proposer's command line as the kernel shows it to every local user.
std::string CmdlineOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Put, Get and CompareAndSet through proposer i.
void ExpectKvWorks(const Cluster& cluster, int i, const std::string& key) {
  auto client = cluster.NewClient(i);
  ASSERT_NE(client, nullptr);
  auto put = client->Put(key, "v1");
  ASSERT_TRUE(put.ok()) << put.status() << cluster.Logs();
  auto got = client->Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "v1");
  auto cas = client->CompareAndSet(key, got->record.version, "v2");
  ASSERT_TRUE(cas.ok()) << cas.status();
  got = client->Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "v2");
}

ClusterOptions AuthCluster(int acceptors = 3) {
  ClusterOptions o;
  o.acceptors = acceptors;
  o.proposers = 0;
  o.redis_requirepass = kAdminPassword;
  return o;
}

TEST(RedisAuthIntegrationTest, RequirepassWithPasswordFileServesKvAndKeepsThePasswordOffArgv) {
  auto c = Cluster::Start(AuthCluster());
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  TempDir dir;
  const std::string file = dir.Write("password", std::string(kAdminPassword) + "\n");
  ASSERT_TRUE(cluster.AddProposer({"--redis_password_file=" + file}).ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  ExpectKvWorks(cluster, 0, "file-key");
  const std::string cmdline = CmdlineOf(cluster.proposer(0).pid());
  EXPECT_TRUE(absl::StrContains(cmdline, "--redis_password_file")) << cmdline;
  EXPECT_FALSE(absl::StrContains(cmdline, kAdminPassword)) << cmdline;
  EXPECT_FALSE(absl::StrContains(cluster.proposer(0).LogTail(1 << 20), kAdminPassword));
}

TEST(RedisAuthIntegrationTest, PasswordFromEnvironmentServesKvAndIsNotOnTheCommandLine) {
  auto c = Cluster::Start(AuthCluster());
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  ASSERT_TRUE(
      cluster.AddProposer({}, {std::string("GRYADKA_REDIS_PASSWORD=") + kAdminPassword}).ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  ExpectKvWorks(cluster, 0, "env-key");
  EXPECT_FALSE(absl::StrContains(CmdlineOf(cluster.proposer(0).pid()), kAdminPassword));
}

TEST(RedisAuthIntegrationTest, WrongPasswordIsNotServingAndLoggedThenAFixedFileIsPickedUp) {
  auto c = Cluster::Start(AuthCluster());
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  TempDir dir;
  const std::string wrong = "wrong-Pass-42";
  const std::string file = dir.Write("password", wrong + "\n");
  ASSERT_TRUE(cluster.AddProposer({"--redis_password_file=" + file}).ok());
  // Several reconnect attempts (backoff 10 ms doubling to 1 s) within this time.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  ASSERT_TRUE(cluster.proposer(0).Running()) << cluster.Logs();
  EXPECT_FALSE(cluster.NewClient(0, 1000)->Health().ok());
  const std::string log = cluster.proposer(0).LogTail(1 << 20);
  EXPECT_TRUE(absl::StrContains(log, "redis authentication failed")) << log;
  EXPECT_TRUE(absl::StrContains(log, "WRONGPASS")) << log;
  EXPECT_TRUE(absl::StrContains(log, Addr(cluster.redis(0)))) << log;
  EXPECT_FALSE(absl::StrContains(log, wrong)) << log;
  auto put = cluster.NewClient(0, 1000)->Put("k", "v");
  EXPECT_FALSE(put.ok());

  // The Secret is fixed: the next reconnect reads the file again, no restart.
  dir.Write("password", std::string(kAdminPassword) + "\n");
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  ExpectKvWorks(cluster, 0, "after-fix");
}

// Creates the ACL user `gryadka` on every acceptor, limited to kAclCommands and ~PREFIX*.
void AddAclUser(Cluster& cluster, int acceptors, const std::string& password) {
  for (int i = 0; i < acceptors; ++i) {
    auto conn = cluster.redis(i).Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    std::vector<std::string> argv = {"ACL", "SETUSER", "gryadka", "reset", "on",
                                     ">" + password, absl::StrCat("~", kPrefix, "*"),
                                     "resetchannels"};
    for (absl::string_view rule : absl::StrSplit(kAclCommands, ' ')) argv.emplace_back(rule);
    auto r = conn->Command(argv);
    ASSERT_TRUE(r.ok() && !r->IsError()) << (r.ok() ? r->DebugString() : r.status().ToString());
    ASSERT_TRUE(conn->Command({"CONFIG", "RESETSTAT"}).ok());
    ASSERT_TRUE(conn->Command({"ACL", "LOG", "RESET"}).ok());
  }
}

// Commands (lower case, subcommands as "script|load") run on `redis` since CONFIG RESETSTAT,
// from INFO commandstats; the test's own INFO is left out.
std::set<std::string> CommandsRun(test_support::RedisProcess& redis) {
  std::set<std::string> out;
  auto conn = redis.Connect();
  EXPECT_TRUE(conn.ok());
  auto info = conn->Command({"INFO", "commandstats"});
  EXPECT_TRUE(info.ok());
  if (!info.ok()) return out;
  for (absl::string_view line : absl::StrSplit(info->str, absl::ByAnyChar("\r\n"))) {
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const std::string name(line.substr(0, line.find(':')));
    if (name != "info" && name != "config|resetstat" && name != "acl|log") out.insert(name);
  }
  return out;
}

// Rescans to the end (the membership step's rescan_from set into its accept set).
void RescanToEnd(v1::Admin::Stub& admin, uint64_t epoch, const Cluster& cluster) {
  v1::RescanRequest req;
  req.set_expected_epoch(epoch);
  auto ctx = Ctx(60000);
  auto stream = admin.Rescan(ctx.get(), req);
  v1::RescanProgress p;
  bool done = false;
  while (stream->Read(&p)) done = done || p.done();
  grpc::Status s = stream->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message() << cluster.Logs();
  EXPECT_TRUE(done);
}

bool WaitEpoch(v1::Admin::Stub& admin, uint64_t epoch) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    v1::GetMembershipResponse r;
    if (admin.GetMembership(Ctx().get(), {}, &r).ok() && r.membership().epoch() == epoch &&
        r.rounds_in_older_epochs() == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(RedisAuthIntegrationTest, AclUserWithOnlyTheDocumentedCommandsRunsKvMembershipChangeAndRescan) {
  constexpr int kKeys = 50;
  auto c = Cluster::Start(AuthCluster(4));  // the proposer starts on 3; the 4th joins
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  const std::string password = "acl-User-Pass";
  AddAclUser(cluster, 4, password);
  TempDir dir;
  const std::string file = dir.Write("password", password + "\n");
  const std::vector<std::string> old_set = {Addr(cluster.redis(0)), Addr(cluster.redis(1)),
                                            Addr(cluster.redis(2))};
  ASSERT_TRUE(cluster
                  .AddProposer({"--redis_user=gryadka", "--redis_password_file=" + file,
                                "--accept_acceptors=" + absl::StrJoin(old_set, ","),
                                "--prepare_acceptors=" + absl::StrJoin(old_set, ",")})
                  .ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  ExpectKvWorks(cluster, 0, "acl-key");
  auto client = cluster.NewClient(0);
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(client->Put(absl::StrCat("k", i), absl::StrCat("v", i)).ok()) << cluster.Logs();
  }
  ASSERT_TRUE(client->Delete("k0").ok());

  // Grow to 4 acceptors, every step fenced and rescanned (docs/membership.md).
  auto admin = v1::Admin::NewStub(
      grpc::CreateChannel(cluster.target(0), grpc::InsecureChannelCredentials()));
  v1::GetMembershipResponse running;
  ASSERT_TRUE(admin->GetMembership(Ctx().get(), {}, &running).ok());
  std::vector<std::string> target = old_set;
  target.push_back(Addr(cluster.redis(3)));
  auto plan = core::PlanMembershipChange(running.membership(), target);
  ASSERT_TRUE(plan.ok()) << plan.status();
  uint64_t epoch = running.membership().epoch();
  for (const core::MembershipStep& step : *plan) {
    if (step.kind == core::MembershipStep::Kind::kRescan) {
      RescanToEnd(*admin, epoch, cluster);
      continue;
    }
    v1::SetMembershipRequest set;
    set.set_expected_epoch(epoch);
    *set.mutable_membership() = step.membership;
    v1::SetMembershipResponse set_resp;
    grpc::Status s = admin->SetMembership(Ctx().get(), set, &set_resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    epoch = step.membership.epoch();
    ASSERT_TRUE(WaitEpoch(*admin, epoch));
    v1::FenceAcceptorsRequest fence;
    *fence.mutable_membership() = step.membership;
    v1::FenceAcceptorsResponse fenced;
    s = admin->FenceAcceptors(Ctx().get(), fence, &fenced);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::AcceptorFence& f : fenced.acceptors()) {
      EXPECT_TRUE(f.ok()) << f.acceptor() << ": " << f.error();
      EXPECT_EQ(f.min_epoch(), epoch);
    }
  }
  ASSERT_GE(epoch, 1u);
  // The new acceptor holds the registers the rescan copied (read as the admin user).
  auto conn3 = cluster.redis(3).Connect();
  ASSERT_TRUE(conn3.ok());
  auto hv = conn3->Command({"HGET", absl::StrCat(kPrefix, "k7"), "v"});
  ASSERT_TRUE(hv.ok());
  EXPECT_EQ(hv->type, process::RedisValue::Type::kString) << hv->DebugString();
  auto got = client->Get("k7");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "v7");

  // Nothing was refused, and the proposer ran only the documented commands.
  std::set<std::string> run;
  for (int i = 0; i < 4; ++i) {
    auto conn = cluster.redis(i).Connect();
    ASSERT_TRUE(conn.ok());
    auto log = conn->Command({"ACL", "LOG"});
    ASSERT_TRUE(log.ok());
    EXPECT_TRUE(log->elements.empty()) << cluster.redis(i).Describe() << ": " << log->DebugString();
    for (const std::string& cmd : CommandsRun(cluster.redis(i))) run.insert(cmd);
  }
  std::cout << "commands the proposer ran: " << absl::StrJoin(run, " ") << "\n";
  for (const std::string& cmd : run) {
    EXPECT_TRUE(kDocumentedCommands.contains(cmd)) << "undocumented command " << cmd;
  }
  for (const char* needed : {"auth", "ping", "evalsha", "script|load", "scan", "hset"}) {
    EXPECT_TRUE(run.contains(needed)) << needed << " was never run: " << absl::StrJoin(run, ",");
  }

  // The ACL is restrictive: the same user cannot touch a key outside the prefix, nor run other
  // commands on its own keys.
  auto as_user = process::SyncRedis::Connect("127.0.0.1", cluster.redis(0).port());
  ASSERT_TRUE(as_user.ok());
  auto auth = as_user->Command({"AUTH", "gryadka", password});
  ASSERT_TRUE(auth.ok() && !auth->IsError()) << auth->DebugString();
  auto outside = as_user->Command({"EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", "other:key"});
  ASSERT_TRUE(outside.ok());
  EXPECT_TRUE(outside->IsError() && absl::StrContains(outside->str, "NOPERM")) << outside->DebugString();
  auto outside_read = as_user->Command({"EVAL", "return redis.call('TYPE', KEYS[1])", "1", "other:key"});
  ASSERT_TRUE(outside_read.ok());
  EXPECT_TRUE(outside_read->IsError()) << outside_read->DebugString();
  auto other_cmd = as_user->Command({"DEL", absl::StrCat(kPrefix, "k1")});
  ASSERT_TRUE(other_cmd.ok());
  EXPECT_TRUE(other_cmd->IsError() && absl::StrContains(other_cmd->str, "NOPERM"))
      << other_cmd->DebugString();
  auto flush = as_user->Command({"FLUSHALL"});
  ASSERT_TRUE(flush.ok());
  EXPECT_TRUE(flush->IsError()) << flush->DebugString();
  auto still = client->Get("k1");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->record.value, "v1");
}

// Starts the proposer with `flags` and `env` and waits (bounded) for it to exit.
std::pair<int, std::string> ExitOf(const std::vector<std::string>& flags,
                                   const std::vector<std::string>& env) {
  process::ProcessSpec spec;
  spec.binary = GRYADKA_PROPOSER_BIN;
  spec.name = "proposer";
  spec.args = {"--listen=127.0.0.1:0", "--acceptors=127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"};
  spec.args.insert(spec.args.end(), flags.begin(), flags.end());
  spec.env = env;
  auto p = process::ProcessHandle::Start(spec);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {-1, ""};
  const bool exited = (*p)->WaitExit(/*timeout_ms=*/10000);
  const std::string log = (*p)->LogTail();
  if (!exited) return {-1, log};  // the handle stops it
  const int status = (*p)->exit_status().value_or(-1);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, log};
}

TEST(RedisAuthIntegrationTest, BadCredentialFlagsExit64NamingTheCause) {
  TempDir dir;
  const std::string file = dir.Write("password", "pw\n");
  auto [code, log] = ExitOf({"--redis_password_file=" + file}, {"GRYADKA_REDIS_PASSWORD=pw"});
  EXPECT_EQ(code, 64) << log;
  EXPECT_TRUE(absl::StrContains(log, "GRYADKA_REDIS_PASSWORD")) << log;

  const std::string missing = file + ".missing";
  std::tie(code, log) = ExitOf({"--redis_password_file=" + missing}, {});
  EXPECT_EQ(code, 64) << log;
  EXPECT_TRUE(absl::StrContains(log, missing)) << log;

  std::tie(code, log) = ExitOf({"--redis_user=gryadka"}, {});
  EXPECT_EQ(code, 64) << log;
  EXPECT_TRUE(absl::StrContains(log, "--redis_user")) << log;

  std::tie(code, log) = ExitOf({"--redis_password=pw"}, {});  // no such flag, by design
  EXPECT_NE(code, 0) << log;
}

}  // namespace
}  // namespace gryadka::integration
