#include "bench/load/stop_signals.h"

#include <signal.h>

#include <csignal>

namespace gryadka::bench {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;
void OnStopSignal(int) { g_stop_requested = 1; }

}  // namespace

bool InstallStopSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = &OnStopSignal;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGINT, &sa, nullptr) == 0 && sigaction(SIGTERM, &sa, nullptr) == 0;
}

bool StopRequested() { return g_stop_requested != 0; }

}  // namespace gryadka::bench
