// The proposer server's membership pieces without a server: the flag and JSON sources, the polled
// file (including a Kubernetes-ConfigMap-style `..data` symlink swap), the running membership's
// adoption rules and acceptor registry, fence notices, and the rescan cursor.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "proposer/core/membership.h"
#include "proposer/server/membership_feeds.h"
#include "proposer/server/membership_source.h"
#include "proposer/server/rescan.h"
#include "proposer/server/running_membership.h"
#include "tests/support/scoped_temp_dir.h"

namespace gryadka::server {
namespace {

namespace fs = std::filesystem;

v1::Membership Majority(std::vector<std::string> acceptors, uint64_t epoch) {
  return core::MajorityMembership(acceptors, epoch);
}

std::string Json(uint64_t epoch, const std::string& acceptors_json, int quorum = 0) {
  return "{\"epoch\": \"" + std::to_string(epoch) + "\", \"prepare\": {\"acceptors\": [" +
         acceptors_json + "], \"quorum\": " + std::to_string(quorum) +
         "}, \"accept\": {\"acceptors\": [" + acceptors_json + "]}}";
}

using test_support::ScopedTempDir;

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

TEST(MembershipSourceTest, FlagsGiveAnEpochZeroMembershipWithTheSubsetsAndQuorums) {
  ServerOptions o;
  o.acceptors = {{"10.0.0.1", 1}, {"10.0.0.2", 2}, {"10.0.0.3", 3}, {"10.0.0.4", 4}};
  o.accept_acceptors = {{"10.0.0.1", 1}, {"10.0.0.2", 2}, {"10.0.0.3", 3}};
  o.prepare_quorum = 3;
  auto m = MembershipFromOptions(o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->epoch(), 0u);
  EXPECT_EQ(m->prepare().acceptors_size(), 4);
  EXPECT_EQ(core::EffectiveQuorum(m->prepare()), 3);
  EXPECT_EQ(m->accept().acceptors_size(), 3);
  EXPECT_EQ(core::EffectiveQuorum(m->accept()), 2);
}

TEST(MembershipSourceTest, FlagsWithQuorumsThatDoNotIntersectAreRefusedNamingTheSets) {
  ServerOptions o;
  o.acceptors = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  o.prepare_quorum = 2;
  o.accept_quorum = 2;
  auto m = MembershipFromOptions(o);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StrContains(m.status().message(), "a:1, b:2, c:3, d:4")) << m.status();
}

TEST(MembershipSourceTest, JsonWithNonIntersectingQuorumsIsInvalidNamingTheSets) {
  auto m = ParseMembershipJson(Json(1, "\"a:1\", \"b:2\", \"c:3\", \"d:4\"", 1));
  ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(m.status().message(), "do not always intersect")) << m.status();
  EXPECT_TRUE(absl::StrContains(m.status().message(), "[a:1, b:2, c:3, d:4]")) << m.status();
}

TEST(MembershipSourceTest, JsonThatIsNotAMembershipOrNamesABadAddressIsInvalid) {
  EXPECT_EQ(ParseMembershipJson("{\"epoch\": 1, \"colour\": 2}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMembershipJson("not json").status().code(), absl::StatusCode::kInvalidArgument);
  auto m = ParseMembershipJson(Json(1, "\"a:1\", \"b\", \"c:3\""));
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StrContains(m.status().message(), "'b' is not HOST:PORT")) << m.status();
}

TEST(MembershipSourceTest, BracketedIpv6AddressesLoseTheirBracketsForConnecting) {
  auto hp = AcceptorHostPort("[::1]:6379");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 6379);
}

TEST(MembershipSourceTest, MembershipFileExcludesTheAcceptorFlags) {
  ServerOptions o;
  o.membership_file = "/etc/gryadka/membership.json";
  EXPECT_TRUE(CheckMembershipOptions(o).ok());
  o.accept_quorum = 2;
  absl::Status s = CheckMembershipOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "--membership_file excludes --acceptors")) << s;
  o.accept_quorum = 0;
  o.membership_file_poll_ms = 0;
  EXPECT_TRUE(absl::StrContains(CheckMembershipOptions(o).message(), "--membership_file_poll_ms"));
}

TEST(MembershipFileTest, ReportsAChangeOnlyWhenTheContentChanges) {
  ScopedTempDir dir("gryadka_membership_");
  const fs::path file = dir.path() / "membership.json";
  WriteFile(file, Json(1, "\"a:1\", \"b:2\", \"c:3\""));
  MembershipFile f(file.string());
  MembershipFile::Poll p = f.PollOnce();
  ASSERT_TRUE(p.changed);
  ASSERT_TRUE(p.membership.ok()) << p.membership.status();
  EXPECT_EQ(p.membership->epoch(), 1u);
  EXPECT_FALSE(f.PollOnce().changed);
  WriteFile(file, Json(2, "\"a:1\", \"b:2\", \"c:3\""));
  p = f.PollOnce();
  ASSERT_TRUE(p.changed);
  EXPECT_EQ(p.membership->epoch(), 2u);
}

