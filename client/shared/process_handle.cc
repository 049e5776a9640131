#include "client/shared/process_handle.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace gryadka::process {
namespace {

constexpr int kFdScanMax = 65536;       // fds marked close-on-exec when close_range is missing
constexpr int64_t kPollIntervalMs = 5;  // while waiting for a child to exit

std::string Errno(const char* what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// Resolves `binary` like execvp would, but in the parent (so the child only calls execve).
absl::StatusOr<std::string> ResolveBinary(const std::string& binary) {
  if (binary.find('/') != std::string::npos) {
    if (access(binary.c_str(), X_OK) == 0) return binary;
    return absl::NotFoundError(absl::StrCat(binary, " is not an executable file"));
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = absl::StrCat(dir, "/", binary);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return absl::NotFoundError(absl::StrCat(binary, " not found in PATH"));
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child: makes every inherited descriptor above stderr close on exec.
void CloseInheritedFdsOnExec(int keep_fd) {
#ifdef CLOSE_RANGE_CLOEXEC
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  for (int fd = 3; fd < kFdScanMax; ++fd) {
    if (fd != keep_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void ExecChild(pid_t parent, int log_fd, int err_fd, const char* path, char** argv,
                            char** envp) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  CloseInheritedFdsOnExec(err_fd);
  execve(path, argv, envp);
  const int err = errno;
  (void)!write(err_fd, &err, sizeof(err));
  _exit(127);
}

}  // namespace

absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(Errno("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const std::string error = ok ? "" : Errno("bind/getsockname on 127.0.0.1:0");
  close(fd);
  if (!ok) return absl::InternalError(error);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<std::string> MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/", prefix,
                                   "XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(Errno(absl::StrCat("mkdtemp ", templ).c_str()));
  }
  return templ;
}

absl::StatusOr<std::unique_ptr<ProcessHandle>> ProcessHandle::Start(ProcessSpec spec,
                                                                    std::string dir,
                                                                    bool adopt_dir) {
  absl::StatusOr<std::string> path = ResolveBinary(spec.binary);
  if (!path.ok()) return path.status();
  if (spec.name.empty()) spec.name = std::filesystem::path(spec.binary).filename().string();
  const bool owns_dir = dir.empty() || adopt_dir;
  if (dir.empty()) {
    absl::StatusOr<std::string> made = MakeTempDir(absl::StrCat("gryadka-", spec.name, "-"));
    if (!made.ok()) return made.status();
    dir = *std::move(made);
  }
  std::unique_ptr<ProcessHandle> handle(
      new ProcessHandle(std::move(spec), *std::move(path), std::move(dir), owns_dir));
  if (absl::Status s = handle->Spawn(); !s.ok()) return s;
  return handle;
}

ProcessHandle::ProcessHandle(ProcessSpec spec, std::string resolved_binary, std::string dir,
                             bool owns_dir)
    : spec_(std::move(spec)),
      binary_path_(std::move(resolved_binary)),
      dir_(std::move(dir)),
      owns_dir_(owns_dir),
      log_path_(absl::StrCat(dir_, "/", spec_.name, ".log")) {}

ProcessHandle::~ProcessHandle() {
  Stop();
  if (owns_dir_ && std::getenv("GRYADKA_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status ProcessHandle::Spawn() {
  std::vector<std::string> argv_strings = {binary_path_};
  argv_strings.insert(argv_strings.end(), spec_.args.begin(), spec_.args.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), spec_.env.begin(), spec_.env.end());
  std::vector<char*> argv = CStrings(argv_strings), envp = CStrings(env_strings);

  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(Errno(absl::StrCat("open ", log_path_).c_str()));
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError(Errno("pipe2"));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(parent, log_fd, err_pipe[1], binary_path_.c_str(), argv.data(), envp.data());
  }
  const int fork_errno = errno;
  close(log_fd);
  close(err_pipe[1]);
  if (pid < 0) {
    close(err_pipe[0]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  }
  int exec_errno = 0;
  const ssize_t n = read(err_pipe[0], &exec_errno, sizeof(exec_errno));  // EOF once exec'd
  close(err_pipe[0]);
  pid_ = pid;
  paused_ = false;
  exit_status_.reset();
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    Reap(0);
    return absl::InternalError(
        absl::StrCat("cannot execute ", binary_path_, ": ", std::strerror(exec_errno)));
  }
  return absl::OkStatus();
}

// Reaps the child if waitpid(options) reports it exited; forgets its PID then.
void ProcessHandle::Reap(int options) {
  if (pid_ <= 0) return;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, options);
  if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
    exit_status_ = status;
    pid_ = -1;
  } else if (r < 0 && errno == ECHILD) {
    pid_ = -1;  // not our child any more (reaped elsewhere): never signal that PID again
  }
}

bool ProcessHandle::Running() {
  Reap(WNOHANG);
  return pid_ > 0;
}

bool ProcessHandle::WaitExit(int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  return true;
}

absl::Status ProcessHandle::Restart() {
  Stop();
  return Spawn();
}

void ProcessHandle::Stop(int64_t grace_ms) {
  if (!Running()) return;
  kill(pid_, SIGTERM);
  Resume();  // a stopped process acts on SIGTERM only once continued
  if (WaitExit(grace_ms)) return;
  Kill();
}

void ProcessHandle::Kill() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  while (pid_ > 0) Reap(0);
}

void ProcessHandle::Pause() {
  if (paused_ || !Running()) return;
  kill(pid_, SIGSTOP);
  int status = 0;
  if (waitpid(pid_, &status, WUNTRACED) == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
    exit_status_ = status;  // it exited instead of stopping
    pid_ = -1;
    return;
  }
  paused_ = true;
}

void ProcessHandle::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
  paused_ = false;
}

std::string ProcessHandle::LogTail(size_t bytes_max) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(bytes_max)
                                  ? size - static_cast<std::streamoff>(bytes_max)
                                  : 0;
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return tail;
}

std::string ProcessHandle::Describe() const {
  return absl::StrCat(spec_.name, " (pid ", pid_, ", dir ", dir_, ")");
}

}  // namespace gryadka::process
