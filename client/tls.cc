#include "client/tls.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/bounded_file.h"

namespace gryadka::client {
namespace {

// Reads the PEM file of field `what` into *out ("" path: leaves *out empty).
absl::Status ReadPem(absl::string_view what, const std::string& path, std::string* out) {
  if (path.empty()) return absl::OkStatus();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": file \"", path, "\" ", why));
  };
  absl::StatusOr<std::string> content = ReadFileBounded(path, kTlsFileBytesMax);
  if (!content.ok()) return bad(content.status().message());
  *out = *std::move(content);
  if (!absl::StrContains(*out, "-----BEGIN ")) return bad("holds no PEM block");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const std::optional<TlsOptions>& tls, grpc::ChannelArguments* args, const TlsFileNames& names) {
  if (!tls.has_value()) return grpc::InsecureChannelCredentials();
  if (tls->cert_file.empty() != tls->key_file.empty()) {
    const bool cert = !tls->cert_file.empty();
    return absl::InvalidArgumentError(
        absl::StrCat(cert ? names.cert_file : names.key_file, " is set without ",
                     cert ? names.key_file : names.cert_file, ": a client certificate needs both"));
  }
  grpc::SslCredentialsOptions ssl;
  if (absl::Status s = ReadPem(names.ca_file, tls->ca_file, &ssl.pem_root_certs); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadPem(names.cert_file, tls->cert_file, &ssl.pem_cert_chain); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadPem(names.key_file, tls->key_file, &ssl.pem_private_key); !s.ok()) {
    return s;
  }
  if (!tls->server_name.empty()) args->SetSslTargetNameOverride(tls->server_name);
  return grpc::SslCredentials(ssl);
}

}  // namespace gryadka::client