TEST(MembershipFileTest, FollowsAConfigMapStyleDataSymlinkSwap) {
  // Kubernetes: membership.json -> ..data/membership.json, ..data -> ..2024_v1 (a directory);
  // an update writes ..2024_v2 and renames a new symlink over ..data.
  ScopedTempDir dir("gryadka_membership_");
  const fs::path root = dir.path();
  fs::create_directory(root / "..v1");
  WriteFile(root / "..v1" / "membership.json", Json(1, "\"a:1\", \"b:2\", \"c:3\""));
  fs::create_directory_symlink("..v1", root / "..data");
  fs::create_symlink("..data/membership.json", root / "membership.json");
  MembershipFile f((root / "membership.json").string());
  ASSERT_EQ(f.PollOnce().membership->epoch(), 1u);

  fs::create_directory(root / "..v2");
  WriteFile(root / "..v2" / "membership.json", Json(2, "\"a:1\", \"b:2\", \"c:3\", \"d:4\""));
  fs::create_directory_symlink("..v2", root / "..data_tmp");
  fs::rename(root / "..data_tmp", root / "..data");  // atomic swap of the symlink
  fs::remove_all(root / "..v1");
  MembershipFile::Poll p = f.PollOnce();
  ASSERT_TRUE(p.changed);
  ASSERT_TRUE(p.membership.ok()) << p.membership.status();
  EXPECT_EQ(p.membership->epoch(), 2u);
  EXPECT_EQ(p.membership->accept().acceptors_size(), 4);
}

TEST(MembershipFileTest, AMissingFileIsReportedOnceNamingThePath) {
  ScopedTempDir dir("gryadka_membership_");
  MembershipFile f((dir.path() / "absent.json").string());
  MembershipFile::Poll p = f.PollOnce();
  ASSERT_TRUE(p.changed);
  EXPECT_TRUE(absl::StrContains(p.membership.status().message(), "absent.json"));
  EXPECT_FALSE(f.PollOnce().changed);
}

class RunningMembershipTest : public ::testing::Test {
 protected:
  RunningMembershipTest()
      : running_(core::ProposerConfig{}, {"a:1", "b:2", "c:3"}, Majority({"a:1", "b:2", "c:3"}, 0),
                 "flags") {
    running_.SetListener([this](std::shared_ptr<const AppliedMembership> m) { posted_.push_back(m); });
  }
  RunningMembership running_;
  std::vector<std::shared_ptr<const AppliedMembership>> posted_;
};

TEST_F(RunningMembershipTest, AHigherEpochIsAdoptedAndPostedWithStableIdsForKnownAddresses) {
  ASSERT_TRUE(running_.Adopt(Majority({"b:2", "c:3", "d:4"}, 1), "admin").ok());
  ASSERT_EQ(posted_.size(), 1u);
  const AppliedMembership& m = *posted_[0];
  EXPECT_EQ(m.source, "admin");
  EXPECT_EQ(m.config.epoch, 1u);
  ASSERT_EQ(m.addresses.size(), 4u);  // a:1 keeps its id although it left
  EXPECT_EQ(m.addresses[3], "d:4");
  EXPECT_EQ(m.config.prepare_set, (std::vector<core::AcceptorId>{1, 2, 3}));
  EXPECT_EQ(m.members, (std::vector<core::AcceptorId>{1, 2, 3}));
  EXPECT_EQ(m.config.num_acceptors, 4);
  EXPECT_TRUE(m.config.Validate().ok()) << m.config.Validate();
  // a:1 comes back under its old id.
  ASSERT_TRUE(running_.Adopt(Majority({"a:1", "c:3", "d:4"}, 2), "admin").ok());
  EXPECT_EQ(running_.Current()->config.prepare_set, (std::vector<core::AcceptorId>{0, 2, 3}));
}

TEST_F(RunningMembershipTest, AStaleExpectedEpochFailsNamingBothEpochs) {
  absl::Status s = running_.Adopt(Majority({"a:1", "b:2", "c:3"}, 5), "admin", 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "expected_epoch 3 is not the running epoch 0")) << s;
  EXPECT_TRUE(posted_.empty());
}

