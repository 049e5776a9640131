#include "proposer/core/quorum.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gryadka::core {

int CountIn(const std::vector<AcceptorId>& set, absl::FunctionRef<bool(AcceptorId)> pred) {
  int n = 0;
  for (AcceptorId a : set) n += pred(a) ? 1 : 0;
  return n;
}

bool QuorumsIntersect(int prepare_only, int prepare_quorum, int accept_only, int accept_quorum,
                      int shared) {
  // Put as much of each quorum as possible outside the shared part; they intersect iff the
  // remainders do not fit side by side in it.
  const int prepare_in_shared = std::max(0, prepare_quorum - prepare_only);
  const int accept_in_shared = std::max(0, accept_quorum - accept_only);
  return prepare_in_shared + accept_in_shared > shared;
}

bool QuorumIn(const std::vector<AcceptorId>& set, int quorum,
              absl::FunctionRef<bool(AcceptorId)> pred) {
  return CountIn(set, pred) >= quorum;
}

Tally::Tally(std::vector<AcceptorId> set, int quorum)
    : set_(std::move(set)), answers_(set_.size(), Answer::kSilent), quorum_(quorum) {}

int Tally::IndexOf(AcceptorId a) const {
  for (size_t i = 0; i < set_.size(); ++i) {
    if (set_[i] == a) return static_cast<int>(i);
  }
  return -1;
}

bool Tally::Awaits(AcceptorId a) const {
  const int i = IndexOf(a);
  return i >= 0 && answers_[i] == Answer::kSilent;
}

Tally::Answer Tally::AnswerOf(AcceptorId a) const {
  const int i = IndexOf(a);
  return i < 0 ? Answer::kSilent : answers_[i];
}

bool Tally::Record(AcceptorId a, Answer answer) {
  const int i = IndexOf(a);
  if (i < 0 || answers_[i] != Answer::kSilent || answer == Answer::kSilent) return false;
  answers_[i] = answer;
  ++(answer == Answer::kOk ? oks_ : refused_);
  return true;
}

int Tally::OksIn(const std::vector<AcceptorId>& other) const {
  return CountIn(other, [this](AcceptorId a) { return AnswerOf(a) == Answer::kOk; });
}

std::vector<AcceptorId> Tally::SilentMembers() const {
  std::vector<AcceptorId> v;
  for (size_t i = 0; i < set_.size(); ++i) {
    if (answers_[i] == Answer::kSilent) v.push_back(set_[i]);
  }
  return v;
}

absl::Status Tally::CheckInvariants() const {
  if (answers_.size() != set_.size()) {
    return absl::InternalError(absl::StrCat("tally: ", answers_.size(), " answers for a set of ",
                                            set_.size()));
  }
  if (quorum_ < 0) return absl::InternalError(absl::StrCat("tally: negative quorum ", quorum_));
  const int oks = static_cast<int>(std::count(answers_.begin(), answers_.end(), Answer::kOk));
  const int refused =
      static_cast<int>(std::count(answers_.begin(), answers_.end(), Answer::kRefused));
  if (oks != oks_ || refused != refused_) {
    return absl::InternalError(absl::StrCat("tally: counts ok=", oks_, " refused=", refused_,
                                            " but the answers say ok=", oks,
                                            " refused=", refused));
  }
  for (size_t i = 0; i < set_.size(); ++i) {
    for (size_t j = i + 1; j < set_.size(); ++j) {
      if (set_[i] == set_[j]) {
        return absl::InternalError(absl::StrCat("tally: acceptor ", set_[i], " twice in the set"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace gryadka::core
