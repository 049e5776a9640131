// Decoding of the stored register (proposer/core/stored_register.h), alone and inside a round.
#include "proposer/core/stored_register.h"

#include "gtest/gtest.h"
#include "proposer/core/proposer.h"

namespace gryadka::core {
namespace {

TEST(StoredRegisterTest, EmptyBytesAreTheNeverWrittenRegister) {
  absl::StatusOr<internal::StoredRegister> reg = DecodeStoredRegister("", "k");
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->version(), 0u);
  EXPECT_TRUE(reg->value().empty());
}

TEST(StoredRegisterTest, BytesThatDoNotParseAreNotARegisterAndTheKeyIsNamed) {
  absl::StatusOr<internal::StoredRegister> reg = DecodeStoredRegister("\xff\xff\xff", "users/7");
  EXPECT_EQ(reg.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(reg.status().message().find("'users/7'"), std::string::npos) << reg.status();
  EXPECT_NE(reg.status().message().find("does not parse"), std::string::npos) << reg.status();
}

// Found writing tests/fuzz/register_fuzz (its seed absent_with_value reproduces it): a register
// at version 0 ("absent") holding a value was taken as it was, so a read answered
// {version 0, value "ghost"} and an append appended to the ghost.
TEST(StoredRegisterTest, AnAbsentRegisterHoldingAValueIsNotARegister) {
  internal::StoredRegister ghost;
  ghost.set_value("ghost");
  absl::StatusOr<internal::StoredRegister> reg =
      DecodeStoredRegister(ghost.SerializeAsString(), "k");
  EXPECT_EQ(reg.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(reg.status().message().find("version 0"), std::string::npos) << reg.status();
}

TEST(StoredRegisterTest, AReadOfAnAbsentRegisterHoldingAValueFailsWithoutWriting) {
  Proposer p(ProposerConfig::Majority(3), /*proposer_id=*/1, /*seed=*/1);
  ClientRequest req{1, "k", {}, {}, /*deadline_ms=*/1000};
  req.change.mutable_read();
  req.query.mutable_record();
  p.Submit(std::move(req), 0);
  std::vector<AcceptorRequest> prepares = p.TakeOutbox();
  ASSERT_EQ(prepares.size(), 3u);
  internal::StoredRegister ghost;
  ghost.set_value("ghost");
  for (int i = 0; i < 2; ++i) {
    AcceptorReply r;
    r.acceptor = prepares[i].acceptor;
    r.msg_id = prepares[i].msg_id;
    r.status = AcceptorReply::Status::kOk;
    r.ballot = Ballot{1, 7};
    r.value = ghost.SerializeAsString();
    p.OnReply(r, 0);
  }
  EXPECT_TRUE(p.TakeOutbox().empty());
  std::vector<Completion> done = p.TakeCompletions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status.code(), absl::StatusCode::kFailedPrecondition) << done[0].status;
}

}  // namespace
}  // namespace gryadka::core
