// Test certificates made at run time with the `openssl` command-line tool (a Debian package,
// deploy/local/lib/deps.sh): CAs and leaf certificates for the TLS integration tests. Nothing
// is checked in; every test makes its own in its temp dir, valid for 2 days.
//
// Thread-compatible. Each openssl run is a child process started and reaped by PID
// (client/shared/process_handle.h), bounded by kOpensslRunMs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gryadka::integration {

inline constexpr int64_t kOpensslRunMs = 30000;

struct CertFiles {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (PKCS#8, P-256)
};

class TestCerts {
 public:
  // Certificates go to `dir`, which must exist.
  explicit TestCerts(std::string dir) : dir_(std::move(dir)) {}

  // A self-signed CA "<name>" in <dir>/<name>.crt and .key.
  absl::StatusOr<CertFiles> MakeCa(const std::string& name);
  // A certificate "<name>" signed by `ca`, with serial `serial`: a server certificate for the
  // DNS names `dns_names` (subjectAltName), or a client certificate when `dns_names` is empty.
  absl::StatusOr<CertFiles> MakeLeaf(const std::string& name, const CertFiles& ca,
                                     const std::vector<std::string>& dns_names, uint64_t serial);

 private:
  // Runs openssl with `args` in dir_; fails with its output when it does not exit 0.
  absl::Status Openssl(const std::vector<std::string>& args);
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

  const std::string dir_;
};

}  // namespace gryadka::integration
