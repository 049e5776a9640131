// Micro-benchmarks of the Redis acceptor's reply parsing (acceptor_adapter/redis_reply.h), the
// one separable pure function of the Redis path. Building the EVALSHA arguments happens inside
// RedisAcceptor::Issue (private, tied to a live hiredis context), so it has no benchmark here.
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "acceptor_adapter/redis_reply.h"
#include "benchmark/benchmark.h"
#include "proposer/core/ballot.h"

namespace gryadka::acceptor {
namespace {

// A hand-built hiredis reply tree: an array of bulk strings.
class FakeArrayReply {
 public:
  explicit FakeArrayReply(std::vector<std::string> items) : items_(std::move(items)) {
    for (std::string& s : items_) {
      redisReply e{};
      e.type = REDIS_REPLY_STRING;
      e.str = s.data();
      e.len = s.size();
      elements_.push_back(e);
    }
    for (redisReply& e : elements_) pointers_.push_back(&e);
    root_.type = REDIS_REPLY_ARRAY;
    root_.elements = pointers_.size();
    root_.element = pointers_.data();
  }
  const redisReply& root() const { return root_; }

 private:
  std::vector<std::string> items_;
  std::vector<redisReply> elements_;
  std::vector<redisReply*> pointers_;
  redisReply root_{};
};

void BM_ParseScriptReply_PrepareOk(benchmark::State& state) {
  const FakeArrayReply reply({"ok", core::Ballot{41, 0xabcdef0000000001ULL}.Encode(),
                              std::string(state.range(0), 'v')});
  const ScriptCallContext ctx{core::AcceptorRequest::Kind::kPrepare, "gryadka:bench:1",
                              "redis 127.0.0.1:6379"};
  core::AcceptorReply out;
  for (auto _ : state) {
    ParseScriptReply(reply.root(), ctx, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseScriptReply_PrepareOk)->Arg(16)->Arg(1024);

void BM_ParseScriptReply_AcceptOk(benchmark::State& state) {
  const FakeArrayReply reply({"ok"});
  const ScriptCallContext ctx{core::AcceptorRequest::Kind::kAccept, "gryadka:bench:1",
                              "redis 127.0.0.1:6379"};
  core::AcceptorReply out;
  for (auto _ : state) {
    ParseScriptReply(reply.root(), ctx, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseScriptReply_AcceptOk);

void BM_ParseScriptReply_Conflict(benchmark::State& state) {
  const FakeArrayReply reply({"conflict", core::Ballot{99, 0x1234000000000002ULL}.Encode()});
  const ScriptCallContext ctx{core::AcceptorRequest::Kind::kAccept, "gryadka:bench:1",
                              "redis 127.0.0.1:6379"};
  core::AcceptorReply out;
  for (auto _ : state) {
    ParseScriptReply(reply.root(), ctx, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ParseScriptReply_Conflict);

}  // namespace
}  // namespace gryadka::acceptor
