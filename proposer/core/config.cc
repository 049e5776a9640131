#include "proposer/core/config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "proposer/core/quorum.h"

namespace gryadka::core {
namespace {

absl::Status CheckSet(const char* name, const std::vector<AcceptorId>& set, int quorum, int n) {
  if (set.empty()) return absl::InvalidArgumentError(absl::StrCat(name, " set is empty"));
  std::vector<AcceptorId> sorted = set;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " set lists an acceptor twice"));
  }
  if (sorted.front() < 0 || sorted.back() >= n) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " set names acceptor ", sorted.back(), " but there are only ", n));
  }
  if (quorum < 1 || quorum > static_cast<int>(set.size())) {
    return absl::InvalidArgumentError(absl::StrCat(name, " quorum ", quorum, " must be in 1..",
                                                   set.size(), " (the size of the ", name, " set)"));
  }
  return absl::OkStatus();
}

// True iff every prepare quorum (prepare_quorum members of prepare_set) shares a member with
// every accept quorum (accept_quorum members of accept_set).
bool QuorumsIntersect(const ProposerConfig& c) {
  std::vector<AcceptorId> p = c.prepare_set, a = c.accept_set, both;
  std::sort(p.begin(), p.end());
  std::sort(a.begin(), a.end());
  std::set_intersection(p.begin(), p.end(), a.begin(), a.end(), std::back_inserter(both));
  const int shared = static_cast<int>(both.size());
  return core::QuorumsIntersect(static_cast<int>(p.size()) - shared, c.prepare_quorum,
                                static_cast<int>(a.size()) - shared, c.accept_quorum, shared);
}

}  // namespace

absl::Status ProposerConfig::Validate() const {
  if (num_acceptors < 1) return absl::InvalidArgumentError("there must be at least one acceptor");
  if (auto s = CheckSet("prepare", prepare_set, prepare_quorum, num_acceptors); !s.ok()) return s;
  if (auto s = CheckSet("accept", accept_set, accept_quorum, num_acceptors); !s.ok()) return s;
  if (!allow_unsafe_quorums && !QuorumsIntersect(*this)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prepare quorum ", prepare_quorum, " of ", prepare_set.size(), " and accept quorum ",
        accept_quorum, " of ", accept_set.size(),
        " do not always intersect; such a configuration can lose acknowledged writes"));
  }
  if (round_timeout_ms <= 0) return absl::InvalidArgumentError("round_timeout_ms must be > 0");
  if (accept_hedge_ms <= 0) return absl::InvalidArgumentError("accept_hedge_ms must be > 0");
  if (straggler_timeout_ms <= 0) {
    return absl::InvalidArgumentError("straggler_timeout_ms must be > 0");
  }
  if (backoff_base_ms < 0 || backoff_max_ms < backoff_base_ms) {
    return absl::InvalidArgumentError("backoff must satisfy 0 <= backoff_base_ms <= backoff_max_ms");
  }
  if (unavailable_rounds_max < 1) return absl::InvalidArgumentError("unavailable_rounds_max must be >= 1");
  if (batch_ops_max < 1 || queue_per_key_max < 1 || requests_max < 1) {
    return absl::InvalidArgumentError("batch_ops_max, queue_per_key_max and requests_max must be >= 1");
  }
  if (limits.max_key_bytes < 1 || limits.max_value_bytes < 1) {
    return absl::InvalidArgumentError("max_key_bytes and max_value_bytes must be >= 1");
  }
  return absl::OkStatus();
}

ProposerConfig ProposerConfig::Majority(int num_acceptors) {
  ProposerConfig c;
  c.num_acceptors = num_acceptors;
  c.prepare_set.clear();
  for (int i = 0; i < num_acceptors; ++i) c.prepare_set.push_back(i);
  c.accept_set = c.prepare_set;
  c.prepare_quorum = c.accept_quorum = num_acceptors / 2 + 1;
  return c;
}

}  // namespace gryadka::core
