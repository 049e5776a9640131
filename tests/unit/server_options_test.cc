// proposer/server/options: --max_request_bytes, the transport bound above the value/key limits.
#include "proposer/server/options.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace gryadka::server {
namespace {

TEST(ServerOptionsTest, MaxRequestBytesZeroIsFourValuesPlusKeyPlusFraming) {
  ServerOptions o;
  ASSERT_TRUE(ResolveMaxRequestBytes(&o).ok());
  EXPECT_EQ(o.max_request_bytes, 4u * 1048576 + 1024 + 65536);  // 4,260,864 with the defaults
  o.max_request_bytes = 0;
  o.max_value_bytes = 100;
  o.max_key_bytes = 10;
  ASSERT_TRUE(ResolveMaxRequestBytes(&o).ok());
  EXPECT_EQ(o.max_request_bytes, 400u + 10 + kRequestOverheadBytes);
}

TEST(ServerOptionsTest, MaxRequestBytesBelowTheLargestValidRequestIsRefusedNamingTheBounds) {
  ServerOptions o;
  o.max_request_bytes = 1048576;  // no room for a 1 MiB value plus its key
  const absl::Status s = ResolveMaxRequestBytes(&o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "--max_request_bytes=1048576 must be in 1115136..")) << s;
  o.max_request_bytes = kMaxRequestBytesMax + 1;
  EXPECT_FALSE(ResolveMaxRequestBytes(&o).ok());
  o.max_request_bytes = 1048576 + 1024 + kRequestOverheadBytes;  // exactly the smallest allowed
  EXPECT_TRUE(ResolveMaxRequestBytes(&o).ok());
}

}  // namespace
}  // namespace gryadka::server
