// ReadFileBounded (client/bounded_file.h): the size bound is exact, and each failure has its
// code and a message that says why.
#include "client/bounded_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/scoped_temp_dir.h"

namespace gryadka {
namespace {

class BoundedFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return tmp_.Write(name, content);
  }
  test_support::ScopedTempDir tmp_{"bounded_file_test_"};
  const std::filesystem::path dir_ = tmp_.path();
};

TEST_F(BoundedFileTest, AFileOfExactlyTheBoundIsReadWhole) {
  const std::string content = std::string(15, 'x') + '\0';
  absl::StatusOr<std::string> read = ReadFileBounded(Write("f", content), 16);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, content);
}

TEST_F(BoundedFileTest, AFileOneByteOverTheBoundIsOutOfRange) {
  absl::StatusOr<std::string> read = ReadFileBounded(Write("f", std::string(17, 'x')), 16);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(read.status().message(), "is larger than 16 bytes");
}

TEST_F(BoundedFileTest, AnEmptyFileIsAnEmptyString) {
  absl::StatusOr<std::string> read = ReadFileBounded(Write("f", ""), 16);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST_F(BoundedFileTest, AMissingFileIsNotFoundWithTheSystemsReason) {
  absl::StatusOr<std::string> read = ReadFileBounded((dir_ / "absent").string(), 16);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(read.status().message()),
              ::testing::HasSubstr("cannot be opened for reading: No such file or directory"));
}

TEST_F(BoundedFileTest, ADirectoryIsAnErrorNotAnEmptyFile) {
  absl::StatusOr<std::string> read = ReadFileBounded(dir_.string(), 16);
  EXPECT_FALSE(read.ok());
}

}  // namespace
}  // namespace gryadka
