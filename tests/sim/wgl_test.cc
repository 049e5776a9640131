// The generic linearizability search on a toy register (write v / read -> v), independent of the
// op registry: real-time order, unknown outcomes, memoisation and the budget.
#include "tests/sim/wgl.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gryadka::sim {
namespace {

struct ToyOp {
  bool write = false;
  bool reset = false;  // back to the initial state {"", 0} whatever the state before
  std::string value;   // written, or the value the read returned
};

class ToyHistory {
 public:
  // Positions are assigned in the order of these calls.
  size_t Call(bool write, std::string value) {
    ops_.push_back({write, false, std::move(value)});
    SearchOp s;
    s.call_pos = ++pos_;
    s.unknown = true;  // until it returns
    search_.push_back(s);
    return ops_.size() - 1;
  }
  // An op whose effect ignores the state before (SearchOp::resets_state when `declared`).
  size_t CallReset(bool declared = true) {
    const size_t i = Call(false, "");
    ops_[i].reset = true;
    search_[i].resets_state = declared;
    return i;
  }
  void Return(size_t i) {
    search_[i].return_pos = ++pos_;
    search_[i].unknown = false;
  }
  SearchResult Check(SearchBudget budget = {}) const {
    return SearchLinearization(
        search_, ModelState{},
        [&](const ModelState& before, size_t i, ModelState* after) {
          const ToyOp& op = ops_[i];
          *after = before;
          if (op.reset) {
            *after = ModelState{};
            return true;
          }
          if (op.write) {
            after->value = op.value;
            after->version = before.version + 1;
            return true;
          }
          return search_[i].unknown || before.value == op.value;
        },
        budget);
  }

 private:
  std::vector<ToyOp> ops_;
  std::vector<SearchOp> search_;
  uint64_t pos_ = 0;
};

TEST(Wgl, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(ToyHistory().Check().verdict, Verdict::kLinearizable);
}

TEST(Wgl, ReadAfterWriteSeesIt) {
  ToyHistory h;
  h.Return(h.Call(true, "a"));
  h.Return(h.Call(false, "a"));
  EXPECT_EQ(h.Check().verdict, Verdict::kLinearizable);
}

TEST(Wgl, ReadOfAValueNeverWrittenIsAViolation) {
  ToyHistory h;
  h.Return(h.Call(true, "a"));
  h.Return(h.Call(false, "zzz"));
  const SearchResult r = h.Check();
  EXPECT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.blocking_op, 1u);
  EXPECT_EQ(r.deepest_prefix, std::vector<size_t>{0});
}

TEST(Wgl, ConcurrentReadMaySeeOldOrNew) {
  for (const char* seen : {"", "a"}) {
    ToyHistory h;
    const size_t w = h.Call(true, "a");
    const size_t r = h.Call(false, seen);
    h.Return(r);
    h.Return(w);
    EXPECT_EQ(h.Check().verdict, Verdict::kLinearizable) << seen;
  }
}

TEST(Wgl, StaleReadAfterCompletedWriteIsAViolation) {
  ToyHistory h;
  h.Return(h.Call(true, "a"));
  h.Return(h.Call(true, "b"));
  h.Return(h.Call(false, "a"));
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, ReadsMustAgreeOnOrderOfConcurrentWrites) {
  // Two concurrent writes; one reader sees a then b, another sees b then a: no single order.
  ToyHistory h;
  const size_t wa = h.Call(true, "a");
  const size_t wb = h.Call(true, "b");
  h.Return(h.Call(false, "a"));
  h.Return(h.Call(false, "b"));
  h.Return(h.Call(false, "a"));
  h.Return(wa);
  h.Return(wb);
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, UnknownWriteMayTakeEffectLateOrNever) {
  ToyHistory seen_late;
  seen_late.Call(true, "a");  // never returns
  seen_late.Return(seen_late.Call(false, ""));
  seen_late.Return(seen_late.Call(false, "a"));
  EXPECT_EQ(seen_late.Check().verdict, Verdict::kLinearizable);

  ToyHistory never;
  never.Call(true, "a");
  never.Return(never.Call(false, ""));
  EXPECT_EQ(never.Check().verdict, Verdict::kLinearizable);
}

