// TLS settings of a gryadka client (gryadka::ClientOptions::tls, gryadkactl --tls_*; see
// docs/security.md). A plain struct, so argument parsers can fill it without gRPC headers.
#pragma once

#include <string>

namespace gryadka {

struct TlsOptions {
  // PEM bundle of the CAs trusted to sign the proposers' certificates; empty = the system's
  // root certificates.
  std::string ca_file;
  // PEM client certificate chain and its private key, for mutual TLS (proposers started with
  // --tls_client_ca_file); both or neither.
  std::string cert_file;
  std::string key_file;
  // The name checked in the proposer's certificate instead of the target's host (e.g. the
  // Service DNS name when connecting through `kubectl port-forward` to 127.0.0.1); empty = the
  // target's host.
  std::string server_name;
};

}  // namespace gryadka
