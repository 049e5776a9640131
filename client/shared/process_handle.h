// Child processes (Redis servers, proposers) started and stopped by PID, free loopback ports and
// fresh temp dirs: the process helpers of the tests (tests/support builds on them) and of
// gryadka-bench --spawn. Plain code, no test framework.
//
// A ProcessHandle only ever signals the PID it spawned, and forgets the PID once it reaped the
// child, so a recycled PID is never hit. The child's stdout and stderr go to a log file in the
// handle's directory (a fresh temp dir unless one is given). The child gets SIGKILL if the
// spawning thread dies (PR_SET_PDEATHSIG), so a crashed test or benchmark leaves no server
// behind: spawn from a thread that outlives the child (normally the main thread).
//
// Thread-compatible: one owner thread per handle.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gryadka::process {

// A loopback TCP port that was free a moment ago (bound to 127.0.0.1:0, then released). Another
// process may take it before the caller binds it: callers retry on collision.
absl::StatusOr<int> FreeLoopbackPort();

// Creates a fresh directory "<$TMPDIR or /tmp>/<prefix>XXXXXX" and returns its path.
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

struct ProcessSpec {
  std::string binary;             // a path, or a name looked up in PATH
  std::vector<std::string> args;  // arguments after argv[0]
  std::vector<std::string> env;   // extra "NAME=value" entries on top of this process's env
  std::string name;               // label for messages and the log file; default: basename
};

inline constexpr int64_t kStopGraceMs = 5000;  // SIGTERM -> SIGKILL escalation delay

class ProcessHandle {
 public:
  // Starts `spec`. Logs go to <dir>/<name>.log. If `dir` is empty a temp dir is created and
  // removed by the destructor; a given `dir` is removed too if `adopt_dir`, else left in place.
  // (GRYADKA_KEEP_TEST_DIRS in the environment keeps every dir, for debugging.) Fails if the
  // binary cannot be found or executed.
  static absl::StatusOr<std::unique_ptr<ProcessHandle>> Start(ProcessSpec spec,
                                                              std::string dir = "",
                                                              bool adopt_dir = false);
  // Stop()s the child, then removes the temp dir it created.
  ~ProcessHandle();
  ProcessHandle(const ProcessHandle&) = delete;
  ProcessHandle& operator=(const ProcessHandle&) = delete;

  // Starts the same spec again in the same dir (the log is appended to); stops it first if it
  // is still running.
  absl::Status Restart();
  // SIGTERM (and SIGCONT, in case it is paused); SIGKILL if it has not exited after
  // `grace_ms`. Returns once the child is reaped. No-op if it is not running.
  void Stop(int64_t grace_ms = kStopGraceMs);
  // SIGKILL, then reaps. No-op if it is not running.
  void Kill();
  // SIGSTOP; returns once the child is stopped. SIGCONT resumes it.
  void Pause();
  void Resume();

  // True until the child has exited (reaps it if it has).
  bool Running();
  // Waits up to `timeout_ms` for the child to exit (reaping it); true once it has, false if it
  // is still running then (it is left running).
  bool WaitExit(int64_t timeout_ms);
  // The wait(2) status of the last exit, if the child has exited since the last (re)start.
  std::optional<int> exit_status() const { return exit_status_; }
  // The PID of the running child, or -1.
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::string& log_path() const { return log_path_; }
  // The last `bytes_max` bytes of the log ("" if there is none).
  std::string LogTail(size_t bytes_max = 4096) const;
  // "redis-server (pid 1234)" for messages.
  std::string Describe() const;

 private:
  ProcessHandle(ProcessSpec spec, std::string resolved_binary, std::string dir, bool owns_dir);
  absl::Status Spawn();
  void Reap(int options);

  const ProcessSpec spec_;
  const std::string binary_path_;
  const std::string dir_;
  const bool owns_dir_;
  const std::string log_path_;
  pid_t pid_ = -1;
  bool paused_ = false;  // SIGSTOPped by Pause() and not resumed since
  std::optional<int> exit_status_;
};

}  // namespace gryadka::process
