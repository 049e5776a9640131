// Quorum counting: the one place the core (and the server's health check) counts answers of a
// set of acceptors against a quorum. Pure values; thread-compatible.
//
// A Tally follows one phase of one round: the acceptors asked (its set), the quorum it needs,
// and each member's answer so far — ok, refused (conflict, error, invalid data, fenced) or
// silent (not answered yet). Answers from acceptors outside the set, and second answers, are
// not recorded (Record returns false), so duplicated or forged replies never count.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "proposer/core/messages.h"

namespace gryadka::core {

// How many members of `set` satisfy `pred`.
int CountIn(const std::vector<AcceptorId>& set, absl::FunctionRef<bool(AcceptorId)> pred);

// True when at least `quorum` members of `set` satisfy `pred`.
bool QuorumIn(const std::vector<AcceptorId>& set, int quorum,
              absl::FunctionRef<bool(AcceptorId)> pred);

// True iff every prepare_quorum-member subset of a prepare set meets every accept_quorum-member
// subset of an accept set, where the prepare set has `prepare_only` members the accept set lacks,
// the accept set `accept_only` members the prepare set lacks, and `shared` members are in both.
bool QuorumsIntersect(int prepare_only, int prepare_quorum, int accept_only, int accept_quorum,
                      int shared);

class Tally {
 public:
  enum class Answer { kSilent, kOk, kRefused };

  Tally() = default;
  // REQUIRES: `set` has no duplicates; 0 <= quorum (a quorum above the set size is never
  // reached and is out of reach from the start).
  Tally(std::vector<AcceptorId> set, int quorum);

  // Records acceptor `a`'s answer. Returns false and records nothing when `a` is not in the set,
  // has answered already, or `answer` is kSilent.
  bool Record(AcceptorId a, Answer answer);

  bool Contains(AcceptorId a) const { return IndexOf(a) >= 0; }
  // True when `a` is in the set and has not answered yet.
  bool Awaits(AcceptorId a) const;
  // `a`'s answer; kSilent for acceptors outside the set too.
  Answer AnswerOf(AcceptorId a) const;

  int oks() const { return oks_; }
  int refused() const { return refused_; }
  int answered() const { return oks_ + refused_; }
  int silent() const { return size() - answered(); }
  int size() const { return static_cast<int>(set_.size()); }
  int quorum() const { return quorum_; }
  const std::vector<AcceptorId>& set() const { return set_; }

  // At least `quorum` oks.
  bool reached() const { return oks_ >= quorum_; }
  // So many refusals that even if every silent acceptor answered ok, the quorum is not reached.
  bool out_of_reach() const { return size() - refused_ < quorum_; }
  // Everyone in the set has answered.
  bool all_answered() const { return silent() == 0; }

  // Members that answered ok and are in `other` (e.g. the prepare set, for the 1-RTT promise).
  int OksIn(const std::vector<AcceptorId>& other) const;
  // The members that have not answered, in set order.
  std::vector<AcceptorId> SilentMembers() const;

  // OK, or INTERNAL naming the inconsistency: counts that disagree with the answers, counts
  // outside [0, size], a negative quorum, duplicate members.
  absl::Status CheckInvariants() const;

 private:
  int IndexOf(AcceptorId a) const;

  std::vector<AcceptorId> set_;
  std::vector<Answer> answers_;  // parallel to set_
  int quorum_ = 0;
  int oks_ = 0;
  int refused_ = 0;
};

}  // namespace gryadka::core
