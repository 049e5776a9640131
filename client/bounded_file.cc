#include "client/bounded_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gryadka {

absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t bytes_max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = absl::StrCat("cannot be opened for reading: ", std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(why);
    return absl::NotFoundError(why);
  }
  // One byte more than allowed tells "exactly bytes_max" from "larger".
  std::string content(bytes_max + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) return absl::DataLossError("cannot be read");
  content.resize(static_cast<size_t>(in.gcount()));
  if (content.size() > bytes_max) {
    return absl::OutOfRangeError(absl::StrCat("is larger than ", bytes_max, " bytes"));
  }
  return content;
}

}  // namespace gryadka
