// TLS on the proposer's gRPC port (--tls_cert_file, --tls_key_file, --tls_client_ca_file,
// --tls_reload_interval_s; docs/security.md): checking the flags and building the server
// credentials.
//
// The files are watched by gRPC's FileWatcherCertificateProvider: every reload_interval_s they
// are read again, and a changed certificate/key (or client CA bundle) is used for every NEW
// connection, without a restart; established connections keep the credentials they were
// handshaken with. Replace the files atomically (e.g. a symlink swap, as the kubelet does for
// mounted Secrets): a reload that reads a half-written file or a mismatched pair can make new
// handshakes fail until a later reload reads a consistent pair.
//
// Thread-safety: pure functions; the credentials may be shared by any number of servers.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace gryadka::server {

inline constexpr int64_t kTlsReloadIntervalSMin = 1;
inline constexpr int64_t kTlsReloadIntervalSMax = 24 * 60 * 60;
// Bound on what CheckTlsOptions reads of each file, in bytes (PEM bundles are a few KiB).
inline constexpr size_t kTlsFileBytesMax = 1 << 20;

struct TlsServerOptions {
  std::string cert_file;           // PEM certificate chain; with key_file: --listen serves TLS
  std::string key_file;            // PEM private key
  std::string client_ca_file;      // PEM CA bundle; set = clients must present a certificate
                                   // signed by it (mutual TLS)
  int64_t reload_interval_s = 60;  // how often the files are re-read

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Checks the options: cert_file and key_file both or neither; client_ca_file only with them;
// reload_interval_s in kTlsReloadIntervalSMin..kTlsReloadIntervalSMax; every given file
// readable, at most kTlsFileBytesMax, and holding the PEM block it must (a CERTIFICATE in the
// certificate and CA files, a PRIVATE KEY in the key file). Returns INVALID_ARGUMENT naming the
// flag and the file at fault; OK for all-empty options (plaintext).
absl::Status CheckTlsOptions(const TlsServerOptions& options);

// The credentials of the --listen port: InsecureServerCredentials() when !options.enabled(),
// else TLS from a FileWatcherCertificateProvider over the files (client certificates requested,
// required and verified against client_ca_file when it is set, not requested otherwise).
// REQUIRES: CheckTlsOptions(options).ok().
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsServerOptions& options);

}  // namespace gryadka::server
