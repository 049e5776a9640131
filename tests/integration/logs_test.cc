// The proposer's log as an operator reads it (docs/reliability.md, "Health log events"): real
// redis-server and gryadka-proposer processes, the proposer's stderr captured to a file and
// parsed line by line. Pins: every stderr line is a JSON object with ts/level/msg (a bad flag
// included); no warning before the first "serving" verdict at start; one Redis stopped gives
// exactly one "acceptor down" line with its address and a reason, restarted exactly one
// "acceptor up"; two stopped give "acceptor quorum lost" naming the reachable and unreachable
// addresses, restarted "acceptor quorum regained"; at --log_level=debug a burst of failing
// requests gives fewer "request failed" lines than failures, and the lines' suppressed counts
// account for every failure. Cost: about 20 s serially (5 clusters of 3 Redis + 1 proposer).
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace gryadka::integration {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kWaitMs = 15000;  // bound on waiting for a log line
constexpr int64_t kPollMs = 50;
// After a line appeared, how long to keep watching for a duplicate: longer than the Redis
// reconnect backoff (at most 1 s), so several failed reconnects and PINGs happen meanwhile.
constexpr int64_t kSettleMs = 2500;

struct LogLine {
  std::string raw;
  google::protobuf::Struct json;
  std::string Field(const std::string& name) const {
    auto it = json.fields().find(name);
    return it == json.fields().end() ? "" : it->second.string_value();
  }
};

// Every line of `path`; a line that is not a JSON object is added to *not_json.
std::vector<LogLine> ReadLog(const std::string& path, std::vector<std::string>* not_json) {
  std::ifstream in(path, std::ios::binary);
  std::vector<LogLine> out;
  for (std::string raw; std::getline(in, raw);) {
    LogLine line{raw, {}};
    if (!google::protobuf::util::JsonStringToMessage(raw, &line.json).ok()) {
      not_json->push_back(raw);
      continue;
    }
    out.push_back(std::move(line));
  }
  return out;
}

class LogsTest : public ::testing::Test {
 protected:
  void StartCluster(std::vector<std::string> flags = {}) {
    ClusterOptions o;
    // A stopped Redis is seen at once (its connection closes); a longer PING deadline than the
    // cluster's 300 ms keeps a loaded machine from adding "acceptor down" lines of its own.
    o.proposer_flags = {"--acceptor_timeout_ms=2000"};
    o.proposer_flags.insert(o.proposer_flags.end(), flags.begin(), flags.end());
    auto c = Cluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  std::string Address(int redis) const {
    return absl::StrCat("127.0.0.1:", cluster_->redis(redis).port());
  }

  // The proposer's log, asserting that every line is a JSON object with ts, level and msg.
  std::vector<LogLine> Log() {
    std::vector<std::string> not_json;
    std::vector<LogLine> lines = ReadLog(cluster_->proposer(0).log_path(), &not_json);
    for (const std::string& raw : not_json) ADD_FAILURE() << "not a JSON object: " << raw;
    for (const LogLine& l : lines) {
      for (const char* key : {"ts", "level", "msg"}) {
        EXPECT_FALSE(l.Field(key).empty()) << "no \"" << key << "\" in: " << l.raw;
      }
    }
    return lines;
  }

  static std::vector<LogLine> With(const std::vector<LogLine>& lines, const std::string& msg,
                                   const std::function<bool(const LogLine&)>& also = nullptr) {
    std::vector<LogLine> out;
    for (const LogLine& l : lines) {
      if (l.Field("msg") == msg && (!also || also(l))) out.push_back(l);
    }
    return out;
  }

  // Polls the log until a line with `msg` (and `also`) is there; returns all such lines.
  std::vector<LogLine> WaitFor(const std::string& msg,
                               const std::function<bool(const LogLine&)>& also = nullptr) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
    std::vector<std::string> ignored;
    while (Clock::now() < deadline) {
      auto found = With(ReadLog(cluster_->proposer(0).log_path(), &ignored), msg, also);
      if (!found.empty()) return found;
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
    ADD_FAILURE() << "no \"" << msg << "\" line within " << kWaitMs << " ms\n"
                  << cluster_->Logs();
    return {};
  }

  std::function<bool(const LogLine&)> AcceptorIs(int redis) const {
    return [a = Address(redis)](const LogLine& l) { return l.Field("acceptor") == a; };
  }

  std::unique_ptr<Cluster> cluster_;
};

std::vector<std::string> List(const std::string& csv) {
  return csv.empty() ? std::vector<std::string>{} : absl::StrSplit(csv, ',');
}

TEST_F(LogsTest, StartLogsNoWarningBeforeTheFirstServingVerdict) {
  StartCluster();
  WaitFor("acceptor quorum reachable: serving");
  const std::vector<LogLine> lines = Log();
  bool serving_seen = false;
  for (const LogLine& l : lines) {
    if (l.Field("msg") == "acceptor quorum reachable: serving") {
      EXPECT_FALSE(serving_seen) << "the first verdict is logged once: " << l.raw;
      serving_seen = true;
      EXPECT_EQ(List(l.Field("reachable_acceptors")).size(), 3u) << l.raw;
      EXPECT_EQ(l.Field("unreachable_acceptors"), "") << l.raw;
      continue;
    }
    if (!serving_seen) {
      EXPECT_NE(l.Field("level"), "warning") << "warning before the first verdict: " << l.raw;
      EXPECT_NE(l.Field("level"), "error") << "error before the first verdict: " << l.raw;
    }
  }
  EXPECT_TRUE(serving_seen);
  EXPECT_TRUE(With(lines, "no acceptor quorum reachable: not serving").empty());
}

TEST_F(LogsTest, OneAcceptorDownIsLoggedOnceWithAddressAndReasonAndUpOnceWhenBack) {
  StartCluster();
  WaitFor("acceptor quorum reachable: serving");
  cluster_->redis(1).Stop();
  WaitFor("acceptor down", AcceptorIs(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(kSettleMs));
  std::vector<LogLine> down = With(Log(), "acceptor down", AcceptorIs(1));
  ASSERT_EQ(down.size(), 1u) << cluster_->Logs();
  EXPECT_EQ(down[0].Field("level"), "warning");
  EXPECT_FALSE(down[0].Field("reason").empty()) << down[0].raw;
  // One acceptor of three: the quorum holds, so no quorum line.
  EXPECT_TRUE(With(Log(), "acceptor quorum lost: not serving").empty());

  ASSERT_TRUE(cluster_->redis(1).Restart().ok());
  WaitFor("acceptor up", AcceptorIs(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(kSettleMs));
  const std::vector<LogLine> lines = Log();
  std::vector<LogLine> up = With(lines, "acceptor up", AcceptorIs(1));
  ASSERT_EQ(up.size(), 1u) << cluster_->Logs();
  EXPECT_EQ(up[0].Field("level"), "info");
  EXPECT_EQ(With(lines, "acceptor down", AcceptorIs(1)).size(), 1u);
  // The other acceptors never changed.
  EXPECT_TRUE(With(lines, "acceptor down", AcceptorIs(0)).empty());
  EXPECT_TRUE(With(lines, "acceptor down", AcceptorIs(2)).empty());
}

TEST_F(LogsTest, TwoAcceptorsDownLogQuorumLostNamingAddressesThenRegained) {
  StartCluster();
  WaitFor("acceptor quorum reachable: serving");
  cluster_->redis(0).Stop();
  cluster_->redis(2).Stop();
  std::vector<LogLine> lost = WaitFor("acceptor quorum lost: not serving");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].Field("level"), "warning");
  const std::vector<std::string> unreachable = List(lost[0].Field("unreachable_acceptors"));
  EXPECT_EQ(unreachable.size(), 2u) << lost[0].raw;
  EXPECT_TRUE(absl::StrContains(lost[0].Field("unreachable_acceptors"), Address(0))) << lost[0].raw;
  EXPECT_TRUE(absl::StrContains(lost[0].Field("unreachable_acceptors"), Address(2))) << lost[0].raw;
  EXPECT_EQ(lost[0].Field("reachable_acceptors"), Address(1)) << lost[0].raw;
  EXPECT_TRUE(absl::StrContains(lost[0].Field("unreachable_reasons"), Address(0) + ": "))
      << lost[0].raw;
  EXPECT_FALSE(absl::StrContains(lost[0].raw, "mask")) << lost[0].raw;

  ASSERT_TRUE(cluster_->redis(0).Restart().ok());
  ASSERT_TRUE(cluster_->redis(2).Restart().ok());
  std::vector<LogLine> regained = WaitFor("acceptor quorum regained: serving");
  ASSERT_EQ(regained.size(), 1u);
  EXPECT_EQ(regained[0].Field("level"), "info");
  EXPECT_TRUE(absl::StrContains(regained[0].Field("reachable_acceptors"), Address(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(kSettleMs));
  const std::vector<LogLine> lines = Log();
  EXPECT_EQ(With(lines, "acceptor quorum lost: not serving").size(), 1u) << cluster_->Logs();
  EXPECT_EQ(With(lines, "acceptor quorum regained: serving").size(), 1u) << cluster_->Logs();
  for (int r : {0, 2}) {
    EXPECT_EQ(With(lines, "acceptor down", AcceptorIs(r)).size(), 1u) << cluster_->Logs();
    EXPECT_EQ(With(lines, "acceptor up", AcceptorIs(r)).size(), 1u) << cluster_->Logs();
  }
}

// Puts a key over --max_key_bytes (1024 by default): INVALID_ARGUMENT from the proposer.
grpc::Status PutOversizedKey(v1::KV::Stub* stub, const std::string& key) {
  v1::PutRequest req;
  req.set_key(key);
  req.set_value("v");
  v1::PutResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->Put(&ctx, req, &resp);
}

TEST_F(LogsTest, FailedRequestsAtDebugAreLoggedRateLimitedWithSuppressedCounts) {
  StartCluster({"--log_level=debug"});
  auto stub = cluster_->NewStub();
  const std::string key = "k\n" + std::string(2000, 'x');
  constexpr int kBurst = 40;
  for (int i = 0; i < kBurst; ++i) {
    ASSERT_EQ(PutOversizedKey(stub.get(), key).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  // One more after the rate limit's period: its line carries the burst's suppressed count.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_EQ(PutOversizedKey(stub.get(), key).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  constexpr int kFailures = kBurst + 1;

  const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
  std::vector<LogLine> failed;
  uint64_t accounted = 0;
  while (Clock::now() < deadline) {
    failed = With(Log(), "request failed");
    accounted = failed.size();
    for (const LogLine& l : failed) {
      uint64_t suppressed = 0;
      EXPECT_TRUE(absl::SimpleAtoi(l.Field("suppressed_since_last_line"), &suppressed)) << l.raw;
      accounted += suppressed;
    }
    if (accounted >= kFailures) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  ASSERT_GE(failed.size(), 2u) << cluster_->Logs();
  EXPECT_LT(failed.size(), static_cast<size_t>(kFailures)) << "not rate-limited";
  EXPECT_EQ(accounted, static_cast<uint64_t>(kFailures)) << "every failure is a line or counted";
  EXPECT_NE(failed.back().Field("suppressed_since_last_line"), "0") << failed.back().raw;
  for (const LogLine& l : failed) {
    EXPECT_EQ(l.Field("level"), "debug");
    EXPECT_EQ(l.Field("method"), "Put");
    EXPECT_EQ(l.Field("code"), "INVALID_ARGUMENT");
    EXPECT_FALSE(l.Field("error").empty());
    EXPECT_FALSE(l.Field("duration_ms").empty());
    // Escaped (the newline as \n, as gryadkactl shows it) and cut to a bounded number of
    // bytes, naming the full size.
    EXPECT_TRUE(absl::StartsWith(l.Field("key"), "k\\nxxx")) << l.raw;
    EXPECT_TRUE(absl::EndsWith(l.Field("key"), "...(2002 bytes)")) << l.raw;
    EXPECT_LT(l.Field("key").size(), 200u) << l.raw;
  }
}

TEST_F(LogsTest, AtInfoLevelFailedRequestsAreNotLogged) {
  StartCluster();
  auto stub = cluster_->NewStub();
  ASSERT_EQ(PutOversizedKey(stub.get(), std::string(2000, 'x')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(With(Log(), "request failed").empty());
}

TEST(LogsBadFlagTest, AnUnknownFlagIsReportedAsAJsonLine) {
  process::ProcessSpec spec;
  spec.binary = GRYADKA_PROPOSER_BIN;
  spec.name = "proposer";
  spec.args = {"--no_such_flag=1"};
  auto p = process::ProcessHandle::Start(spec);
  ASSERT_TRUE(p.ok()) << p.status();
  const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
  while ((*p)->Running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  ASSERT_FALSE((*p)->Running());
  const int status = (*p)->exit_status().value_or(-1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  std::vector<std::string> not_json;
  std::vector<LogLine> lines = ReadLog((*p)->log_path(), &not_json);
  EXPECT_TRUE(not_json.empty()) << "not JSON: " << not_json.front();
  ASSERT_FALSE(lines.empty());
  bool named = false;
  for (const LogLine& l : lines) {
    named = named || (l.Field("level") == "error" && absl::StrContains(l.Field("msg"), "no_such_flag"));
  }
  EXPECT_TRUE(named) << (*p)->LogTail();
}

}  // namespace
}  // namespace gryadka::integration
