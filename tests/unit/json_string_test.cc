// client/shared/json_string.h: the one JSON string escaper (proposer log lines, gryadkactl
// --json, bench and chaos reports).
#include "client/shared/json_string.h"

#include <cstdint>
#include <random>
#include <string>

#include "client/utf8.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace gryadka {
namespace {

// `literal` parsed by protobuf's JSON parser (a strict one: it rejects invalid UTF-8 and bad
// escapes) as a google.protobuf.Value; the string it holds, or "<parse error: ...>".
std::string ParsedBack(const std::string& literal) {
  google::protobuf::Value value;
  const auto status = google::protobuf::util::JsonStringToMessage(literal, &value);
  if (!status.ok()) return "<parse error: " + status.ToString() + ">";
  if (value.kind_case() != google::protobuf::Value::kStringValue) return "<not a string>";
  return value.string_value();
}

// What the escaper promises a JSON reader gets back: valid sequences as they are, U+FFFD for
// every byte that starts no valid sequence.
std::string ExpectedReadBack(std::string bytes) {
  std::string out;
  while (!bytes.empty()) {
    uint32_t cp = 0;
    const size_t length = client::DecodeUtf8(bytes, &cp);
    out += length > 0 ? bytes.substr(0, length) : "\xef\xbf\xbd";
    bytes.erase(0, length > 0 ? length : 1);
  }
  return out;
}

TEST(JsonString, EmptyInputIsTwoQuotes) { EXPECT_EQ(JsonString(""), "\"\""); }

TEST(JsonString, QuotesAndBackslashesAreBackslashEscaped) {
  EXPECT_EQ(JsonString("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
}

TEST(JsonString, NewlineReturnAndTabUseShortEscapesOtherControlsUseUnicodeEscapes) {
  EXPECT_EQ(JsonString("a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
  EXPECT_EQ(JsonString(std::string("\0\x01\x08\x0c\x1b\x1f", 6)),
            "\"\\u0000\\u0001\\u0008\\u000c\\u001b\\u001f\"");
}

TEST(JsonString, DelC1ControlsSeparatorsBidiControlsAndBomAreUnicodeEscaped) {
  EXPECT_EQ(JsonString("\x7f"), "\"\\u007f\"");
  EXPECT_EQ(JsonString("\xc2\x80\xc2\x85\xc2\x9f"), "\"\\u0080\\u0085\\u009f\"");
  EXPECT_EQ(JsonString("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
  EXPECT_EQ(JsonString("\xe2\x80\xae\xe2\x81\xa6"), "\"\\u202e\\u2066\"");
  EXPECT_EQ(JsonString("\xef\xbb\xbf"), "\"\\ufeff\"");
}

TEST(JsonString, PrintableUtf8IsCopiedAsItIs) {
  EXPECT_EQ(JsonString("ключ ✓ \xf0\x9f\x98\x80 \xc2\xa0"), "\"ключ ✓ \xf0\x9f\x98\x80 \xc2\xa0\"");
  EXPECT_EQ(JsonString("127.0.0.1:6379"), "\"127.0.0.1:6379\"");
}

TEST(JsonString, EachByteOfInvalidUtf8BecomesOneReplacementCharacter) {
  EXPECT_EQ(JsonString("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(JsonString("a\xffz"), "\"a\\ufffdz\"");
  EXPECT_EQ(JsonString("\x80"), "\"\\ufffd\"");                              // lone continuation
  EXPECT_EQ(JsonString("\xc3"), "\"\\ufffd\"");                              // truncated
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                   // overlong '/'
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");        // surrogate
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
  EXPECT_EQ(JsonString("\xe2\x82"), "\"\\ufffd\\ufffd\"");                   // truncated 3-byte
  EXPECT_EQ(JsonString("\xe2\x82\xac\xff"), "\"\xe2\x82\xac\\ufffd\"");      // € then a bad byte
}

TEST(JsonString, AppendJsonStringAppendsToWhatIsThere) {
  std::string line = "{\"msg\":";
  AppendJsonString(&line, "a\"b");
  EXPECT_EQ(line, "{\"msg\":\"a\\\"b\"");
}

TEST(JsonString, TerminalUnsafeCodePointsAreExactlyTheEscapedOnes) {
  for (uint32_t cp : {0x00u, 0x1Fu, 0x7Fu, 0x80u, 0x9Fu, 0x2028u, 0x2029u, 0x202Au, 0x202Eu,
                      0x2066u, 0x2069u, 0xFEFFu}) {
    EXPECT_TRUE(IsTerminalUnsafeCodePoint(cp)) << cp;
  }
  for (uint32_t cp : {0x20u, 0x7Eu, 0xA0u, 0x2027u, 0x202Fu, 0x2065u, 0x206Au, 0xFFFDu,
                      0x1F600u}) {
    EXPECT_FALSE(IsTerminalUnsafeCodePoint(cp)) << cp;
  }
}

// Whatever the bytes, a strict JSON parser accepts the literal and reads back the input with
// invalid bytes replaced; the literal itself is valid UTF-8 without raw control characters.
// 3,000 random strings of 0..24 bytes, biased towards the interesting bytes (fixed seed).
TEST(JsonString, RandomBytesAlwaysGiveValidJsonThatReadsBackTheValidPart) {
  std::mt19937 rng(20261129);
  const std::string interesting = std::string("\"\\\n\r\t\x01\x1f\x7f\x80\xbf\xc0\xc2\xc3\xe2"
                                              "\xed\xef\xf0\xf4\xff a\0", 23);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes;
    const int length = static_cast<int>(rng() % 25);
    for (int j = 0; j < length; ++j) {
      bytes.push_back(rng() % 2 == 0 ? interesting[rng() % interesting.size()]
                                     : static_cast<char>(rng() % 256));
    }
    const std::string literal = JsonString(bytes);
    ASSERT_TRUE(client::IsValidUtf8(literal)) << literal;
    for (char c : literal) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << literal;
    ASSERT_EQ(ParsedBack(literal), ExpectedReadBack(bytes)) << literal;
  }
}

}  // namespace
}  // namespace gryadka
