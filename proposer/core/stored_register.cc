#include "proposer/core/stored_register.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gryadka::core {
namespace {

absl::Status NotARegister(std::string_view key, std::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the value stored under key '", absl::string_view(key.data(), key.size()),
      "' is not a Gryadka register (", absl::string_view(why.data(), why.size()),
      "); delete it on the acceptors or use another prefix"));
}

}  // namespace

absl::StatusOr<internal::StoredRegister> DecodeStoredRegister(std::string_view bytes,
                                                              std::string_view key) {
  internal::StoredRegister reg;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !reg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return NotARegister(key, "it does not parse");
  }
  if (reg.version() == 0 && !reg.value().empty()) {
    return NotARegister(key, absl::StrCat("version 0 means absent, yet it holds a value of ",
                                          reg.value().size(), " bytes"));
  }
  // A proposer keeps one mark (its last changing round); two would make "did my attempt
  // apply?" ambiguous for the exactly-once rule (docs/protocol.md).
  for (int i = 0; i < reg.writers_size(); ++i) {
    for (int j = 0; j < i; ++j) {
      if (reg.writers(i).proposer_id() == reg.writers(j).proposer_id()) {
        return NotARegister(key, absl::StrCat("proposer ", reg.writers(i).proposer_id(),
                                              " has two writer marks"));
      }
    }
  }
  return reg;
}

}  // namespace gryadka::core
