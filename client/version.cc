#include "client/version.h"

#include "absl/strings/str_cat.h"

#ifndef GRYADKA_VERSION
#error "GRYADKA_VERSION must be defined by the build (client/CMakeLists.txt)"
#endif
#ifndef GRYADKA_BUILD_TYPE
#error "GRYADKA_BUILD_TYPE must be defined by the build (client/CMakeLists.txt)"
#endif

namespace gryadka {

std::string ProjectVersion() { return GRYADKA_VERSION; }

std::string BuildType() {
  const std::string type = GRYADKA_BUILD_TYPE;
  return type.empty() ? "unspecified" : type;
}

bool AssertionsEnabled() {
#ifdef NDEBUG
  return false;
#else
  return true;
#endif
}

std::string VersionLine(const std::string& program) {
  return absl::StrCat(program, " ", ProjectVersion(), " (", BuildType(), ", assertions ",
                      AssertionsEnabled() ? "on" : "off", ")");
}

}  // namespace gryadka
