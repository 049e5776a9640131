// Reading a small whole file — a certificate, a key, a password, a membership file — with a
// bound on its size, so a wrong path (a log, a device) cannot make a process read without end.
// Shared by the client, the proposer and the acceptor adapter (like utf8.h).
//
// Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace gryadka {

// Returns the bytes of the file at `path` (following symlinks), or an error whose message says
// why without naming the path (callers put the path, or the flag, in front):
//   NOT_FOUND          "cannot be opened for reading: <strerror>" (missing, or any open error
//                       but permission)
//   PERMISSION_DENIED  "cannot be opened for reading: Permission denied"
//   DATA_LOSS          "cannot be read" (an I/O error while reading)
//   OUT_OF_RANGE       "is larger than <bytes_max> bytes"
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t bytes_max);

}  // namespace gryadka
