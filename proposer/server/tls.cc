#include "proposer/server/tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/bounded_file.h"

namespace gryadka::server {
namespace {

// Checks that `flag`'s file is readable and holds a PEM block whose label ends with `label`
// ("CERTIFICATE", "PRIVATE KEY").
absl::Status CheckPemFile(const char* flag, const std::string& path, const char* label) {
  absl::StatusOr<std::string> content = ReadFileBounded(path, kTlsFileBytesMax);
  absl::Status read = content.status();
  if (read.ok() && (!absl::StrContains(*content, "-----BEGIN ") ||
                    !absl::StrContains(*content, absl::StrCat(label, "-----")))) {
    read = absl::InvalidArgumentError(absl::StrCat("holds no PEM ", label, " block"));
  }
  if (read.ok()) return read;
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": file \"", path, "\" ", read.message()));
}

}  // namespace

absl::Status CheckTlsOptions(const TlsServerOptions& o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError(
        o.cert_file.empty()
            ? "--tls_key_file is set without --tls_cert_file: give both or neither"
            : "--tls_cert_file is set without --tls_key_file: give both or neither");
  }
  if (!o.client_ca_file.empty() && !o.enabled()) {
    return absl::InvalidArgumentError(
        "--tls_client_ca_file needs --tls_cert_file and --tls_key_file (mutual TLS is TLS)");
  }
  if (o.reload_interval_s < kTlsReloadIntervalSMin ||
      o.reload_interval_s > kTlsReloadIntervalSMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_reload_interval_s is ", o.reload_interval_s, ", must be in ",
                     kTlsReloadIntervalSMin, "..", kTlsReloadIntervalSMax, " seconds"));
  }
  if (!o.enabled()) return absl::OkStatus();
  if (absl::Status s = CheckPemFile("tls_cert_file", o.cert_file, "CERTIFICATE"); !s.ok()) return s;
  if (absl::Status s = CheckPemFile("tls_key_file", o.key_file, "PRIVATE KEY"); !s.ok()) return s;
  if (!o.client_ca_file.empty()) {
    return CheckPemFile("tls_client_ca_file", o.client_ca_file, "CERTIFICATE");
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsServerOptions& o) {
  if (!o.enabled()) return grpc::InsecureServerCredentials();
  const auto interval = static_cast<unsigned int>(o.reload_interval_s);
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider =
      o.client_ca_file.empty()
          ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                o.key_file, o.cert_file, interval)
          : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                o.key_file, o.cert_file, o.client_ca_file, interval);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (o.client_ca_file.empty()) {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

}  // namespace gryadka::server
