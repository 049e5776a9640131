// The pure half of request forwarding (proposer/server/forward_route.h): the owner a proposer
// forwards a key to is the one clients route it to, a forwarded call is never forwarded again,
// and the key is read from the request bytes as protobuf would parse it.
#include "proposer/server/forward_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/rendezvous.h"
#include "gryadka/v1/kv.pb.h"

namespace gryadka::server {
namespace {

const std::vector<std::string> kPeers = {"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"};

TEST(ForwardRouteTest, OwnerOfEveryKeyIsTheTargetTheClientRoutesItTo) {
  const client::Rendezvous clients(kPeers);
  for (const std::string& self : kPeers) {
    const PeerRing ring(kPeers, self);
    ASSERT_TRUE(ring.usable());
    for (int i = 0; i < 1000; ++i) {
      const std::string key = "key-" + std::to_string(i);
      EXPECT_EQ(ring.Owner(key), clients.Pick(key)) << key;
    }
  }
}

TEST(ForwardRouteTest, EachProposerForwardsExactlyTheKeysItDoesNotOwn) {
  int forwarded = 0, local = 0;
  for (const std::string& self : kPeers) {
    const PeerRing ring(kPeers, self);
    for (int i = 0; i < 300; ++i) {
      const std::string key = "k" + std::to_string(i);
      const auto target = ForwardTarget(false, ring, key);
      if (target.has_value()) {
        EXPECT_NE(kPeers[*target], self);
        EXPECT_EQ(*target, ring.Owner(key));
        ++forwarded;
      } else {
        EXPECT_EQ(kPeers[ring.Owner(key)], self);
        ++local;
      }
    }
  }
  // Every key has exactly one owner among the three proposers.
  EXPECT_EQ(local, 300);
  EXPECT_EQ(forwarded, 600);
}

TEST(ForwardRouteTest, CallMarkedAsForwardedIsServedWhereItArrivesEvenByANonOwner) {
  const PeerRing ring(kPeers, kPeers[0]);
  int non_owned = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "k" + std::to_string(i);
    if (ring.IsSelf(ring.Owner(key))) continue;
    ++non_owned;
    EXPECT_TRUE(ForwardTarget(false, ring, key).has_value()) << key;
    EXPECT_FALSE(ForwardTarget(true, ring, key).has_value()) << key;
  }
  EXPECT_GT(non_owned, 0);
}

TEST(ForwardRouteTest, PeerListWithoutThisProposerServesEverythingLocally) {
  const PeerRing ring(kPeers, "127.0.0.1:7999");
  EXPECT_FALSE(ring.self_listed());
  EXPECT_FALSE(ring.usable());
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(ForwardTarget(false, ring, "k" + std::to_string(i)).has_value());
  }
}

TEST(ForwardRouteTest, SingleProposerListForwardsNothing) {
  const PeerRing ring({"127.0.0.1:7001"}, "127.0.0.1:7001");
  EXPECT_TRUE(ring.self_listed());
  EXPECT_FALSE(ring.usable());
  EXPECT_FALSE(ForwardTarget(false, ring, "k").has_value());
}

TEST(ForwardRouteTest, UnreadableKeyIsServedLocally) {
  const PeerRing ring(kPeers, kPeers[0]);
  EXPECT_FALSE(ForwardTarget(false, ring, std::nullopt).has_value());
}

TEST(ForwardRouteTest, AdvertisedAddressMatchesTheDnsExpandedTargetOfThisProposer) {
  const std::vector<std::string> expanded = {"ipv4:10.0.0.7:8080", "ipv4:10.0.0.8:8080",
                                             "ipv6:[fd00::9]:8080"};
  EXPECT_EQ(AddressOfTarget("ipv4:10.0.0.7:8080"), "10.0.0.7:8080");
  EXPECT_EQ(AddressOfTarget("ipv6:[fd00::9]:8080"), "[fd00::9]:8080");
  EXPECT_EQ(AddressOfTarget("10.0.0.7:8080"), "10.0.0.7:8080");
  const PeerRing v4(expanded, "10.0.0.8:8080");
  EXPECT_TRUE(v4.IsSelf(1));
  const PeerRing v6(expanded, "[fd00::9]:8080");
  EXPECT_TRUE(v6.IsSelf(2));
  // Ranking is over the strings clients use (the expanded targets), not the advertised one.
  EXPECT_EQ(v4.Owner("some-key"), client::Rendezvous(expanded).Pick("some-key"));
}

