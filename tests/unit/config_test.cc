#include "proposer/core/config.h"

#include "gtest/gtest.h"

namespace gryadka::core {
namespace {

struct QuorumCase {
  std::vector<AcceptorId> prepare_set;
  int prepare_quorum;
  std::vector<AcceptorId> accept_set;
  int accept_quorum;
  bool valid;
};

// Table of flexible-quorum configurations (paper §2.3): valid iff every prepare quorum meets
// every accept quorum.
TEST(ProposerConfigTest, QuorumIntersectionTable) {
  const QuorumCase cases[] = {
      {{0, 1, 2}, 2, {0, 1, 2}, 2, true},            // 2F+1 majorities
      {{0, 1, 2}, 1, {0, 1, 2}, 3, true},            // read-one / write-all
      {{0, 1, 2}, 3, {0, 1, 2}, 1, true},
      {{0, 1, 2}, 1, {0, 1, 2}, 1, false},           // the broken ".i" configuration
      {{0, 1, 2}, 2, {0, 1, 2}, 1, false},
      {{0, 1, 2}, 2, {0, 1, 2, 3}, 3, true},         // growing 3 -> 4, step 2
      {{0, 1, 2}, 2, {0, 1, 2, 3}, 2, false},
      {{0, 1, 2, 3}, 3, {0, 1, 2, 3}, 3, true},      // 2F+2 with F+2
      {{0, 1, 2, 3}, 2, {0, 1, 2, 3}, 2, false},
      {{0, 1}, 1, {2, 3}, 2, false},                 // disjoint sets never meet
      {{0, 1, 2, 3, 4}, 3, {0, 1, 2, 3, 4}, 3, true},
  };
  for (const auto& c : cases) {
    ProposerConfig cfg;
    cfg.num_acceptors = 5;
    cfg.prepare_set = c.prepare_set;
    cfg.prepare_quorum = c.prepare_quorum;
    cfg.accept_set = c.accept_set;
    cfg.accept_quorum = c.accept_quorum;
    EXPECT_EQ(cfg.Validate().ok(), c.valid)
        << "prepare " << c.prepare_quorum << "/" << c.prepare_set.size() << " accept "
        << c.accept_quorum << "/" << c.accept_set.size() << ": " << cfg.Validate();
    cfg.allow_unsafe_quorums = true;
    EXPECT_TRUE(cfg.Validate().ok());
  }
}

TEST(ProposerConfigTest, RejectsMalformedSets) {
  ProposerConfig c = ProposerConfig::Majority(3);
  c.prepare_set = {0, 0, 1};
  EXPECT_NE(c.Validate().message().find("twice"), std::string::npos);
  c = ProposerConfig::Majority(3);
  c.accept_set = {0, 1, 5};
  EXPECT_NE(c.Validate().message().find("only 3"), std::string::npos);
  c = ProposerConfig::Majority(3);
  c.accept_quorum = 4;
  EXPECT_FALSE(c.Validate().ok());
  c = ProposerConfig::Majority(3);
  c.round_timeout_ms = 0;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ProposerConfigTest, MajorityIsFPlusOneOfTwoFPlusOne) {
  EXPECT_EQ(ProposerConfig::Majority(3).prepare_quorum, 2);
  EXPECT_EQ(ProposerConfig::Majority(5).accept_quorum, 3);
  EXPECT_TRUE(ProposerConfig::Majority(1).Validate().ok());
}

}  // namespace
}  // namespace gryadka::core
