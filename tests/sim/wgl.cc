#include "tests/sim/wgl.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"

namespace gryadka::sim {
namespace {

constexpr int kNone = -1;

// One invocation or response in the doubly linked lists the search walks (Lowe's algorithm).
// Known operations (calls and responses) are in the main list; calls of unknown operations are
// in a second list, tried only after every known candidate: most unknown operations never took
// effect, and a history with many of them stays cheap.
struct Entry {
  size_t op = 0;
  uint64_t pos = 0;
  bool is_call = false;
  bool unknown = false;
  int match = kNone;  // call of a known op: its response entry
  int prev = kNone;
  int next = kNone;
};

constexpr int kMainHead = 0;
constexpr int kUnknownHead = 1;

// A configuration of the search is (known ops linearized, unknown ops consumed, model state).
// Every configuration reached is remembered exactly, and is never explored twice. In addition,
// for each (known set, state) a few minimal consumed-unknown sets are kept: a configuration that
// consumed a superset of one of them is dominated (everything it can still do, the other can
// too) and is not explored. This collapses the many ways unknown ops can take effect and then be
// overwritten or deleted.
struct MemoKey {
  std::vector<uint64_t> known;
  ModelState state;
  bool after_unknown = false;  // the last op linearized is unknown (see SearchOp::resets_state)
  bool operator==(const MemoKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const MemoKey& k) {
    return H::combine(std::move(h), k.known, k.state.value, k.state.version, k.after_unknown);
  }
};

struct FullKey {
  std::vector<uint64_t> known;
  std::vector<uint64_t> consumed;
  ModelState state;
  bool after_unknown = false;
  bool operator==(const FullKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FullKey& k) {
    return H::combine(std::move(h), k.known, k.consumed, k.state.value, k.state.version,
                      k.after_unknown);
  }
};

// Minimal consumed sets kept per (known set, state); a bound on the cost of each lookup.
constexpr size_t kMinimalSetsMax = 8;

bool IsSubset(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] & ~b[i]) != 0) return false;
  }
  return true;
}

