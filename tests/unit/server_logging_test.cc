// The proposer's log helpers (proposer/server/logging.h, health_log.h) without a server:
// KeyForLog's escaping and bound, CountingLogLimiter's suppressed counts, HealthLog's
// transitions fed with synthetic health samples, and CaptureStderrAsJson in a child process
// (plain text from std::cerr, fprintf and Abseil's raw logging becomes JSON lines).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proposer/server/health_log.h"
#include "proposer/server/logging.h"

namespace gryadka::server {
namespace {

TEST(KeyForLogTest, EscapesNonPrintableBytesAndCutsLongKeysNamingTheirSize) {
  EXPECT_EQ(KeyForLog("plain-key", 64), "plain-key");
  EXPECT_EQ(KeyForLog(std::string("a\0b\n\xff\\", 6), 64), "a\\x00b\\n\\xff\\\\");
  EXPECT_EQ(KeyForLog("ключ\"", 64), "ключ\\\"");  // printable UTF-8 kept, as gryadkactl shows it
  EXPECT_EQ(KeyForLog(std::string(100, 'k'), 8), "kkkkkkkk...(100 bytes)");
  EXPECT_LE(KeyForLog(std::string(1000, '\x01'), 64).size(), 4u * 64 + 32);
}

TEST(CountingLogLimiterTest, CountsRefusedCallsUntilTheNextAllowedOne) {
  CountingLogLimiter limiter(60000);
  uint64_t suppressed = 99;
  ASSERT_TRUE(limiter.Allow(&suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Allow(&suppressed));
  CountingLogLimiter fast(0);  // period 0: every call allowed
  ASSERT_TRUE(fast.Allow(&suppressed));
  EXPECT_EQ(suppressed, 0u);
}

// Three acceptors a0..a2 (ids 0..2), majority quorums.
AppliedMembership ThreeAcceptors() {
  AppliedMembership m;
  m.addresses = {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"};
  m.members = {0, 1, 2};
  return m;
}

Shard::Snapshot Sample(std::vector<bool> up, std::vector<bool> known,
                       std::vector<std::string> errors) {
  Shard::Snapshot s;
  s.healthy = std::move(up);
  s.health_known = std::move(known);
  s.health_errors = std::move(errors);
  return s;
}

// The lines HealthLog writes for one Observe() call.
std::vector<std::string> Observe(HealthLog* log, const AppliedMembership& m,
                                 const Shard::Snapshot& s, bool serving, int64_t now_ms) {
  ::testing::internal::CaptureStderr();
  log->Observe(m, s, serving, now_ms);
  const std::string out = ::testing::internal::GetCapturedStderr();
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(out, '\n', absl::SkipEmpty())) lines.emplace_back(l);
  return lines;
}

TEST(HealthLogTest, NothingIsLoggedUntilEveryAcceptorHasAVerdictThenTheVerdictOnce) {
  HealthLog log(10000);
  const AppliedMembership m = ThreeAcceptors();
  const std::vector<std::string> none = {"", "", ""};
  EXPECT_TRUE(Observe(&log, m, Sample({false, false, false}, {false, false, false}, none), false, 0)
                  .empty());
  EXPECT_TRUE(Observe(&log, m, Sample({true, true, false}, {true, true, false}, none), true, 100)
                  .empty());
  auto lines = Observe(&log, m, Sample({true, true, true}, {true, true, true}, none), true, 200);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"acceptor quorum reachable: serving\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(
      lines[0], "\"reachable_acceptors\":\"10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379\""));
  EXPECT_TRUE(Observe(&log, m, Sample({true, true, true}, {true, true, true}, none), true, 300)
                  .empty());
}

TEST(HealthLogTest, AnAcceptorWithoutVerdictPastTheWaitCountsAsUnreachable) {
  HealthLog log(1000);
  const AppliedMembership m = ThreeAcceptors();
  const std::vector<std::string> none = {"", "", ""};
  EXPECT_TRUE(
      Observe(&log, m, Sample({true, false, false}, {true, false, false}, none), false, 0).empty());
  auto lines =
      Observe(&log, m, Sample({true, false, false}, {true, false, false}, none), false, 1000);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"level\":\"warning\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "no acceptor quorum reachable: not serving"));
  EXPECT_TRUE(absl::StrContains(lines[0], "10.0.0.2:6379: no health verdict yet")) << lines[0];
}

TEST(HealthLogTest, TransitionsAreLoggedOnceWithAddressReasonAndQuorumChange) {
  HealthLog log(10000);
  const AppliedMembership m = ThreeAcceptors();
  const std::vector<bool> all = {true, true, true};
  ASSERT_EQ(Observe(&log, m, Sample(all, all, {"", "", ""}), true, 0).size(), 1u);
  // a1 down: one line, repeated samples add nothing.
  const std::vector<std::string> refused = {"", "Connection refused", ""};
  auto lines = Observe(&log, m, Sample({true, false, true}, all, refused), true, 100);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"msg\":\"acceptor down\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "\"acceptor\":\"10.0.0.2:6379\""));
  EXPECT_TRUE(absl::StrContains(lines[0], "\"reason\":\"Connection refused\""));
  EXPECT_TRUE(Observe(&log, m, Sample({true, false, true}, all, refused), true, 200).empty());
  // a2 down too: its line, then quorum lost naming both.
  lines = Observe(&log, m, Sample({true, false, false}, all, {"", "Connection refused", "timeout"}),
                  false, 300);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"acceptor\":\"10.0.0.3:6379\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[1], "acceptor quorum lost: not serving")) << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[1], "\"unreachable_acceptors\":\"10.0.0.2:6379,10.0.0.3:6379\""));
  EXPECT_TRUE(absl::StrContains(lines[1], "\"reachable_acceptors\":\"10.0.0.1:6379\""));
  EXPECT_TRUE(absl::StrContains(lines[1], "\"was_serving_ms\":\"300\"")) << lines[1];
  // a1 back: up, then quorum regained.
  lines = Observe(&log, m, Sample({true, true, false}, all, {"", "", "timeout"}), true, 500);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"msg\":\"acceptor up\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "\"was_down_ms\":\"400\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[1], "acceptor quorum regained: serving")) << lines[1];
}

