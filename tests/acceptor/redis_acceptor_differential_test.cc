// The Lua scripts against their in-memory twin: random prepare/accept sequences (seeded, fixed
// PRNG) with random epochs, and random fences between them (RedisAdminConnection::Fence vs
// MemoryAcceptor::Fence), go to a RedisAcceptor on a real redis-server and to a MemoryAcceptor;
// every reply, every fence state, the final stored registers and the meta record must be
// identical.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "acceptor_adapter/memory_acceptor.h"
#include "acceptor_adapter/redis_admin.h"
#include "acceptor_adapter/redis_reply.h"
#include "proposer/core/random.h"
#include "tests/acceptor/redis_acceptor_harness.h"

namespace gryadka::acceptor {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;
using core::Random;

constexpr uint64_t kSequences = 16;        // seeds 1..kSequences
constexpr int kCallsPerSequence = 250;
constexpr int kBatchMax = 16;              // requests sent in one loop turn (pipelined)
constexpr int kPipelineCalls = 10000;
constexpr int64_t kPipelineTimeoutMs = 60000;
constexpr int64_t kAdminTimeoutMs = 10000;
// Epochs of requests are within 1 of the current fence; a fence between batches (with this
// chance) tries an epoch within [fence - 1, fence + 2], so it rises, stays or is refused.
constexpr double kFenceChance = 0.15;
const std::string kForeignKey = "foreign";

// Counters in [base, base + 3] and ids in [0, 2], so equal and conflicting ballots are frequent
// while a rising `base` keeps fresh ballots coming; sometimes the zero ballot.
Ballot RandomBallot(Random& rng, uint64_t base) {
  if (rng.Chance(0.03)) return Ballot{};
  return Ballot{base + static_cast<uint64_t>(rng.Range(0, 3)),
                static_cast<uint64_t>(rng.Range(0, 2))};
}

// Empty, short binary with NULs, or (rarely) a few KiB.
std::string RandomValue(Random& rng) {
  if (rng.Chance(0.2)) return "";
  const size_t size = rng.Chance(0.05) ? 4096 : static_cast<size_t>(rng.Range(1, 24));
  std::string v(size, '\0');
  for (char& c : v) c = rng.Chance(0.25) ? '\0' : static_cast<char>(rng.Uniform(256));
  return v;
}

// An epoch in [fence - 1, fence + 1] (never below 0).
uint64_t EpochNear(Random& rng, uint64_t fence) {
  return fence + static_cast<uint64_t>(rng.Range(0, 2)) - (fence > 0 ? 1 : 0);
}

AcceptorRequest RandomRequest(Random& rng, uint64_t msg_id, uint64_t base,
                              const std::vector<std::string>& keys, uint64_t fence = 0) {
  std::string key = keys[rng.Uniform(keys.size())];
  const uint64_t epoch = EpochNear(rng, fence);
  if (rng.Chance(0.5)) {
    AcceptorRequest r = PrepareRequest(msg_id, std::move(key), RandomBallot(rng, base));
    r.epoch = epoch;
    return r;
  }
  const Ballot b = RandomBallot(rng, base);
  std::string value = RandomValue(rng);
  const Ballot next = rng.Chance(0.3) ? Ballot{} : RandomBallot(rng, base);
  AcceptorRequest r = AcceptRequest(msg_id, std::move(key), b, std::move(value), next);
  r.epoch = epoch;
  return r;
}

// Parameter: RedisAcceptorOptions::batch_calls_max — 1 (every call its own pipelined EVALSHA)
// or the default (the calls of a loop turn in one run of the batch script).
class RedisAcceptorDifferentialTest : public RedisAcceptorTest,
                                      public ::testing::WithParamInterface<size_t> {
 protected:
  // Sends `requests` in one loop turn, waits for all, compares with the oracle (in send order,
  // which is Redis's execution order on one connection).
  void SendBatchAndCompare(const std::vector<AcceptorRequest>& requests, MemoryAcceptor& oracle,
                           int64_t timeout_ms = kReplyWaitMs);
  // Compares every register the oracle knows with the HASH in Redis, and the key count.
  void CompareFinalState(const std::string& prefix, const MemoryAcceptor& oracle);
};

void RedisAcceptorDifferentialTest::SendBatchAndCompare(const std::vector<AcceptorRequest>& requests,
                                                        MemoryAcceptor& oracle,
                                                        int64_t timeout_ms) {
  for (const AcceptorRequest& r : requests) acceptor_->Send(r);
  ASSERT_EQ(replies_.size() + requests.size(), next_msg_id_ - 1)
      << "a reply arrived synchronously inside Send";
  ASSERT_TRUE(WaitReplies(requests.front().msg_id, requests.back().msg_id, timeout_ms));
  for (const AcceptorRequest& r : requests) {
    AcceptorReply want = oracle.Handle(r);
    want.acceptor = 7;
    const AcceptorReply& got = replies_.Get(r.msg_id);
    SCOPED_TRACE(absl::StrCat("msg ", r.msg_id, " key '", absl::CHexEscape(r.key), "' ",
                              r.kind == AcceptorRequest::Kind::kPrepare ? "prepare " : "accept ",
                              r.ballot.DebugString(), " next ", r.next.DebugString()));
    ASSERT_EQ(got.status, want.status) << "got " << Show(got) << "\nwant " << Show(want);
    EXPECT_EQ(got.acceptor, want.acceptor);
    if (want.status == AcceptorReply::Status::kInvalidState) {
      EXPECT_NE(got.error, "");
      continue;
    }
    EXPECT_EQ(got.fence_epoch, want.fence_epoch) << "got " << Show(got) << "\nwant " << Show(want);
    EXPECT_EQ(got.fence_config, want.fence_config);
    EXPECT_EQ(got.ballot, want.ballot) << "got " << Show(got) << "\nwant " << Show(want);
    EXPECT_EQ(got.value, want.value) << "got " << Show(got) << "\nwant " << Show(want);
  }
}

void RedisAcceptorDifferentialTest::CompareFinalState(const std::string& prefix,
                                                      const MemoryAcceptor& oracle) {
  int64_t stored = 0;
  if (oracle.min_epoch() > 0) {  // the meta record: the hash at exactly the prefix
    ++stored;
    EXPECT_EQ(Redis({"HGET", prefix, "e"}).str, EncodeEpoch(oracle.min_epoch()));
    EXPECT_EQ(Redis({"HGET", prefix, "c"}).str, oracle.config());
    EXPECT_EQ(Redis({"HLEN", prefix}).integer, 2);
  } else {
    EXPECT_EQ(Redis({"EXISTS", prefix}).integer, 0);
  }
  for (const auto& [key, slot] : oracle.slots()) {
    const std::string redis_key = prefix + key;
    SCOPED_TRACE(absl::StrCat("key '", absl::CHexEscape(redis_key), "'"));
    if (slot.foreign) {
      EXPECT_EQ(Redis({"TYPE", redis_key}).str, "string");
      ++stored;
      continue;
    }
    if (slot == MemoryAcceptor::Slot{}) {  // only ever conflicted: Redis never wrote it
      EXPECT_EQ(Redis({"EXISTS", redis_key}).integer, 0);
      continue;
    }
    ++stored;
    const process::RedisValue all = Redis({"HGETALL", redis_key});
    std::map<std::string, std::string> fields;
    for (size_t i = 0; i + 1 < all.elements.size(); i += 2) {
      fields[all.elements[i].str] = all.elements[i + 1].str;
    }
    MemoryAcceptor::Slot got;
    if (fields.count("p")) got.promised = Ballot::Decode(fields["p"]).value_or(Ballot{99, 99});
    if (fields.count("a")) got.accepted = Ballot::Decode(fields["a"]).value_or(Ballot{99, 99});
    got.value = fields["v"];
    EXPECT_EQ(got.promised, slot.promised);
    EXPECT_EQ(got.accepted, slot.accepted);
    EXPECT_EQ(got.value, slot.value);
    EXPECT_LE(fields.size(), 3u);
  }
  EXPECT_EQ(Redis({"KEYS", prefix + "*"}).elements.size(), static_cast<size_t>(stored));
}

TEST_P(RedisAcceptorDifferentialTest,
       RandomPrepareAcceptSequencesWithEpochsAndFencesMatchTheInMemoryAcceptor) {
  int fences_raised = 0;
  for (uint64_t seed = 1; seed <= kSequences; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::string prefix = absl::StrCat("diff", seed, ":");
    RedisAcceptorOptions options;
    options.key_prefix = prefix;
    options.batch_calls_max = GetParam();
    MakeAcceptor(options);
    Random rng(seed);
    MemoryAcceptor oracle;
    const std::vector<std::string> keys = {"k0", "k1", "k2", std::string("bin\0\xff\n", 6),
                                           kForeignKey};
    ASSERT_EQ(Redis({"SET", prefix + kForeignKey, "not a register"}).str, "OK");
    oracle.PutForeign(kForeignKey);
    absl::StatusOr<std::unique_ptr<RedisAdminConnection>> admin =
        RedisAdminConnection::Connect("127.0.0.1", redis_->port(), kAdminTimeoutMs, prefix);
    ASSERT_TRUE(admin.ok()) << admin.status();
    for (int sent = 0; sent < kCallsPerSequence;) {
      if (rng.Chance(kFenceChance)) {
        const uint64_t epoch = EpochNear(rng, oracle.min_epoch()) + (rng.Chance(0.5) ? 1 : 0);
        const std::string config = absl::StrCat("membership\0", seed, "/", epoch);
        const uint64_t before = oracle.min_epoch();
        const FenceState want = oracle.Fence(epoch, config);
        fences_raised += want.min_epoch > before;
        absl::StatusOr<FenceState> got = (*admin)->Fence(epoch, config);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, want) << "fence " << epoch;
      }
      const int batch = static_cast<int>(rng.Range(1, kBatchMax));
      std::vector<AcceptorRequest> requests;
      for (int i = 0; i < batch; ++i) {
        requests.push_back(
            RandomRequest(rng, NextId(), (sent + i) / 4, keys, oracle.min_epoch()));
      }
      ASSERT_NO_FATAL_FAILURE(SendBatchAndCompare(requests, oracle));
      sent += batch;
    }
    CompareFinalState(prefix, oracle);
  }
  // The sequences must exercise every outcome, else the comparison proves little.
  std::map<AcceptorReply::Status, int> seen;
  for (uint64_t id = 1; id < next_msg_id_; ++id) ++seen[replies_.Get(id).status];
  const int calls = static_cast<int>(kSequences) * kCallsPerSequence;
  EXPECT_GE(static_cast<int>(replies_.size()), calls);
  EXPECT_GT(seen[AcceptorReply::Status::kOk], calls / 10);
  EXPECT_GT(seen[AcceptorReply::Status::kConflict], calls / 10);
  EXPECT_GT(seen[AcceptorReply::Status::kInvalidState], calls / 20);
  EXPECT_GT(seen[AcceptorReply::Status::kFenced], calls / 20);
  EXPECT_GT(fences_raised, static_cast<int>(kSequences));
  EXPECT_EQ(seen[AcceptorReply::Status::kError], 0);
  std::cout << "statuses: ok " << seen[AcceptorReply::Status::kOk] << ", conflict "
            << seen[AcceptorReply::Status::kConflict] << ", invalid "
            << seen[AcceptorReply::Status::kInvalidState] << ", fenced "
            << seen[AcceptorReply::Status::kFenced] << "; fences raised " << fences_raised
            << "\n";
  EXPECT_EQ(replies_.duplicates(), 0);
}

