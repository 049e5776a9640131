// gRPC channel credentials from gryadka::TlsOptions (client/tls_options.h): every channel a
// gryadka client creates (the KV and health channels of gryadka::Client, gryadkactl's Admin
// channels) is made with MakeChannelCredentials().
//
// The PEM files are read once, when the credentials are made; create a new client to pick up
// rotated client certificates.
//
// Thread-safety: pure functions.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "client/tls_options.h"

namespace gryadka::client {

// Bound on each PEM file read, in bytes.
inline constexpr size_t kTlsFileBytesMax = 1 << 20;

// How error messages name the three files.
struct TlsFileNames {
  const char* ca_file;
  const char* cert_file;
  const char* key_file;
};
inline constexpr TlsFileNames kClientOptionsTlsNames = {
    "ClientOptions.tls.ca_file", "ClientOptions.tls.cert_file", "ClientOptions.tls.key_file"};
inline constexpr TlsFileNames kCtlTlsNames = {"--tls_ca", "--tls_cert", "--tls_key"};

// Plaintext (grpc::InsecureChannelCredentials()) when `tls` is unset; otherwise
// grpc::SslCredentials with the PEM contents of the files, and, when tls->server_name is set,
// the SSL target-name override added to `args` (which the caller's channels must use).
// Returns INVALID_ARGUMENT naming the field (after `names`) and the file when a file cannot be
// read, is larger than kTlsFileBytesMax or holds no PEM block, or when only one of cert_file
// and key_file is set.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const std::optional<TlsOptions>& tls, grpc::ChannelArguments* args,
    const TlsFileNames& names = kClientOptionsTlsNames);

}  // namespace gryadka::client
