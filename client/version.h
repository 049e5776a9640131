// What this binary is: the project version (CMake's project(VERSION)) and how it was built, for
// `--version` of gryadka-proposer and gryadkactl and the proposer's gryadka_build_info metric.
// Thread-safe (constants).
#pragma once

#include <string>

namespace gryadka {

// "0.1.0".
std::string ProjectVersion();

// CMake's build type ("RelWithDebInfo", "Debug", ...; "unspecified" when none was set).
std::string BuildType();

// Whether assert() is compiled in (NDEBUG not defined) in this binary's own code.
bool AssertionsEnabled();

// "PROGRAM 0.1.0 (RelWithDebInfo, assertions off)".
std::string VersionLine(const std::string& program);

}  // namespace gryadka
