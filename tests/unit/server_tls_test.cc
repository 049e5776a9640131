// proposer/server/tls: the checks of --tls_cert_file, --tls_key_file, --tls_client_ca_file and
// --tls_reload_interval_s (the proposer exits 64 with these messages). Real handshakes are in
// tests/integration/tls_integration_test.cc.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proposer/server/tls.h"
#include "tests/support/scoped_temp_dir.h"

namespace gryadka::server {
namespace {

constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

class ServerTlsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    return tmp_.Write(name, content);
  }
  TlsServerOptions Valid() {
    TlsServerOptions o;
    o.cert_file = Write("tls.crt", kCertPem);
    o.key_file = Write("tls.key", kKeyPem);
    return o;
  }

  test_support::ScopedTempDir tmp_{"server_tls_test_"};
  const std::filesystem::path dir_ = tmp_.path();
};

void ExpectInvalid(const TlsServerOptions& o, const std::string& fragment) {
  const absl::Status s = CheckTlsOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), fragment)) << s.message() << "\nwanted: " << fragment;
}

TEST_F(ServerTlsTest, NoTlsFlagsMeanPlaintextAndAreValid) {
  const TlsServerOptions o;
  EXPECT_FALSE(o.enabled());
  EXPECT_TRUE(CheckTlsOptions(o).ok());
  EXPECT_NE(MakeServerCredentials(o), nullptr);
}

TEST_F(ServerTlsTest, CertificateAndKeyFilesWithPemBlocksAreValid) {
  TlsServerOptions o = Valid();
  EXPECT_TRUE(o.enabled());
  EXPECT_TRUE(CheckTlsOptions(o).ok()) << CheckTlsOptions(o);
  o.client_ca_file = Write("ca.crt", kCertPem);
  EXPECT_TRUE(CheckTlsOptions(o).ok()) << CheckTlsOptions(o);
  EXPECT_NE(MakeServerCredentials(o), nullptr);
}

TEST_F(ServerTlsTest, CertificateWithoutKeyIsRefusedNamingBothFlags) {
  TlsServerOptions o = Valid();
  o.key_file.clear();
  ExpectInvalid(o, "--tls_cert_file is set without --tls_key_file");
  o = Valid();
  o.cert_file.clear();
  ExpectInvalid(o, "--tls_key_file is set without --tls_cert_file");
}

TEST_F(ServerTlsTest, ClientCaWithoutServerCertificateIsRefused) {
  TlsServerOptions o;
  o.client_ca_file = Write("ca.crt", kCertPem);
  ExpectInvalid(o, "--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
}

TEST_F(ServerTlsTest, ReloadIntervalOutsideItsBoundsIsRefusedNamingTheBounds) {
  TlsServerOptions o = Valid();
  o.reload_interval_s = 0;
  ExpectInvalid(o, "--tls_reload_interval_s is 0, must be in 1..86400 seconds");
  o.reload_interval_s = kTlsReloadIntervalSMax + 1;
  ExpectInvalid(o, "--tls_reload_interval_s is 86401");
  o.reload_interval_s = kTlsReloadIntervalSMax;
  EXPECT_TRUE(CheckTlsOptions(o).ok());
}

TEST_F(ServerTlsTest, MissingFilesAreRefusedNamingTheFlagAndThePath) {
  TlsServerOptions o = Valid();
  o.cert_file = (dir_ / "absent.crt").string();
  ExpectInvalid(
      o, absl::StrCat("--tls_cert_file: file \"", o.cert_file, "\" cannot be opened for reading"));
  o = Valid();
  o.key_file = (dir_ / "absent.key").string();
  ExpectInvalid(o, absl::StrCat("--tls_key_file: file \"", o.key_file, "\""));
  o = Valid();
  o.client_ca_file = (dir_ / "absent-ca.crt").string();
  ExpectInvalid(o, absl::StrCat("--tls_client_ca_file: file \"", o.client_ca_file, "\""));
}

TEST_F(ServerTlsTest, FilesWithoutTheExpectedPemBlockAreRefused) {
  TlsServerOptions o = Valid();
  o.key_file = Write("cert-as-key.pem", kCertPem);  // swapped files: a classic mistake
  ExpectInvalid(o, "--tls_key_file: file \"" + o.key_file + "\" holds no PEM PRIVATE KEY block");
  o = Valid();
  o.cert_file = Write("empty.crt", "");
  ExpectInvalid(o, "--tls_cert_file: file \"" + o.cert_file + "\" holds no PEM CERTIFICATE block");
  o = Valid();
  o.client_ca_file = Write("key-as-ca.pem", kKeyPem);
  ExpectInvalid(
      o, "--tls_client_ca_file: file \"" + o.client_ca_file + "\" holds no PEM CERTIFICATE block");
}

TEST_F(ServerTlsTest, FileLargerThanTheBoundIsRefused) {
  TlsServerOptions o = Valid();
  o.cert_file = Write("huge.crt", std::string(kTlsFileBytesMax + 1, 'x') + kCertPem);
  ExpectInvalid(o, absl::StrCat("is larger than ", kTlsFileBytesMax, " bytes"));
}

TEST_F(ServerTlsTest, DirectoryGivenAsFileIsRefused) {
  TlsServerOptions o = Valid();
  o.cert_file = dir_.string();
  EXPECT_FALSE(CheckTlsOptions(o).ok());
}

}  // namespace
}  // namespace gryadka::server