TEST(HealthLogTest, AnAcceptorThatJoinsLaterIsLoggedUpAndOneThatLeftIsForgotten) {
  HealthLog log(10000);
  AppliedMembership m = ThreeAcceptors();
  const std::vector<bool> all = {true, true, true};
  ASSERT_EQ(Observe(&log, m, Sample(all, all, {"", "", ""}), true, 0).size(), 1u);
  m.addresses.push_back("10.0.0.4:6379");
  m.members = {1, 2, 3};
  m.membership.set_epoch(1);
  auto lines = Observe(&log, m, Sample({true, true, true, true}, {true, true, true, true},
                                       {"", "", "", ""}), true, 100);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"msg\":\"acceptor up\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "\"acceptor\":\"10.0.0.4:6379\""));
  EXPECT_TRUE(absl::StrContains(lines[0], "\"epoch\":\"1\""));
  // The acceptor that left is not reported down when its connection closes.
  EXPECT_TRUE(Observe(&log, m, Sample({false, true, true, true}, {true, true, true, true},
                                      {"closed", "", "", ""}), true, 200)
                  .empty());
}

TEST(CaptureStderrAsJsonTest, PlainTextFromCerrFprintfAndAbseilRawLogBecomesJsonLines) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    CaptureStderrAsJson();
    Log(LogLevel::kInfo, "ours");
    std::cerr << "ERROR: from cerr" << std::endl;
    std::fprintf(stderr, "from \"fprintf\"\n");
    ABSL_RAW_LOG(WARNING, "from raw log %d", 7);
    std::exit(0);  // the lines still in the pipe are logged at exit
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out;
  for (const std::string& l : lines) {
    EXPECT_TRUE(absl::StartsWith(l, "{\"ts\":\"") && absl::EndsWith(l, "}")) << l;
  }
  EXPECT_TRUE(absl::StrContains(out, "\"level\":\"error\",\"msg\":\"ERROR: from cerr\",\"source\":\"stderr\""))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"msg\":\"from \\\"fprintf\\\"\",\"source\":\"stderr\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, "from raw log 7")) << out;
}

}  // namespace
}  // namespace gryadka::server
