// The Redis credential source: password file reading (one trailing newline stripped, re-read on
// every Load), the flag/environment combinations the proposer accepts, and the AUTH argv.
#include "acceptor_adapter/redis_auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/scoped_temp_dir.h"

namespace gryadka::acceptor {
namespace {

class RedisAuthTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return tmp_.Write(name, content);
  }
  test_support::ScopedTempDir tmp_{"gryadka-redis-auth-"};
  const std::string dir_ = tmp_.path().string();
};

TEST_F(RedisAuthTest, PasswordFileLosesExactlyOneTrailingNewline) {
  EXPECT_EQ(*ReadRedisPasswordFile(Write("a", "s3cret\n")), "s3cret");
  EXPECT_EQ(*ReadRedisPasswordFile(Write("b", "s3cret")), "s3cret");
  EXPECT_EQ(*ReadRedisPasswordFile(Write("c", "s3cret\r\n")), "s3cret");
  EXPECT_EQ(*ReadRedisPasswordFile(Write("d", "s3cret\n\n")), "s3cret\n");
  EXPECT_EQ(*ReadRedisPasswordFile(Write("e", " pass word ")), " pass word ");
}

TEST_F(RedisAuthTest, MissingEmptyOrOversizedPasswordFileIsAnErrorNamingTheFile) {
  const std::string missing = dir_ + "/missing";
  absl::StatusOr<std::string> r = ReadRedisPasswordFile(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(missing), std::string::npos) << r.status();

  const std::string empty = Write("empty", "\n");
  r = ReadRedisPasswordFile(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(empty), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("empty"), std::string::npos) << r.status();

  const std::string big = Write("big", std::string(kRedisPasswordFileBytesMax + 1, 'x'));
  r = ReadRedisPasswordFile(big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(big), std::string::npos) << r.status();
  EXPECT_TRUE(ReadRedisPasswordFile(Write("max", std::string(kRedisPasswordFileBytesMax, 'x'))).ok());
}

TEST_F(RedisAuthTest, FileSourceRereadsTheFileOnEveryLoadSoARotatedPasswordIsUsed) {
  const std::string path = Write("pw", "first\n");
  const RedisCredentialSource source = RedisCredentialSource::FromFile("gryadka", path);
  ASSERT_TRUE(source.enabled());
  auto c = source.Load();
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->user, "gryadka");
  EXPECT_EQ((*c)->password, "first");
  Write("pw", "second\n");
  c = source.Load();
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->password, "second");
  std::filesystem::remove(path);
  EXPECT_EQ(source.Load().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisAuthTest, DescribeNamesUserAndSourceButNeverThePassword) {
  const std::string path = Write("pw", "hunter2\n");
  const std::string file = RedisCredentialSource::FromFile("gryadka", path).Describe();
  EXPECT_NE(file.find("gryadka"), std::string::npos) << file;
  EXPECT_NE(file.find(path), std::string::npos) << file;
  EXPECT_EQ(file.find("hunter2"), std::string::npos) << file;
  const std::string fixed = RedisCredentialSource::FromPassword("", "hunter2").Describe();
  EXPECT_EQ(fixed.find("hunter2"), std::string::npos) << fixed;
  EXPECT_NE(fixed.find("GRYADKA_REDIS_PASSWORD"), std::string::npos) << fixed;
  EXPECT_EQ(RedisCredentialSource().Describe(), "none");
}

TEST_F(RedisAuthTest, NoFlagsAndNoEnvironmentMeansNoAuth) {
  auto s = RedisCredentialsFromFlags("", "", std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->enabled());
  auto c = s->Load();
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  // An empty variable counts as unset.
  s = RedisCredentialsFromFlags("", "", std::string());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->enabled());
}

TEST_F(RedisAuthTest, EnvironmentPasswordIsUsedWithOrWithoutUser) {
  auto s = RedisCredentialsFromFlags("", "", std::string("pw"));
  ASSERT_TRUE(s.ok()) << s.status();
  auto c = s->Load();
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->user, "");
  EXPECT_EQ((*c)->password, "pw");
  s = RedisCredentialsFromFlags("u", "", std::string("pw"));
  ASSERT_TRUE(s.ok()) << s.status();
  c = s->Load();
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->user, "u");
}

TEST_F(RedisAuthTest, PasswordFileAndEnvironmentBothSetIsRejectedNamingBoth) {
  const std::string path = Write("pw", "x\n");
  auto s = RedisCredentialsFromFlags("", path, std::string("y"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("--redis_password_file"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("GRYADKA_REDIS_PASSWORD"), std::string::npos)
      << s.status();
  EXPECT_EQ(s.status().message().find("y\""), std::string::npos) << s.status();
}

TEST_F(RedisAuthTest, UserWithoutPasswordIsRejected) {
  auto s = RedisCredentialsFromFlags("gryadka", "", std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--redis_user"), std::string::npos) << s.status();
}

TEST_F(RedisAuthTest, UnreadablePasswordFileIsRejectedAtStartNamingFlagAndFile) {
  const std::string missing = dir_ + "/nope";
  auto s = RedisCredentialsFromFlags("", missing, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("--redis_password_file"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find(missing), std::string::npos) << s.status();
}

TEST_F(RedisAuthTest, AuthArgvHasTheUserOnlyWhenOneIsGiven) {
  EXPECT_EQ(AuthArgv({"", "pw"}), (std::vector<std::string>{"AUTH", "pw"}));
  EXPECT_EQ(AuthArgv({"gryadka", "pw"}), (std::vector<std::string>{"AUTH", "gryadka", "pw"}));
}

TEST_F(RedisAuthTest, AuthErrorTextIsBounded) {
  const std::string longer(1000, 'E');
  const std::string text = RedisAuthErrorText(longer.data(), longer.size());
  EXPECT_LT(text.size(), 300u);
  EXPECT_EQ(RedisAuthErrorText("WRONGPASS x", 11), "WRONGPASS x");
}

}  // namespace
}  // namespace gryadka::acceptor
