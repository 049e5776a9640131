// client/tls.h: channel credentials from gryadka::TlsOptions, and Client::Create's errors for
// TLS files it cannot use. Handshakes against a real proposer are in
// tests/integration/tls_integration_test.cc.
#include "client/tls.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/support/scoped_temp_dir.h"

namespace gryadka::client {
namespace {

constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

// The SSL target-name override in `args`, or "" when there is none.
std::string NameOverride(const grpc::ChannelArguments& args) {
  const grpc_channel_args c = args.c_channel_args();
  for (size_t i = 0; i < c.num_args; ++i) {
    if (std::string(c.args[i].key) == GRPC_SSL_TARGET_NAME_OVERRIDE_ARG) {
      return c.args[i].value.string;
    }
  }
  return "";
}

class ClientTlsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return tmp_.Write(name, content);
  }
  test_support::ScopedTempDir tmp_{"client_tls_test_"};
  const std::filesystem::path dir_ = tmp_.path();
};

TEST_F(ClientTlsTest, UnsetTlsGivesPlaintextCredentialsAndNoOverride) {
  grpc::ChannelArguments args;
  auto credentials = MakeChannelCredentials(std::nullopt, &args);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
  EXPECT_EQ(NameOverride(args), "");
}

TEST_F(ClientTlsTest, ServerNameBecomesTheSslTargetNameOverride) {
  TlsOptions tls;
  tls.ca_file = Write("ca.pem", kCertPem);
  tls.server_name = "gryadka.example";
  grpc::ChannelArguments args;
  auto credentials = MakeChannelCredentials(tls, &args);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(NameOverride(args), "gryadka.example");
}

TEST_F(ClientTlsTest, UnreadableFilesAreErrorsNamingTheFieldAndThePath) {
  TlsOptions tls;
  tls.ca_file = (dir_ / "absent.pem").string();
  grpc::ChannelArguments args;
  auto credentials = MakeChannelCredentials(tls, &args);
  ASSERT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(
      credentials.status().message(),
      absl::StrCat("ClientOptions.tls.ca_file: file \"", tls.ca_file, "\" cannot be opened")))
      << credentials.status();
  credentials = MakeChannelCredentials(tls, &args, kCtlTlsNames);
  EXPECT_TRUE(absl::StartsWith(credentials.status().message(), "--tls_ca: file"))
      << credentials.status();

  tls.ca_file = Write("ca.pem", kCertPem);
  tls.cert_file = Write("not-pem.crt", "hello");
  tls.key_file = Write("client.key", kKeyPem);
  credentials = MakeChannelCredentials(tls, &args);
  EXPECT_TRUE(absl::StrContains(
      credentials.status().message(),
      "ClientOptions.tls.cert_file: file \"" + tls.cert_file + "\" holds no PEM block"))
      << credentials.status();
}

TEST_F(ClientTlsTest, ClientCertificateWithoutKeyIsRefused) {
  TlsOptions tls;
  tls.cert_file = Write("client.crt", kCertPem);
  grpc::ChannelArguments args;
  auto credentials = MakeChannelCredentials(tls, &args);
  EXPECT_TRUE(absl::StrContains(credentials.status().message(),
                                "ClientOptions.tls.cert_file is set without "
                                "ClientOptions.tls.key_file"))
      << credentials.status();
  tls = TlsOptions{};
  tls.key_file = Write("client.key", kKeyPem);
  credentials = MakeChannelCredentials(tls, &args, kCtlTlsNames);
  EXPECT_TRUE(
      absl::StrContains(credentials.status().message(), "--tls_key is set without --tls_cert"))
      << credentials.status();
}

TEST_F(ClientTlsTest, ClientCreateFailsNamingAnUnreadableTlsFile) {
  ClientOptions options;
  options.targets = {"127.0.0.1:1"};
  options.tls = TlsOptions{};
  options.tls->ca_file = (dir_ / "missing-ca.pem").string();
  auto client = Client::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(client.status().message(), options.tls->ca_file))
      << client.status();
  options.tls->ca_file = Write("ca.pem", kCertPem);
  EXPECT_TRUE(Client::Create(options).ok());
}

}  // namespace
}  // namespace gryadka::client
