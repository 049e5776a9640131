// DNS targets expand into one target per address, so keys spread over every proposer a name
// resolves to (e.g. the pods of a Kubernetes headless Service).
#include "client/resolve.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/client/fake_kv_server.h"

namespace gryadka {
namespace {

using client::ExpandDnsTargets;
using client::Resolver;
using testing::FakeKvServer;

Resolver FakeResolver(std::map<std::string, std::vector<std::string>> table) {
  return [table](const std::string& host,
                 const std::string& port) -> absl::StatusOr<std::vector<std::string>> {
    auto it = table.find(host);
    if (it == table.end()) return absl::UnavailableError("no such host");
    std::vector<std::string> out;
    for (const std::string& a : it->second) out.push_back(absl::StrCat("ipv4:", a, ":", port));
    return out;
  };
}

TEST(ExpandDnsTargets, ANameBecomesOneTargetPerAddress) {
  const Resolver resolve = FakeResolver({{"gryadka", {"10.0.0.1", "10.0.0.2", "10.0.0.3"}}});
  EXPECT_EQ(ExpandDnsTargets({"dns:///gryadka:8080"}, resolve),
            (std::vector<std::string>{"ipv4:10.0.0.1:8080", "ipv4:10.0.0.2:8080",
                                      "ipv4:10.0.0.3:8080"}));
  EXPECT_EQ(ExpandDnsTargets({"dns://10.0.0.53/gryadka:81", "dns:gryadka:82"}, resolve).size(), 6u)
      << "the authority form and the short form are names too";
}

TEST(ExpandDnsTargets, OtherTargetsAndUnresolvableNamesStayAsTheyAre) {
  const Resolver resolve = FakeResolver({{"gryadka", {"10.0.0.1"}}});
  EXPECT_EQ(ExpandDnsTargets({"127.0.0.1:8080", "unix:/run/g.sock", "dns:///nowhere:1"}, resolve),
            (std::vector<std::string>{"127.0.0.1:8080", "unix:/run/g.sock", "dns:///nowhere:1"}));
  EXPECT_EQ(ExpandDnsTargets({"dns:///gryadka:8080", "dns:gryadka:8080"}, resolve),
            (std::vector<std::string>{"ipv4:10.0.0.1:8080"}))
      << "two names for one address: one target";
}

TEST(ResolveWithGetaddrinfo, LocalhostResolvesToLoopback) {
  auto addresses = client::ResolveWithGetaddrinfo("localhost", "8080");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  bool loopback = false;
  for (const std::string& a : *addresses) {
    loopback |= a == "ipv4:127.0.0.1:8080" || a == "ipv6:[::1]:8080";
  }
  EXPECT_TRUE(loopback) << addresses->front();
  EXPECT_FALSE(client::ResolveWithGetaddrinfo("name.that.does.not.exist.invalid", "1").ok());
}

// One name, two proposers behind it: every key goes to one of them, and both get keys.
TEST(ClientDns, KeysSpreadOverEveryAddressOfAName) {
  auto a = FakeKvServer::Start();
  auto b = FakeKvServer::Start();
  ClientOptions o;
  o.targets = {"dns:///proposers:" + std::to_string(a->port())};
  // Both fake servers listen on loopback; give them distinct addresses of 127/8.
  ASSERT_NE(a->port(), b->port());
  o.targets.push_back("dns:///proposers-b:" + std::to_string(b->port()));
  o.resolver = FakeResolver({{"proposers", {"127.0.0.1"}}, {"proposers-b", {"127.0.0.1"}}});
  auto client = Client::Create(o);
  ASSERT_TRUE(client.ok()) << client.status();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE((*client)->Put(absl::StrCat("k", i), "v").ok());
  EXPECT_GT(a->Calls("Put"), 20);
  EXPECT_GT(b->Calls("Put"), 20);
  EXPECT_EQ(a->Calls("Put") + b->Calls("Put"), 200);
  EXPECT_EQ((*client)->RankTargets("k1").size(), 2u);
}

}  // namespace
}  // namespace gryadka