TEST_P(RedisAcceptorDifferentialTest, TenThousandSendsInOneLoopTurnAllCompleteCorrectly) {
  RedisAcceptorOptions options;
  options.call_timeout_ms = kPipelineTimeoutMs;  // a slow shared machine must not time out
  options.batch_calls_max = GetParam();
  MakeAcceptor(options);
  ASSERT_TRUE(WaitHealthy(true));  // scripts loaded: every call below goes as EVALSHA
  Random rng(20240611);
  MemoryAcceptor oracle;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(absl::StrCat("pipe", i));
  std::vector<AcceptorRequest> requests;
  for (int i = 0; i < kPipelineCalls; ++i) {
    requests.push_back(RandomRequest(rng, NextId(), static_cast<uint64_t>(i / 50), keys));
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(SendBatchAndCompare(requests, oracle, kPipelineTimeoutMs));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::cout << kPipelineCalls << " pipelined calls took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  CompareFinalState("gryadka:", oracle);
  int ok = 0, conflict = 0;
  for (const AcceptorRequest& r : requests) {
    ok += replies_.Get(r.msg_id).status == AcceptorReply::Status::kOk;
    conflict += replies_.Get(r.msg_id).status == AcceptorReply::Status::kConflict;
  }
  EXPECT_GT(ok, kPipelineCalls / 10);
  EXPECT_GT(conflict, kPipelineCalls / 10);
  // One EVALSHA per call, or one per batch of batch_calls_max calls.
  const size_t evalshas = (kPipelineCalls + GetParam() - 1) / GetParam();
  const std::string stats = Redis({"INFO", "commandstats"}).str;
  EXPECT_NE(stats.find(absl::StrCat("cmdstat_evalsha:calls=", evalshas, ",")), std::string::npos)
      << stats;
  EXPECT_EQ(replies_.duplicates(), 0);
}

INSTANTIATE_TEST_SUITE_P(PipelinedAndBatched, RedisAcceptorDifferentialTest,
                         ::testing::Values(size_t{1}, RedisAcceptorOptions{}.batch_calls_max),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return info.param == 1 ? std::string("Pipelined")
                                                  : absl::StrCat("Batched", info.param);
                         });

}  // namespace
}  // namespace gryadka::acceptor
