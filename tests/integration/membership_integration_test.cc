// Membership change against real processes (docs/membership.md): gryadka-proposer started from a
// --membership_file that changes by a ConfigMap-style symlink swap; Admin.SetMembership as a
// compare-and-set; FenceAcceptors fencing a proposer that missed a step, which then adopts the
// acceptors' membership; Rescan copying every key to a new, empty acceptor, resumed from a
// cursor, and again after its reads failed. Cost: ~30-45 s in total on 2 cores (the rescan test
// writes 20,000 keys and rescans them twice: two of the three old acceptors are SCANned).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gryadka/v1/admin.grpc.pb.h"
#include "gtest/gtest.h"
#include "client/version.h"
#include "proposer/core/membership.h"
#include "tests/integration/cluster.h"

namespace gryadka::integration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::unique_ptr<grpc::ClientContext> Ctx(int64_t deadline_ms = 10000) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return ctx;
}

std::unique_ptr<v1::Admin::Stub> AdminStub(const Cluster& c, int i) {
  return v1::Admin::NewStub(grpc::CreateChannel(c.target(i), grpc::InsecureChannelCredentials()));
}

std::string Addr(test_support::RedisProcess& r) { return absl::StrCat("127.0.0.1:", r.port()); }

v1::GetMembershipResponse GetMembership(v1::Admin::Stub& stub) {
  v1::GetMembershipResponse resp;
  grpc::Status s = stub.GetMembership(Ctx().get(), {}, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

// Polls GetMembership until its epoch is `epoch` (and no round of an older one runs).
bool WaitEpoch(v1::Admin::Stub& stub, uint64_t epoch, int64_t timeout_ms = 10000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    v1::GetMembershipResponse r = GetMembership(stub);
    if (r.membership().epoch() == epoch && r.rounds_in_older_epochs() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// JSON of a majority membership at `epoch` (accept quorum overridable).
std::string MembershipJson(const std::vector<std::string>& acceptors, uint64_t epoch,
                           int accept_quorum = 0) {
  std::string list;
  for (const auto& a : acceptors) absl::StrAppend(&list, list.empty() ? "" : ", ", "\"", a, "\"");
  return absl::StrCat("{\"epoch\": \"", epoch, "\", \"prepare\": {\"acceptors\": [", list,
                      "]}, \"accept\": {\"acceptors\": [", list, "], \"quorum\": ", accept_quorum,
                      "}}");
}

// A ConfigMap-style mount: DIR/membership.json -> ..data/membership.json, ..data -> ..vN.
class ConfigMapDir {
 public:
  ConfigMapDir() {
    auto d = process::MakeTempDir("gryadka_configmap_");
    EXPECT_TRUE(d.ok());
    root_ = *d;
  }
  ~ConfigMapDir() { fs::remove_all(root_); }
  std::string file() const { return (root_ / "membership.json").string(); }

  // Publishes `json` as a new version by swapping the ..data symlink (atomic rename).
  void Publish(const std::string& json) {
    const std::string version = absl::StrCat("..v", ++versions_);
    fs::create_directory(root_ / version);
    std::ofstream(root_ / version / "membership.json") << json;
    fs::create_directory_symlink(version, root_ / "..data_tmp");
    fs::rename(root_ / "..data_tmp", root_ / "..data");
    if (!fs::exists(root_ / "membership.json", ec_)) {
      fs::create_symlink("..data/membership.json", root_ / "membership.json");
    }
  }

 private:
  fs::path root_;
  int versions_ = 0;
  std::error_code ec_;
};

TEST(MembershipIntegrationTest, StartsFromAMembershipFileAndFollowsItsSymlinkSwaps) {
  ClusterOptions o;
  o.proposers = 0;
  o.acceptors_flag = false;
  auto c = Cluster::Start(o);
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  const std::vector<std::string> acceptors = {Addr(cluster.redis(0)), Addr(cluster.redis(1)),
                                              Addr(cluster.redis(2))};
  ConfigMapDir dir;
  dir.Publish(MembershipJson(acceptors, 1));
  auto p = cluster.AddProposer({"--membership_file=" + dir.file(), "--membership_file_poll_ms=50"});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  auto admin = AdminStub(cluster, 0);
  v1::GetMembershipResponse r = GetMembership(*admin);
  EXPECT_EQ(r.membership().epoch(), 1u);
  EXPECT_EQ(r.source(), "file " + dir.file());
  EXPECT_NE(r.proposer_id(), 0u);
  auto client = cluster.NewClient(0);
  ASSERT_TRUE(client->Put("k", "v1").ok());

  dir.Publish(MembershipJson(acceptors, 2, /*accept_quorum=*/3));
  ASSERT_TRUE(WaitEpoch(*admin, 2)) << cluster.Logs();
  EXPECT_EQ(GetMembership(*admin).membership().accept().quorum(), 3u);
  // A lower epoch and an invalid file are ignored: the running membership stays.
  dir.Publish(MembershipJson(acceptors, 1));
  dir.Publish("{ not json");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(GetMembership(*admin).membership().epoch(), 2u);
  auto got = client->Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "v1");
}

TEST(MembershipIntegrationTest, AnInvalidMembershipFileStopsTheStartNamingTheFileAndTheSets) {
  auto redis = test_support::RedisProcess::Start();
  ASSERT_TRUE(redis.ok());
  ConfigMapDir dir;
  const std::string a = Addr(**redis);
  dir.Publish(absl::StrCat("{\"epoch\": 1, \"prepare\": {\"acceptors\": [\"", a,
                           "\", \"127.0.0.1:1\"], \"quorum\": 1}, \"accept\": {\"acceptors\": [\"",
                           a, "\", \"127.0.0.1:1\"], \"quorum\": 1}}"));
  auto port = process::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  process::ProcessSpec spec;
  spec.binary = GRYADKA_PROPOSER_BIN;
  spec.args = {absl::StrCat("--listen=127.0.0.1:", *port), "--membership_file=" + dir.file()};
  auto p = process::ProcessHandle::Start(spec);
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 100 && (*p)->Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE((*p)->Running());
  ASSERT_TRUE((*p)->exit_status().has_value());
  EXPECT_NE(*(*p)->exit_status(), 0);
  const std::string log = (*p)->LogTail();
  EXPECT_TRUE(absl::StrContains(log, dir.file())) << log;
  EXPECT_TRUE(absl::StrContains(log, "do not always intersect")) << log;
}

TEST(MembershipIntegrationTest, SetMembershipIsACompareAndSetOnTheEpoch) {
  auto c = Cluster::Start();
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  auto admin = AdminStub(cluster, 0);
  v1::GetMembershipResponse start = GetMembership(*admin);
  EXPECT_EQ(start.membership().epoch(), 0u);
  EXPECT_EQ(start.source(), "flags");

  v1::SetMembershipRequest req;
  req.set_expected_epoch(4);
  *req.mutable_membership() = start.membership();
  req.mutable_membership()->set_epoch(5);
  v1::SetMembershipResponse resp;
  grpc::Status s = admin->SetMembership(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "expected_epoch 4 is not the running epoch 0"))
      << s.error_message();

  req.set_expected_epoch(0);
  req.mutable_membership()->mutable_prepare()->set_quorum(1);
  s = admin->SetMembership(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "do not always intersect")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), Addr(cluster.redis(0)))) << s.error_message();

  req.mutable_membership()->mutable_prepare()->set_quorum(0);
  req.mutable_membership()->mutable_accept()->set_quorum(3);
  s = admin->SetMembership(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.membership().epoch(), 5u);
  ASSERT_TRUE(WaitEpoch(*admin, 5));
  EXPECT_EQ(GetMembership(*admin).source(), "admin");
  auto client = cluster.NewClient(0);
  EXPECT_TRUE(client->Put("after", "cas").ok());
  // The same epoch again is not higher: refused.
  req.set_expected_epoch(5);
  s = admin->SetMembership(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}


