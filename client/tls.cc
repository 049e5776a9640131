#include "client/tls.h"

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gryadka::client {
namespace {

// Reads the PEM file of field `what` into *out ("" path: leaves *out empty).
absl::Status ReadPem(absl::string_view what, const std::string& path, std::string* out) {
  if (path.empty()) return absl::OkStatus();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": file \"", path, "\" ", why));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot be opened for reading (missing or no permission)");
  out->assign(kTlsFileBytesMax + 1, '\0');
  in.read(out->data(), static_cast<std::streamsize>(out->size()));
  if (in.bad()) return bad("cannot be read");
  out->resize(static_cast<size_t>(in.gcount()));
  if (out->size() > kTlsFileBytesMax) {
    return bad(absl::StrCat("is larger than ", kTlsFileBytesMax, " bytes"));
  }
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
