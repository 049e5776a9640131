#include "tests/integration/test_certs.h"

#include <sys/wait.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/shared/process_handle.h"

namespace gryadka::integration {
namespace {

constexpr char kCurve[] = "ec_paramgen_curve:prime256v1";

}  // namespace

absl::Status TestCerts::Openssl(const std::vector<std::string>& args) {
  process::ProcessSpec spec;
  spec.binary = "openssl";
  spec.args = args;
  spec.name = "openssl";
  auto process = process::ProcessHandle::Start(spec);
  if (!process.ok()) return process.status();
  if (!(*process)->WaitExit(kOpensslRunMs)) {
    (*process)->Kill();
    return absl::DeadlineExceededError(absl::StrCat(
        "openssl ", absl::StrJoin(args, " "), ": still running after ", kOpensslRunMs, " ms"));
  }
  const std::optional<int> status = (*process)->exit_status();
  if (status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("openssl ", absl::StrJoin(args, " "), " failed:\n", (*process)->LogTail()));
}

absl::StatusOr<CertFiles> TestCerts::MakeCa(const std::string& name) {
  CertFiles ca{Path(name + ".crt"), Path(name + ".key")};
  absl::Status s = Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", kCurve, "-nodes",
                            "-keyout", ca.key, "-out", ca.cert, "-days", "2", "-subj",
                            "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                            "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  if (!s.ok()) return s;
  return ca;
}

absl::StatusOr<CertFiles> TestCerts::MakeLeaf(const std::string& name, const CertFiles& ca,
                                              const std::vector<std::string>& dns_names,
                                              uint64_t serial) {
  CertFiles leaf{Path(name + ".crt"), Path(name + ".key")};
  const std::string csr = Path(name + ".csr");
  const std::string ext = Path(name + ".ext");
  {
    std::ofstream out(ext);
    out << "basicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature,keyEncipherment\n";
    if (dns_names.empty()) {
      out << "extendedKeyUsage=clientAuth\n";
    } else {
      std::vector<std::string> sans;
      for (const std::string& dns : dns_names) sans.push_back("DNS:" + dns);
      out << "extendedKeyUsage=serverAuth\n"
          << "subjectAltName=" << absl::StrJoin(sans, ",") << "\n";
    }
    if (!out) return absl::InternalError("cannot write " + ext);
  }
  absl::Status s = Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", kCurve, "-nodes", "-keyout",
                            leaf.key, "-out", csr, "-subj", "/CN=" + name});
  if (!s.ok()) return s;
  s = Openssl({"x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
               absl::StrCat(serial), "-days", "2", "-extfile", ext, "-out", leaf.cert});
  if (!s.ok()) return s;
  return leaf;
}

}  // namespace gryadka::integration
