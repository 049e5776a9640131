// SIGINT/SIGTERM for the benchmark binaries (gryadka-bench, gryadka-compare): a handler that only
// records that a stop was asked for, polled by the loops, which then wind down and report.
// Process-wide: install once from main() before any thread starts; StopRequested() is safe from
// any thread and from signal handlers (it reads one volatile std::sig_atomic_t).
#pragma once

namespace gryadka::bench {

// Installs the recording handler for SIGINT and SIGTERM (sigaction, empty mask, no flags).
// Returns false when sigaction refused either signal (errno is left as it set it).
bool InstallStopSignalHandlers();

// True once SIGINT or SIGTERM was received after InstallStopSignalHandlers().
bool StopRequested();

}  // namespace gryadka::bench