TEST(Wgl, UnknownWriteCannotTakeEffectBeforeItsInvocation) {
  ToyHistory h;
  h.Return(h.Call(false, "a"));
  h.Call(true, "a");  // invoked after the read returned
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, UnknownWriteTakesEffectOnce) {
  ToyHistory h;
  h.Call(true, "a");
  h.Return(h.Call(false, "a"));
  h.Return(h.Call(true, "b"));
  h.Return(h.Call(false, "a"));  // "a" cannot come back after "b" overwrote it
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, BudgetExhaustedIsUnknownNotAnAnswer) {
  ToyHistory h;
  std::vector<size_t> writes;
  for (int i = 0; i < 12; ++i) writes.push_back(h.Call(true, std::to_string(i)));
  h.Return(h.Call(false, "never"));
  for (size_t w : writes) h.Return(w);
  SearchBudget tiny;
  tiny.steps_max = 50;
  EXPECT_EQ(h.Check(tiny).verdict, Verdict::kUnknown);
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, UnknownWriteBeforeAResetIsLeftOutAndStillMayTakeEffectAfterIt) {
  ToyHistory h;
  h.Return(h.Call(true, "a"));
  h.Call(true, "b");  // never returns
  h.Return(h.CallReset());
  h.Return(h.Call(false, ""));
  EXPECT_EQ(h.Check().verdict, Verdict::kLinearizable);
  h.Return(h.Call(false, "b"));  // b took effect after the reset
  EXPECT_EQ(h.Check().verdict, Verdict::kLinearizable);
  h.Return(h.Call(false, ""));  // but only once: nothing resets it again
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, UnknownWriteSeenBeforeAResetIsGoneAfterIt) {
  ToyHistory h;
  h.Call(true, "b");  // never returns
  h.Return(h.Call(false, "b"));
  h.Return(h.CallReset());
  h.Return(h.Call(false, ""));
  EXPECT_EQ(h.Check().verdict, Verdict::kLinearizable);
  h.Return(h.Call(false, "b"));  // b took effect before the first read: once only
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

TEST(Wgl, ResetsThatIgnoreTheStateSpareTheSearchTheSubsetsOfUnknownWritesBeforeThem) {
  // Ten unknown writes and an unknown reset, then reads that cannot all be explained: the search
  // must try everything. Declaring the reset lets it skip every subset of writes before it.
  auto history = [](bool declared) {
    ToyHistory h;
    for (int i = 0; i < 10; ++i) h.Call(true, std::to_string(i));
    h.CallReset(declared);
    h.Return(h.Call(false, ""));
    h.Return(h.Call(false, "never written"));
    return h;
  };
  const SearchResult plain = history(false).Check();
  const SearchResult declared = history(true).Check();
  EXPECT_EQ(plain.verdict, Verdict::kViolation);
  EXPECT_EQ(declared.verdict, Verdict::kViolation);
  EXPECT_LT(declared.steps * 2, plain.steps);
}

TEST(Wgl, LongHistoryWithOverlapsIsFast) {
  // 3 overlapping writer/reader pairs per step, 2000 steps: 8000 ops, one object.
  ToyHistory h;
  std::string last;
  for (int i = 0; i < 2000; ++i) {
    const std::string v = std::to_string(i);
    const size_t w = h.Call(true, v);
    const size_t r1 = h.Call(false, last);
    const size_t r2 = h.Call(false, v);
    h.Return(w);
    h.Return(r1);
    h.Return(r2);
    h.Return(h.Call(false, v));
    last = v;
  }
  const SearchResult ok = h.Check();
  EXPECT_EQ(ok.verdict, Verdict::kLinearizable);
  EXPECT_LT(ok.steps, 200'000u);
  h.Return(h.Call(false, "1998"));  // stale at the very end
  EXPECT_EQ(h.Check().verdict, Verdict::kViolation);
}

}  // namespace
}  // namespace gryadka::sim