TEST(ForwardRouteTest, RequestKeyReadsFieldOneOfEveryRequestType) {
  v1::GetRequest get;
  get.set_key("g");
  EXPECT_EQ(RequestKey(get.SerializeAsString()), "g");
  v1::PutRequest put;
  put.set_key("p");
  put.set_value(std::string(100000, 'v'));
  EXPECT_EQ(RequestKey(put.SerializeAsString()), "p");
  v1::IncrementRequest inc;
  inc.set_delta(-5);
  inc.set_key("i");
  EXPECT_EQ(RequestKey(inc.SerializeAsString()), "i");
  v1::CompareAndSetRequest cas;
  cas.set_key("c");
  cas.set_expected_version(7);
  cas.set_value("x");
  EXPECT_EQ(RequestKey(cas.SerializeAsString()), "c");
  v1::DeleteRequest del;
  del.set_key("d");
  del.set_expected_version(0);
  EXPECT_EQ(RequestKey(del.SerializeAsString()), "d");
  v1::ChangeQueryRequest cq;
  cq.set_key("q");
  cq.mutable_change()->mutable_increment()->set_delta(1);
  cq.mutable_query()->mutable_record();
  EXPECT_EQ(RequestKey(cq.SerializeAsString()), "q");
}

TEST(ForwardRouteTest, RequestKeyTakesTheLastKeyAsProtobufDoes) {
  v1::GetRequest a, b;
  a.set_key("first");
  b.set_key("second");
  const std::string wire = a.SerializeAsString() + b.SerializeAsString();
  v1::GetRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(RequestKey(wire), parsed.key());
}

TEST(ForwardRouteTest, RequestKeyOfMalformedOrKeylessBytesIsNone) {
  EXPECT_FALSE(RequestKey("").has_value());                   // no key at all
  EXPECT_FALSE(RequestKey(std::string("\x0a\x05" "ab", 4)).has_value());  // truncated key
  EXPECT_FALSE(RequestKey(std::string("\x0a", 1)).has_value());           // no length
  EXPECT_FALSE(RequestKey(std::string("\x0b\x00", 2)).has_value());       // group wire type
  EXPECT_FALSE(RequestKey(std::string("\x02\x00", 2)).has_value());       // field number 0
  EXPECT_FALSE(RequestKey(std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11))
                   .has_value());  // varint over 10 bytes
  v1::IncrementRequest inc;
  inc.set_delta(3);  // a key-less request
  EXPECT_FALSE(RequestKey(inc.SerializeAsString()).has_value());
}

TEST(ForwardRouteTest, PeerListParsingNamesTheBadElement) {
  auto ok = ParsePeerList("127.0.0.1:1, dns:///gryadka-proposers:8080,ipv4:10.0.0.1:2");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, (std::vector<std::string>{"127.0.0.1:1", "dns:///gryadka-proposers:8080",
                                            "ipv4:10.0.0.1:2"}));
  auto empty = ParsePeerList("127.0.0.1:1,,127.0.0.1:2");
  EXPECT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty element"), std::string::npos);
  auto no_port = ParsePeerList("127.0.0.1:1,somehost");
  EXPECT_FALSE(no_port.ok());
  EXPECT_NE(no_port.status().message().find("'somehost'"), std::string::npos);
  std::string many;
  for (size_t i = 0; i <= kPeersMax; ++i) many += (i ? "," : "") + ("h:" + std::to_string(i + 1));
  auto too_many = ParsePeerList(many);
  EXPECT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("more than"), std::string::npos);
}

}  // namespace
}  // namespace gryadka::server
