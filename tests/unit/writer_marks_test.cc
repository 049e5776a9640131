// Writer marks (proposer/core/writer_marks.h): finding our mark, replacing it at the end,
// evicting the oldest beyond kWriterMarksMax, and telling when our mark may have been evicted.
#include "proposer/core/writer_marks.h"

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

internal::StoredRegister WithMarks(uint64_t first_proposer, int n, uint64_t first_counter) {
  internal::StoredRegister reg;
  for (int i = 0; i < n; ++i) {
    internal::WriterMark* m = reg.add_writers();
    m->set_proposer_id(first_proposer + static_cast<uint64_t>(i));
    m->set_counter(first_counter + static_cast<uint64_t>(i));
  }
  return reg;
}

TEST(WriterMarksTest, FindsOnlyTheGivenProposersMark) {
  const internal::StoredRegister reg = WithMarks(10, 3, 100);  // (10,100) (11,101) (12,102)
  EXPECT_EQ(FindWriterMark(reg, 11), 101u);
  EXPECT_FALSE(FindWriterMark(reg, 9).has_value());
  EXPECT_FALSE(FindWriterMark(internal::StoredRegister{}, 11).has_value());
}

TEST(WriterMarksTest, PutReplacesOurMarkAndMovesItToTheEnd) {
  internal::StoredRegister reg = WithMarks(10, 3, 100);
  EXPECT_EQ(PutWriterMark(&reg, 10, 200), 0);
  ASSERT_EQ(reg.writers_size(), 3);
  EXPECT_EQ(reg.writers(0).proposer_id(), 11u);
  EXPECT_EQ(reg.writers(2).proposer_id(), 10u);
  EXPECT_EQ(reg.writers(2).counter(), 200u);
  EXPECT_EQ(FindWriterMark(reg, 10), 200u);
}

TEST(WriterMarksTest, PutBeyondTheBoundEvictsTheOldestMark) {
  internal::StoredRegister reg = WithMarks(10, kWriterMarksMax, 100);
  EXPECT_EQ(PutWriterMark(&reg, 99, 500), 1);
  ASSERT_EQ(reg.writers_size(), kWriterMarksMax);
  EXPECT_FALSE(FindWriterMark(reg, 10).has_value()) << "the oldest mark is gone";
  EXPECT_EQ(reg.writers(0).proposer_id(), 11u);
  EXPECT_EQ(FindWriterMark(reg, 99), 500u);
  // Our own mark in a full list is replaced, nothing evicted.
  EXPECT_EQ(PutWriterMark(&reg, 12, 600), 0);
  EXPECT_EQ(reg.writers_size(), kWriterMarksMax);
}

TEST(WriterMarksTest, MarkMayBeEvictedOnlyWhenFullWithoutOursAndAllNewerThanOurAttempt) {
  const uint64_t us = 1;
  // Full of marks newer than our attempt at counter 50: ours may have been pushed out.
  const internal::StoredRegister full_newer = WithMarks(10, kWriterMarksMax, 100);
  EXPECT_TRUE(WriterMarkMayBeEvicted(full_newer, us, 50));
  // The oldest mark is older than our attempt: marks are in ballot order, so ours never landed.
  EXPECT_FALSE(WriterMarkMayBeEvicted(full_newer, us, 101));
  EXPECT_FALSE(WriterMarkMayBeEvicted(full_newer, us, 150));
  // Not full: nothing was ever evicted.
  EXPECT_FALSE(WriterMarkMayBeEvicted(WithMarks(10, kWriterMarksMax - 1, 100), us, 50));
  // Our mark is there: it tells.
  internal::StoredRegister with_ours = full_newer;
  PutWriterMark(&with_ours, us, 40);
  EXPECT_FALSE(WriterMarkMayBeEvicted(with_ours, us, 50));
}

TEST(WriterMarksTest, EqualCountersAreOrderedByProposerId) {
  // The oldest mark (counter 50, proposer 10) vs our attempt (counter 50, proposer 1): the
  // mark's ballot is higher, so our mark may have been evicted; proposer 20 with the same
  // counter is higher than the mark, so it cannot.
  const internal::StoredRegister reg = WithMarks(10, kWriterMarksMax, 50);
  EXPECT_TRUE(WriterMarkMayBeEvicted(reg, 1, 50));
  EXPECT_FALSE(WriterMarkMayBeEvicted(reg, 9999, 50));
}

}  // namespace
}  // namespace gryadka::core