class Search {
 public:
  Search(const std::vector<SearchOp>& ops, StepFn step, const SearchBudget& budget)
      : ops_(ops), step_(step), budget_(budget), bit_(ops.size()) {
    size_t known = 0;
    size_t unknown = 0;
    for (size_t i = 0; i < ops.size(); ++i) bit_[i] = ops[i].unknown ? unknown++ : known++;
    known_.assign((known + 63) / 64, 0);
    consumed_.assign((unknown + 63) / 64, 0);
    // For each unknown op, the interchangeable one invoked just before it (kNone if none).
    twin_before_.assign(ops.size(), kNone);
    std::vector<size_t> order;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].unknown && ops[i].interchangeable_class != 0) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return ops[a].call_pos != ops[b].call_pos ? ops[a].call_pos < ops[b].call_pos : a < b;
    });
    absl::flat_hash_map<uint64_t, size_t> last_of_class;
    for (size_t i : order) {
      auto [it, inserted] = last_of_class.try_emplace(ops[i].interchangeable_class, i);
      if (!inserted) {
        twin_before_[i] = static_cast<int>(it->second);
        it->second = i;
      }
    }
    BuildLists();
  }

  SearchResult Run(const ModelState& initial) {
    SearchResult result;
    ModelState state = initial;
    size_t remaining_known = 0;
    for (const SearchOp& op : ops_) remaining_known += op.unknown ? 0 : 1;
    struct Frame {
      int entry;
      ModelState before;
      bool after_unknown_before;
    };
    std::vector<Frame> stack;
    bool have_best = false;
    size_t best_depth = 0;
    // The candidate to try next: a call in the main list before its first response, then the
    // unknown calls invoked before that response (`bound`).
    int e = entries_[kMainHead].next;
    bool in_unknown = false;
    uint64_t bound = 0;
    ModelState next_state;
    while (true) {
      if (remaining_known == 0) {
        result.verdict = Verdict::kLinearizable;
        break;
      }
      int candidate = kNone;
      if (!in_unknown) {
        if (e != kNone && entries_[e].is_call) {
          candidate = e;
        } else {
          in_unknown = true;
          bound = FirstResponsePos();
          e = entries_[kUnknownHead].next;
          continue;
        }
      } else if (e != kNone && entries_[e].pos < bound) {
        candidate = e;
      }
      if (candidate != kNone && twin_before_[entries_[candidate].op] != kNone &&
          !Consumed(static_cast<size_t>(twin_before_[entries_[candidate].op]))) {
        e = entries_[candidate].next;  // its earlier twin must take effect first
        continue;
      }
      if (candidate != kNone && after_unknown_ && ops_[entries_[candidate].op].resets_state) {
        e = entries_[candidate].next;  // the unknown op before it would be pointless
        continue;
      }
      if (candidate != kNone) {
        const size_t op = entries_[candidate].op;
        if (++result.steps > budget_.steps_max || memo_bytes_ > budget_.memo_bytes_max) {
          result.verdict = Verdict::kUnknown;
          break;
        }
        if (step_(state, op, &next_state)) {
          const bool unknown = ops_[op].unknown;
          // An unknown op without effect here is better left pending (dominance).
          if (!(unknown && next_state == state)) {
            SetBit(op, true);
            const bool after_unknown_before = after_unknown_;
            after_unknown_ = unknown;
            if (!Seen(next_state)) {
              stack.push_back(Frame{candidate, std::move(state), after_unknown_before});
              state = next_state;
              Lift(candidate);
              if (!unknown) --remaining_known;
              e = entries_[kMainHead].next;
              in_unknown = false;
              continue;
            }
            after_unknown_ = after_unknown_before;
            SetBit(op, false);
          }
        }
        e = entries_[candidate].next;
        continue;
      }
      // Every candidate before the first pending response failed: backtrack.
      if (!have_best || stack.size() > best_depth) {
        have_best = true;
        best_depth = stack.size();
        result.deepest_prefix.clear();
        for (const Frame& f : stack) result.deepest_prefix.push_back(entries_[f.entry].op);
        result.deepest_state = state;
        const int first_response = FirstResponse();
        result.blocking_op = first_response == kNone ? 0 : entries_[first_response].op;
      }
      if (stack.empty()) {
        result.verdict = Verdict::kViolation;
        break;
      }
      Frame f = std::move(stack.back());
      stack.pop_back();
      const size_t op = entries_[f.entry].op;
      SetBit(op, false);
      state = std::move(f.before);
      after_unknown_ = f.after_unknown_before;
      Unlift(f.entry);
      if (!ops_[op].unknown) ++remaining_known;
      e = entries_[f.entry].next;
      in_unknown = entries_[f.entry].unknown;
      if (in_unknown) bound = FirstResponsePos();
    }
    result.memo_entries = memo_entries_;
    return result;
  }

 private:
  void BuildLists() {
    struct Event {
      uint64_t pos;
      size_t op;
      bool is_call;
    };
    std::vector<Event> known;
    std::vector<Event> unknown;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].unknown) {
        unknown.push_back({ops_[i].call_pos, i, true});
      } else {
        known.push_back({ops_[i].call_pos, i, true});
        known.push_back({ops_[i].return_pos, i, false});
      }
    }
    auto by_pos = [](const Event& a, const Event& b) {
      return a.pos != b.pos ? a.pos < b.pos : (a.op != b.op ? a.op < b.op : a.is_call);
    };
    std::sort(known.begin(), known.end(), by_pos);
    std::sort(unknown.begin(), unknown.end(), by_pos);
    entries_.resize(2);
    std::vector<int> call_entry(ops_.size(), kNone);
    auto append = [&](int head, const std::vector<Event>& events) {
      int prev = head;
      for (const Event& ev : events) {
        const int idx = static_cast<int>(entries_.size());
        Entry en;
        en.op = ev.op;
        en.pos = ev.pos;
        en.is_call = ev.is_call;
        en.unknown = ops_[ev.op].unknown;
        en.prev = prev;
        entries_.push_back(en);
        entries_[prev].next = idx;
        if (ev.is_call) {
          call_entry[ev.op] = idx;
        } else {
          entries_[call_entry[ev.op]].match = idx;
        }
        prev = idx;
      }
    };
    append(kMainHead, known);
    append(kUnknownHead, unknown);
  }

  int FirstResponse() const {
    int e = entries_[kMainHead].next;
    while (e != kNone && entries_[e].is_call) e = entries_[e].next;
    return e;
  }
  uint64_t FirstResponsePos() const {
    const int e = FirstResponse();
    return e == kNone ? UINT64_MAX : entries_[e].pos;
  }

  void Unlink(int x) {
    entries_[entries_[x].prev].next = entries_[x].next;
    if (entries_[x].next != kNone) entries_[entries_[x].next].prev = entries_[x].prev;
  }
  void Relink(int x) {
    entries_[entries_[x].prev].next = x;
    if (entries_[x].next != kNone) entries_[entries_[x].next].prev = x;
  }
  void Lift(int call) {
    Unlink(call);
    if (entries_[call].match != kNone) Unlink(entries_[call].match);
  }
  void Unlift(int call) {
    if (entries_[call].match != kNone) Relink(entries_[call].match);
    Relink(call);
  }
  bool Consumed(size_t op) const {
    return (consumed_[bit_[op] / 64] >> (bit_[op] % 64)) & 1;
  }
  void SetBit(size_t op, bool on) {
    std::vector<uint64_t>& bits = ops_[op].unknown ? consumed_ : known_;
    const uint64_t mask = uint64_t{1} << (bit_[op] % 64);
    if (on) {
      bits[bit_[op] / 64] |= mask;
    } else {
      bits[bit_[op] / 64] &= ~mask;
    }
  }

  // Returns true if the configuration (known_, consumed_, state) was reached before or is
  // dominated by one that was; otherwise records it.
  bool Seen(const ModelState& state) {
    if (!exact_.insert(FullKey{known_, consumed_, state, after_unknown_}).second) return true;
    ++memo_entries_;
    memo_bytes_ += (known_.size() + consumed_.size()) * 8 + state.value.size() + 96;
    if (consumed_.empty()) return false;  // no unknown ops: exact memo only
    auto [it, inserted] = minimal_.try_emplace(MemoKey{known_, state, after_unknown_});
    if (inserted) memo_bytes_ += known_.size() * 8 + state.value.size() + 96;
    std::vector<std::vector<uint64_t>>& minimal = it->second;
    for (const std::vector<uint64_t>& c : minimal) {
      if (IsSubset(c, consumed_)) return true;
    }
    minimal.erase(std::remove_if(minimal.begin(), minimal.end(),
                                 [&](const std::vector<uint64_t>& c) {
                                   return IsSubset(consumed_, c);
                                 }),
                  minimal.end());
    if (minimal.size() < kMinimalSetsMax) {
      minimal.push_back(consumed_);
      memo_bytes_ += consumed_.size() * 8 + 24;
    }
    return false;
  }

  const std::vector<SearchOp>& ops_;
  StepFn step_;
  SearchBudget budget_;
  std::vector<size_t> bit_;           // op -> its bit in known_ or consumed_
  std::vector<int> twin_before_;      // op -> interchangeable unknown op invoked before it
  std::vector<Entry> entries_;
  std::vector<uint64_t> known_;       // known ops linearized
  std::vector<uint64_t> consumed_;    // unknown ops linearized (took effect)
  bool after_unknown_ = false;        // the last op linearized is unknown
  absl::flat_hash_set<FullKey> exact_;
  absl::flat_hash_map<MemoKey, std::vector<std::vector<uint64_t>>> minimal_;
  size_t memo_entries_ = 0;
  size_t memo_bytes_ = 0;  // approximate
};

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kViolation:
      return "NOT linearizable";
    case Verdict::kUnknown:
      return "unknown (search budget exhausted)";
  }
  return "?";
}

SearchResult SearchLinearization(const std::vector<SearchOp>& ops, const ModelState& initial,
                                 StepFn step, const SearchBudget& budget) {
  Search search(ops, step, budget);
  return search.Run(initial);
}

}  // namespace gryadka::sim
