#include "proposer/core/writer_marks.h"

#include "proposer/core/ballot.h"

namespace gryadka::core {

std::optional<uint64_t> FindWriterMark(const internal::StoredRegister& reg, uint64_t proposer_id) {
  std::optional<uint64_t> mine;
  for (const auto& w : reg.writers()) {
    if (w.proposer_id() == proposer_id) mine = w.counter();
  }
  return mine;
}

int PutWriterMark(internal::StoredRegister* reg, uint64_t proposer_id, uint64_t counter) {
  auto* writers = reg->mutable_writers();
  // At most one mark per proposer (DecodeStoredRegister refuses more): replace ours.
  for (int i = 0; i < writers->size(); ++i) {
    if (writers->Get(i).proposer_id() == proposer_id) {
      writers->erase(writers->begin() + i);
      break;
    }
  }
  internal::WriterMark* mark = writers->Add();
  mark->set_proposer_id(proposer_id);
  mark->set_counter(counter);
  const int evicted = writers->size() > kWriterMarksMax ? writers->size() - kWriterMarksMax : 0;
  if (evicted > 0) writers->erase(writers->begin(), writers->begin() + evicted);
  return evicted;
}

bool WriterMarkMayBeEvicted(const internal::StoredRegister& reg, uint64_t proposer_id,
                            uint64_t earliest_attempt_counter) {
  if (FindWriterMark(reg, proposer_id).has_value() || reg.writers_size() < kWriterMarksMax) {
    return false;
  }
  const internal::WriterMark& oldest = reg.writers(0);
  return Ballot{oldest.counter(), oldest.proposer_id()} >
         Ballot{earliest_attempt_counter, proposer_id};
}

}  // namespace gryadka::core
