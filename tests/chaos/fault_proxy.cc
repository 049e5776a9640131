#include "tests/chaos/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gryadka::chaos {
namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Errno(const char* what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

void SetNonBlockingNoDelay(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Closes with RST instead of FIN.
void Reset(int fd) {
  if (fd < 0) return;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

// A blocking connect to 127.0.0.1:port; -1 on failure.
int ConnectUpstream(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One direction of a connection: bytes read from `from`, each chunk due at a time, written to
// `to` in order.
struct Pipe {
  struct Chunk {
    int64_t due_us;
    std::string bytes;
    size_t written = 0;
  };
  std::deque<Chunk> queue;
  size_t queued_bytes = 0;

  bool HeadDue(int64_t now_us) const { return !queue.empty() && queue.front().due_us <= now_us; }
};

}  // namespace

std::string DescribeFaults(const LinkFaults& f) {
  if (f.healthy()) return "healthy";
  std::vector<std::string> parts;
  if (f.cut) parts.push_back("cut");
  if (f.stall) parts.push_back("stall");
  if (f.latency_ms > 0) parts.push_back(absl::StrCat("latency ", f.latency_ms, "ms"));
  if (f.block_to_upstream) parts.push_back("one-way: to upstream blocked");
  if (f.block_to_client) parts.push_back("one-way: to client blocked");
  return absl::StrJoin(parts, ", ");
}

struct FaultProxy::Connection {
  int client_fd = -1;
  int upstream_fd = -1;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> seen_generation{0};  // the faults this connection serves under
  std::thread thread;
};

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(int upstream_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(Errno("socket"));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || listen(fd, 64) != 0) {
    const std::string error = Errno("bind/listen on 127.0.0.1:0");
    close(fd);
    return absl::InternalError(error);
  }
  return std::unique_ptr<FaultProxy>(new FaultProxy(fd, ntohs(addr.sin_port), upstream_port));
}

FaultProxy::FaultProxy(int listen_fd, int port, int upstream_port)
    : listen_fd_(listen_fd), port_(port), upstream_port_(upstream_port) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  acceptor_.join();
  std::vector<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (auto& c : connections) c->thread.join();
  close(listen_fd_);
}

void FaultProxy::Set(const LinkFaults& faults) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_ = faults;
  faults_.latency_ms = std::max<int64_t>(0, faults.latency_ms);
  ++generation_;
}

LinkFaults FaultProxy::Current(uint64_t* generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  *generation = generation_;
  return faults_;
}

bool FaultProxy::WaitApplied(int64_t timeout_ms) const {
  const int64_t deadline_us = NowUs() + timeout_ms * 1000;
  for (;;) {
    bool applied = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& c : connections_) {
        if (!c->done && c->seen_generation < generation_) applied = false;
      }
    }
    if (applied) return true;
    if (NowUs() >= deadline_us) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

LinkFaults FaultProxy::faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

int FaultProxy::live_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  int live = 0;
  for (const auto& c : connections_) live += c->done ? 0 : 1;
  return live;
}

void FaultProxy::ReapFinished() {
  std::vector<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::partition(connections_.begin(), connections_.end(),
                             [](const auto& c) { return !c->done.load(); });
    std::move(it, connections_.end(), std::back_inserter(finished));
    connections_.erase(it, connections_.end());
  }
  for (auto& c : finished) c->thread.join();
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    ReapFinished();
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(kProxyPollIntervalMs)) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    accepted_++;
    if (faults().cut || live_connections() >= kProxyConnectionsMax) {
      Reset(client);
      continue;
    }
    const int upstream = ConnectUpstream(upstream_port_);
    if (upstream < 0) {  // upstream down: the client sees the same as a refused connection
      Reset(client);
      continue;
    }
    SetNonBlockingNoDelay(client);
    SetNonBlockingNoDelay(upstream);
    auto c = std::make_unique<Connection>();
    c->client_fd = client;
    c->upstream_fd = upstream;
    Connection* raw = c.get();
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void FaultProxy::Serve(Connection* c) {
  // Index 0: client -> upstream, 1: upstream -> client.
  const int from[2] = {c->client_fd, c->upstream_fd};
  const int to[2] = {c->upstream_fd, c->client_fd};
  Pipe pipes[2];
  bool reset = false;
  bool closed = false;
  while (!stopping_ && !closed) {
    uint64_t generation = 0;
    const LinkFaults f = Current(&generation);
    if (f.cut) {
      reset = true;
      break;
    }
    c->seen_generation = generation;
    const bool blocked[2] = {f.stall || f.block_to_upstream, f.stall || f.block_to_client};
    int64_t now = NowUs();
    pollfd fds[2] = {{c->client_fd, 0, 0}, {c->upstream_fd, 0, 0}};
    int64_t wait_us = kProxyPollIntervalMs * 1000;
    for (int d = 0; d < 2; ++d) {
      if (blocked[d]) continue;
      if (pipes[d].queued_bytes < kProxyQueueBytesMax) fds[d].events |= POLLIN;
      if (pipes[d].HeadDue(now)) {
        fds[1 - d].events |= POLLOUT;
      } else if (!pipes[d].queue.empty()) {
        wait_us = std::min(wait_us, pipes[d].queue.front().due_us - now);
      }
    }
    // fds[i] is the socket of side i; a write to `to[d]` is side 1-d. A side with nothing to
    // wait for is left out, so a hang-up on a stalled side does not spin the loop.
    for (pollfd& p : fds) {
      if (p.events == 0) p.fd = -1;
    }
    poll(fds, 2, static_cast<int>((std::max<int64_t>(wait_us, 0) + 999) / 1000));
    now = NowUs();
    for (int d = 0; d < 2 && !closed; ++d) {
      if (blocked[d]) continue;
      if ((fds[d].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        std::string buf(kReadChunkBytes, '\0');
        const ssize_t n = read(from[d], buf.data(), buf.size());
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          closed = true;
          break;
        }
        if (n > 0) {
          buf.resize(static_cast<size_t>(n));
          pipes[d].queued_bytes += buf.size();
          pipes[d].queue.push_back({now + f.latency_ms * 1000, std::move(buf)});
        }
      }
      while (pipes[d].HeadDue(now)) {
        Pipe::Chunk& head = pipes[d].queue.front();
        const ssize_t n = send(to[d], head.bytes.data() + head.written,
                               head.bytes.size() - head.written, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN && errno != EINTR) closed = true;
          break;
        }
        head.written += static_cast<size_t>(n);
        if (head.written < head.bytes.size()) break;
        pipes[d].queued_bytes -= head.bytes.size();
        pipes[d].queue.pop_front();
      }
    }
  }
  if (reset || stopping_) {
    Reset(c->client_fd);
    Reset(c->upstream_fd);
  } else {
    close(c->client_fd);
    close(c->upstream_fd);
  }
  c->done = true;
}

}  // namespace gryadka::chaos