TEST(MembershipIntegrationTest, AProposerAtAnOldEpochIsFencedAndAdoptsTheAcceptorsMembership) {
  auto c = Cluster::Start();
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  auto metrics_port = process::FreeLoopbackPort();
  ASSERT_TRUE(metrics_port.ok());
  ASSERT_TRUE(cluster.AddProposer({absl::StrCat("--metrics_listen=127.0.0.1:", *metrics_port)}).ok());
  ASSERT_TRUE(cluster.WaitHealth(1, true).ok()) << cluster.Logs();
  auto old_client = cluster.NewClient(1);
  ASSERT_TRUE(old_client->Put("k", "before").ok());

  auto admin = AdminStub(cluster, 0);
  v1::Membership next = GetMembership(*admin).membership();
  next.set_epoch(1);
  next.mutable_accept()->set_quorum(3);
  v1::SetMembershipRequest set;
  set.set_expected_epoch(0);
  *set.mutable_membership() = next;
  v1::SetMembershipResponse set_resp;
  ASSERT_TRUE(admin->SetMembership(Ctx().get(), set, &set_resp).ok());

  v1::FenceAcceptorsRequest fence;
  *fence.mutable_membership() = next;
  fence.add_also("127.0.0.1:1");  // nothing listens there: reported, not fatal
  v1::FenceAcceptorsResponse fenced;
  grpc::Status s = admin->FenceAcceptors(Ctx().get(), fence, &fenced);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(fenced.acceptors_size(), 4);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(fenced.acceptors(i).ok()) << fenced.acceptors(i).error();
    EXPECT_EQ(fenced.acceptors(i).min_epoch(), 1u);
  }
  EXPECT_EQ(fenced.acceptors(3).acceptor(), "127.0.0.1:1");
  EXPECT_FALSE(fenced.acceptors(3).ok());
  EXPECT_FALSE(fenced.acceptors(3).error().empty());

  // Proposer 1 still runs epoch 0: its next round is refused, it adopts epoch 1 from the
  // acceptor's reply, and the client's request succeeds.
  auto admin1 = AdminStub(cluster, 1);
  EXPECT_EQ(GetMembership(*admin1).membership().epoch(), 0u);
  auto put = old_client->Put("k", "after");
  EXPECT_TRUE(put.ok()) << put.status() << cluster.Logs();
  v1::GetMembershipResponse r1 = GetMembership(*admin1);
  EXPECT_EQ(r1.membership().epoch(), 1u);
  EXPECT_EQ(r1.membership().accept().quorum(), 3u);
  EXPECT_TRUE(absl::StartsWith(r1.source(), "acceptor 127.0.0.1:")) << r1.source();
  auto got = cluster.NewClient(0)->Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->record.value, "after");
  const std::string metrics = FetchMetrics(*metrics_port);
  EXPECT_TRUE(absl::StrContains(metrics, "gryadka_membership_epoch 1")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "gryadka_fenced_replies_total")) << metrics;
  EXPECT_FALSE(absl::StrContains(metrics, "gryadka_fenced_replies_total 0\n")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "gryadka_rescan_keys_total{result=\"rewritten\"} 0"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "gryadka_build_info{")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, absl::StrCat("version=\"", ProjectVersion(), "\"")))
      << metrics;
}