TEST_F(RunningMembershipTest, TheSameOrALowerEpochIsNotAdopted) {
  ASSERT_TRUE(running_.Adopt(Majority({"a:1", "b:2", "c:3"}, 4), "admin").ok());
  absl::Status s = running_.Adopt(Majority({"a:1", "b:2", "d:4"}, 4), "admin");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "epoch 4 must be higher than the running epoch 4")) << s;
  EXPECT_EQ(running_.Adopt(Majority({"a:1", "b:2", "c:3"}, 2), "admin").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(posted_.size(), 1u);
  EXPECT_EQ(running_.epoch(), 4u);
}

TEST_F(RunningMembershipTest, AnInvalidMembershipIsRefusedWithInvalidArgument) {
  v1::Membership m = Majority({"a:1", "b:2", "c:3", "d:4"}, 1);
  m.mutable_prepare()->set_quorum(2);
  m.mutable_accept()->set_quorum(2);
  absl::Status s = running_.Adopt(m, "admin");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "2 of [a:1, b:2, c:3, d:4]")) << s;
}

TEST_F(RunningMembershipTest, TheFilePollerAdoptsAHigherEpochAndIgnoresAnEqualOneWithOtherContent) {
  ScopedTempDir dir("gryadka_membership_");
  const fs::path file = dir.path() / "m.json";
  WriteFile(file, Json(0, "\"a:1\", \"b:2\", \"c:3\""));
  MembershipFile f(file.string());
  MembershipFilePoller::PollAndAdopt(f, &running_);  // epoch 0 = the running one: no change
  EXPECT_TRUE(posted_.empty());
  WriteFile(file, Json(1, "\"a:1\", \"b:2\", \"d:4\""));
  MembershipFilePoller::PollAndAdopt(f, &running_);
  ASSERT_EQ(posted_.size(), 1u);
  EXPECT_EQ(posted_[0]->source, "file " + file.string());
  WriteFile(file, Json(1, "\"a:1\", \"b:2\", \"c:3\""));  // same epoch, other content
  MembershipFilePoller::PollAndAdopt(f, &running_);
  WriteFile(file, "{ broken");
  MembershipFilePoller::PollAndAdopt(f, &running_);
  EXPECT_EQ(posted_.size(), 1u);
  EXPECT_EQ(running_.Current()->membership.accept().acceptors(2), "d:4");
}

TEST_F(RunningMembershipTest, AFenceNoticeWithAHigherEpochIsAdoptedFromTheAcceptor) {
  core::FenceNotice n;
  n.epoch = 3;
  n.config = Majority({"a:1", "b:2", "c:3", "d:4"}, 3).SerializeAsString();
  n.acceptor = 1;
  AdoptFenceNotice(&running_, n, "b:2");
  ASSERT_EQ(posted_.size(), 1u);
  EXPECT_EQ(posted_[0]->source, "acceptor b:2");
  EXPECT_EQ(running_.epoch(), 3u);
  n.epoch = 7;
  n.config = "not a membership";
  AdoptFenceNotice(&running_, n, "b:2");
  EXPECT_EQ(running_.epoch(), 3u);
}

TEST(RescanCursorTest, FormatsAndParsesBack) {
  RescanCursor c;
  c.epoch = 7;
  c.done = {2, 0};
  c.current = 1;
  c.scan_cursor = "12345";
  const std::string text = FormatRescanCursor(c);
  EXPECT_EQ(text, "v1:7:2.0:1:12345");
  auto back = ParseRescanCursor(text, 3);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);
  auto start = ParseRescanCursor(FormatRescanCursor(RescanCursor{}), 3);
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(*start, RescanCursor{});
}

TEST(RescanCursorTest, MalformedCursorsAreInvalidNamingWhatIsWrong) {
  auto msg = [](absl::string_view text) {
    auto c = ParseRescanCursor(text, 3);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(c.status().message());
  };
  EXPECT_TRUE(absl::StrContains(msg("v2:1:-:-:0"), "expected v1:EPOCH"));
  EXPECT_TRUE(absl::StrContains(msg("v1:x:-:-:0"), "epoch is not a number"));
  EXPECT_TRUE(absl::StrContains(msg("v1:1:3:-:0"), "'3' is not a source index in 0..2"));
  EXPECT_TRUE(absl::StrContains(msg("v1:1:0.0:-:0"), "listed twice"));
  EXPECT_TRUE(absl::StrContains(msg("v1:1:0:0:5"), "both done and current"));
  EXPECT_TRUE(absl::StrContains(msg("v1:1:-:1:-5"), "not a decimal number"));
  EXPECT_TRUE(absl::StrContains(msg("v1:1:-:-:5"), "without a current source"));
  EXPECT_TRUE(absl::StrContains(msg(std::string(5000, 'v')), "longer than"));
}

}  // namespace
}  // namespace gryadka::server
