// proposer/server/request_wire: every way a request's bytes can be wrong gets INVALID_ARGUMENT
// saying what and where; well-formed requests parse as protobuf would parse them.
#include "proposer/server/request_wire.h"

#include "absl/strings/match.h"
#include "gryadka/v1/kv.pb.h"
#include "gtest/gtest.h"
#include "tests/support/wire_bytes.h"

namespace gryadka::server {
namespace {

using wire_bytes::Bytes;
using wire_bytes::Tag;
using wire_bytes::Varint;

void ExpectInvalid(const absl::Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), needle)) << s << "\nlacks: " << needle;
}

TEST(RequestWireTest, Utf8OffsetIsTheFirstByteThatStartsNoValidSequence) {
  EXPECT_EQ(FirstInvalidUtf8Offset(""), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8Offset("plain"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8Offset("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"), std::nullopt);  // ключ
  EXPECT_EQ(FirstInvalidUtf8Offset(std::string("a\0b", 3)), std::nullopt);  // NUL is UTF-8
  EXPECT_EQ(FirstInvalidUtf8Offset("ab\xff"), 2u);
  EXPECT_EQ(FirstInvalidUtf8Offset("a\xc0\xaf"), 1u);        // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8Offset("\xed\xa0\x80"), 0u);     // surrogate U+D800
  EXPECT_EQ(FirstInvalidUtf8Offset("ok\xf4\x90\x80\x80"), 2u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8Offset("x\xe2\x82"), 1u);        // truncated sequence
}

TEST(RequestWireTest, WellFormedRequestParsesLikeProtobuf) {
  v1::ChangeQueryRequest want;
  want.set_key("\xd0\xba");
  want.mutable_change()->mutable_compare_and_set()->set_expected_version(7);
  want.mutable_change()->mutable_compare_and_set()->set_value(std::string("\xff\0", 2));
  want.mutable_query()->mutable_version();
  v1::ChangeQueryRequest got;
  ASSERT_TRUE(ParseRequest(want.SerializeAsString(), &got).ok());
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
  v1::DeleteRequest del;  // proto3 optional: a synthetic oneof, not an op oneof
  del.set_key("k");
  del.set_expected_version(0);
  v1::DeleteRequest del_got;
  ASSERT_TRUE(ParseRequest(del.SerializeAsString(), &del_got).ok());
  EXPECT_TRUE(del_got.has_expected_version());
}

TEST(RequestWireTest, KeyThatIsNotUtf8NamesTheByteAndItsOffset) {
  v1::GetRequest r;
  ExpectInvalid(ParseRequest(Bytes(1, "ke\xfey"), &r), "key is not valid UTF-8: byte 0xfe at offset 2");
  // Every occurrence of the key counts, not just the last one (which protobuf would keep).
  ExpectInvalid(ParseRequest(Bytes(1, "\x80") + Bytes(1, "fine"), &r), "byte 0x80 at offset 0");
}

TEST(RequestWireTest, TruncatedOrInvalidBytesSayWhereTheyBroke) {
  v1::PutRequest r;
  const std::string put = Bytes(1, "k") + Bytes(2, "value");
  ExpectInvalid(ParseRequest(put.substr(0, put.size() - 1), &r), "byte offset 3");
  ExpectInvalid(ParseRequest(Tag(1, 2) + Varint(1u << 30), &r), "runs past the end");
  ExpectInvalid(ParseRequest(Tag(0, 0), &r), "invalid field tag at byte offset 0");
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Tag(4, 6), &r), "field 4 (invalid)");
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Tag(5, 4), &r), "field 5 (end-group)");
  v1::ChangeQueryRequest cq;
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Bytes(2, Bytes(2, Tag(1, 2) + Varint(50))), &cq),
                "in change.put (gryadka.v1.PutOp) is truncated");
}

TEST(RequestWireTest, NestedStartGroupsHitTheRecursionLimitInsteadOfTheStack) {
  std::string wire = Bytes(1, "k");
  for (int i = 0; i < 10000; ++i) wire += Tag(9, 3);
  v1::GetRequest r;
  ExpectInvalid(ParseRequest(wire, &r), "not valid protobuf wire format");
}

TEST(RequestWireTest, KnownFieldWithAnotherWireTypeNamesBothTypes) {
  v1::GetRequest get;
  ExpectInvalid(ParseRequest(Tag(1, 0) + Varint(5), &get),
                "field 1 (key) in the request (gryadka.v1.GetRequest) was sent as varint; its "
                "type is string (length-delimited)");
  v1::CompareAndSetRequest cas;
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Tag(2, 1) + std::string(8, '\0'), &cas),
                "field 2 (expected_version) in the request (gryadka.v1.CompareAndSetRequest) was "
                "sent as 64-bit; its type is uint64 (varint)");
}

TEST(RequestWireTest, UnknownFieldsAreNamedWithTheirPath) {
  v1::PutRequest put;
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Tag(15, 5) + "abcd", &put),
                "field 15 (32-bit) in the request (gryadka.v1.PutRequest) is unknown");
  v1::ChangeQueryRequest cq;
  const std::string incr = Tag(1, 0) + Varint(1) + Bytes(3, "x");  // IncrementOp{delta, 3}
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Bytes(2, Bytes(5, incr)), &cq),
                "field 3 (length-delimited) in change.increment (gryadka.v1.IncrementOp)");
}

TEST(RequestWireTest, UnknownOpNumberInAnUnsetOneofIsLeftForTheOpRegistry) {
  // core::ValidateRequest names the unknown op and lists the known ones.
  v1::ChangeQueryRequest cq;
  ASSERT_TRUE(ParseRequest(Bytes(1, "k") + Bytes(2, Bytes(42, "")), &cq).ok());
  EXPECT_EQ(cq.change().op_case(), v1::ChangeOp::OP_NOT_SET);
  // ...but a known op number with the wrong wire type is named here.
  ExpectInvalid(ParseRequest(Bytes(1, "k") + Bytes(2, Tag(2, 0) + Varint(1)), &cq),
                "field 2 (change.put) in change (gryadka.v1.ChangeOp) was sent as varint");
}

}  // namespace
}  // namespace gryadka::server