// Clients connected to `redis`, our own inspecting connection included.
int ConnectedClients(test_support::RedisProcess& redis) {
  auto r = process::RunRedisCommand(redis.port(), {"CLIENT", "LIST"});
  if (!r.ok()) return -1;
  int lines = 0;
  for (char ch : r->str) lines += ch == '\n';
  return lines;
}

bool WaitClients(test_support::RedisProcess& redis, int want, int64_t timeout_ms = 10000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (ConnectedClients(redis) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(MembershipIntegrationTest, AnAcceptorThatLeavesIsDisconnectedAndReconnectedWhenItReturns) {
  ClusterOptions o;
  o.proposer_flags = {"--io_threads=2"};  // every shard switches: one connection each
  auto c = Cluster::Start(o);
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  ASSERT_TRUE(WaitClients(cluster.redis(2), 3));  // the proposer's two connections and ours
  auto admin = AdminStub(cluster, 0);
  const v1::Membership all = GetMembership(*admin).membership();
  v1::Membership two = core::MajorityMembership({Addr(cluster.redis(0)), Addr(cluster.redis(1))}, 1);
  v1::SetMembershipRequest set;
  set.set_expected_epoch(0);
  *set.mutable_membership() = two;
  v1::SetMembershipResponse resp;
  ASSERT_TRUE(admin->SetMembership(Ctx().get(), set, &resp).ok());
  EXPECT_TRUE(WaitClients(cluster.redis(2), 1)) << ConnectedClients(cluster.redis(2));
  auto client = cluster.NewClient(0);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(client->Put(absl::StrCat("k", i), "two").ok());

  set.set_expected_epoch(1);
  *set.mutable_membership() = all;
  set.mutable_membership()->set_epoch(2);
  ASSERT_TRUE(admin->SetMembership(Ctx().get(), set, &resp).ok());
  EXPECT_TRUE(WaitClients(cluster.redis(2), 3)) << ConnectedClients(cluster.redis(2));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(client->Put(absl::StrCat("k", i), "three").ok());
}

// Writes `n` keys "key-I" through `client` from kWriterThreads threads.
void WriteKeys(const Client& client, int n) {
  constexpr int kWriterThreads = 32;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += kWriterThreads) {
        if (!client.Put(absl::StrCat("key-", i), absl::StrCat("value-", i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// The user keys of every register on `redis` (prefix "gryadka:", the meta key excluded).
std::set<std::string> RegistersOn(test_support::RedisProcess& redis) {
  std::set<std::string> keys;
  auto conn = redis.Connect();
  EXPECT_TRUE(conn.ok());
  std::string cursor = "0";
  do {
    auto r = conn->Command({"SCAN", cursor, "MATCH", "gryadka:*", "COUNT", "1000"});
    EXPECT_TRUE(r.ok() && r->elements.size() == 2);
    if (!r.ok() || r->elements.size() != 2) break;
    cursor = r->elements[0].str;
    for (const auto& k : r->elements[1].elements) {
      if (k.str != "gryadka:") keys.insert(k.str.substr(8));
    }
  } while (cursor != "0");
  return keys;
}

// GRYADKA_RESCAN_TEST_KEYS overrides the number of keys (default 20,000), to measure the
// rescan's rate on a larger data set; the rate is printed.
int RescanTestKeys() {
  const char* env = std::getenv("GRYADKA_RESCAN_TEST_KEYS");
  int n = 0;
  return env != nullptr && absl::SimpleAtoi(env, &n) && n > 0 ? n : 20000;
}

TEST(MembershipIntegrationTest, RescanCopiesEveryKeyToANewAcceptorAndResumesFromACursor) {
  const int kKeys = RescanTestKeys();
  ClusterOptions o;
  o.acceptors = 4;  // the proposer starts with the first 3 (below); the 4th is the new one
  o.proposers = 0;
  auto c = Cluster::Start(o);
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  std::vector<std::string> old_set = {Addr(cluster.redis(0)), Addr(cluster.redis(1)),
                                      Addr(cluster.redis(2))};
  ASSERT_TRUE(cluster
                  .AddProposer({"--accept_acceptors=" + absl::StrJoin(old_set, ","),
                                "--prepare_acceptors=" + absl::StrJoin(old_set, ",")})
                  .ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  auto client = cluster.NewClient(0);
  WriteKeys(*client, kKeys);
  ASSERT_TRUE(RegistersOn(cluster.redis(3)).empty());

  // Step 1 of growing to 4: accept on all 4, rescan pending from the old accept set.
  auto admin = AdminStub(cluster, 0);
  v1::Membership running = GetMembership(*admin).membership();
  std::vector<std::string> target = old_set;
  target.push_back(Addr(cluster.redis(3)));
  auto plan = core::PlanMembershipChange(running, target);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_GE(plan->size(), 2u);
  v1::SetMembershipRequest set;
  set.set_expected_epoch(running.epoch());
  *set.mutable_membership() = (*plan)[0].membership;
  v1::SetMembershipResponse set_resp;
  ASSERT_TRUE(admin->SetMembership(Ctx().get(), set, &set_resp).ok());
  ASSERT_TRUE(WaitEpoch(*admin, 1));

  // A rescan interrupted after its first page, then resumed from its cursor.
  std::string cursor;
  {
    v1::RescanRequest req;
    req.set_keys_per_second(4000);
    req.set_expected_epoch(1);
    auto ctx = Ctx(60000);
    auto stream = admin->Rescan(ctx.get(), req);
    v1::RescanProgress p;
    while (stream->Read(&p)) {
      if (!absl::EndsWith(p.cursor(), ":-:0")) {  // inside a source: a mid-scan cursor
        cursor = p.cursor();
        break;
      }
    }
    ctx->TryCancel();
    (void)stream->Finish();
  }
  ASSERT_FALSE(cursor.empty());
  ASSERT_GT(RegistersOn(cluster.redis(3)).size(), 0u);

  v1::RescanRequest bad;
  bad.set_cursor("v1:1:9:-:0");
  v1::RescanProgress p;
  {
    auto ctx = Ctx();
    auto stream = admin->Rescan(ctx.get(), bad);
    while (stream->Read(&p)) {
    }
    grpc::Status s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StrContains(s.error_message(), "'9' is not a source index")) << s.error_message();
  }

  v1::RescanRequest resume;
  resume.set_cursor(cursor);
  resume.set_keys_per_second(1000000);
  bool done = false;
  {
    auto ctx = Ctx(std::max<int64_t>(60000, int64_t{kKeys} * 3));  // ~300 reads/s at worst
    auto stream = admin->Rescan(ctx.get(), resume);
    while (stream->Read(&p)) done = p.done();
    grpc::Status s = stream->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message() << cluster.Logs();
  }
  EXPECT_TRUE(done);
  std::cout << "rescan of " << kKeys << " keys resumed: " << p.keys_rewritten()
            << " key reads at " << p.keys_per_second() << " keys/s" << std::endl;
  EXPECT_EQ(p.acceptors_total(), 2u);  // 3 - 2 + 1 sources cover every quorum of the old set
  EXPECT_EQ(p.acceptors_done(), 2u);
  EXPECT_EQ(p.keys_skipped(), 0u);
  std::set<std::string> on_new = RegistersOn(cluster.redis(3));
  EXPECT_EQ(on_new.size(), static_cast<size_t>(kKeys));
  int missing = 0;
  for (int i = 0; i < kKeys; ++i) missing += on_new.count(absl::StrCat("key-", i)) == 0;
  EXPECT_EQ(missing, 0);
  // The register there holds the value (through the accept of a read round).
  auto conn = cluster.redis(3).Connect();
  ASSERT_TRUE(conn.ok());
  auto v = conn->Command({"HEXISTS", "gryadka:key-17", "v"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->integer, 1);
}

// Grows the accept set of a 3-acceptor cluster to `cluster.redis(3)` (step 1 of the plan) on
// proposer 0. Returns the new epoch (0 on failure).
uint64_t GrowAcceptSetToFour(Cluster& cluster, v1::Admin::Stub& admin) {
  v1::Membership running = GetMembership(admin).membership();
  std::vector<std::string> target(running.prepare().acceptors().begin(),
                                  running.prepare().acceptors().end());
  target.push_back(Addr(cluster.redis(3)));
  auto plan = core::PlanMembershipChange(running, target);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok() || plan->empty()) return 0;
  v1::SetMembershipRequest set;
  set.set_expected_epoch(running.epoch());
  *set.mutable_membership() = (*plan)[0].membership;
  v1::SetMembershipResponse resp;
  grpc::Status s = admin.SetMembership(Ctx().get(), set, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return s.ok() && WaitEpoch(admin, resp.membership().epoch()) ? resp.membership().epoch() : 0;
}

TEST(MembershipIntegrationTest, ARescanWhoseReadsFailEndsUnavailableWithACursorThatResumesIt) {
  constexpr int kKeys = 2000;
  ClusterOptions o;
  o.acceptors = 4;
  o.proposers = 0;
  auto c = Cluster::Start(o);
  ASSERT_TRUE(c.ok()) << c.status();
  Cluster& cluster = **c;
  const std::string old_set = absl::StrCat(Addr(cluster.redis(0)), ",", Addr(cluster.redis(1)),
                                           ",", Addr(cluster.redis(2)));
  ASSERT_TRUE(cluster.AddProposer({"--accept_acceptors=" + old_set, "--prepare_acceptors=" + old_set}).ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok()) << cluster.Logs();
  WriteKeys(*cluster.NewClient(0), kKeys);
  auto admin = AdminStub(cluster, 0);
  ASSERT_EQ(GrowAcceptSetToFour(cluster, *admin), 1u);

  // Accept quorum 3 of 4: with two of them stopped, no read can write back.
  v1::RescanRequest req;
  req.set_keys_per_second(500);
  auto ctx = Ctx(60000);
  auto stream = admin->Rescan(ctx.get(), req);
  v1::RescanProgress p;
  ASSERT_TRUE(stream->Read(&p));
  cluster.redis(2).Stop();
  cluster.redis(3).Stop();
  std::string cursor;
  while (stream->Read(&p)) cursor = p.cursor();
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "could not be read after 5 attempts"))
      << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "resume with cursor " + cursor))
      << s.error_message();
  EXPECT_FALSE(p.done());

  ASSERT_TRUE(cluster.redis(2).Restart().ok());
  ASSERT_TRUE(cluster.redis(3).Restart().ok());
  ASSERT_TRUE(cluster.WaitHealth(0, true).ok());
  v1::RescanRequest resume;
  resume.set_cursor(cursor);
  resume.set_keys_per_second(1000000);
  resume.set_expected_epoch(1);
  auto ctx2 = Ctx(60000);
  auto stream2 = admin->Rescan(ctx2.get(), resume);
  while (stream2->Read(&p)) {
  }
  s = stream2->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message() << cluster.Logs();
  EXPECT_TRUE(p.done());
  EXPECT_EQ(RegistersOn(cluster.redis(3)).size(), static_cast<size_t>(kKeys));
}

}  // namespace
}  // namespace gryadka::integration
