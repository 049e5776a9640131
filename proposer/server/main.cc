// gryadka-proposer: a stateless CASPaxos proposer serving gryadka.v1.KV over gRPC, with Redis
// servers as acceptors. Flags and logging are set up here only.
#include <event2/thread.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "client/version.h"
#include "proposer/core/membership.h"
#include "proposer/core/quorum.h"
#include "proposer/server/admin_service.h"
#include "proposer/server/health_log.h"
#include "proposer/server/health_port.h"
#include "proposer/server/health_service.h"
#include "proposer/server/forwarder.h"
#include "proposer/server/kv_front_end.h"
#include "proposer/server/kv_service.h"
#include "proposer/server/membership_feeds.h"
#include "proposer/server/membership_source.h"
#include "proposer/server/running_membership.h"
#include "proposer/server/logging.h"
#include "proposer/server/metrics.h"
#include "proposer/server/options.h"
#include "proposer/server/shard.h"
#include "proposer/server/tls.h"

#ifdef GRYADKA_WITH_TCMALLOC
#include <gperftools/tcmalloc.h>  // tc_version(): the allocator in use
#endif

ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "gRPC address to serve on, HOST:PORT");
ABSL_FLAG(std::string, acceptors, "",
          "Redis acceptors, HOST:PORT,HOST:PORT,... (2F+1 of them; this or --membership_file is "
          "required); the proposer starts at membership epoch 0");
ABSL_FLAG(std::string, prepare_acceptors, "",
          "subset of --acceptors that prepares go to (default: all); for membership change");
ABSL_FLAG(int, prepare_quorum, 0, "prepare quorum (default: majority of the prepare set)");
ABSL_FLAG(std::string, accept_acceptors, "",
          "subset of --acceptors that accepts go to (default: all); for membership change");
ABSL_FLAG(int, accept_quorum, 0, "accept quorum (default: majority of the accept set)");
ABSL_FLAG(uint32_t, proposer_id, 0,
          "operator-visible id of this proposer (0 = random); ballots add 32 random bits per "
          "start so a restarted proposer never reuses a ballot");
ABSL_FLAG(std::string, redis_prefix, "gryadka:", "prefix of every Redis key this proposer uses");
ABSL_FLAG(int64_t, acceptor_timeout_ms, 500,
          "time an acceptor call or a protocol phase may take before it counts as failed");
ABSL_FLAG(int64_t, straggler_timeout_ms, 10,
          "once a phase has as many answers as a quorum and is still undecided, wait at most "
          "max(this, twice the phase's time so far) for the silent acceptors, then retry");
ABSL_FLAG(uint64_t, max_value_bytes, 1 << 20, "largest value accepted, in bytes");
ABSL_FLAG(uint64_t, max_key_bytes, 1024, "longest key accepted, in bytes");
ABSL_FLAG(uint64_t, max_request_bytes, 0,
          "largest request message gRPC receives, in bytes; requests up to it get the "
          "proposer's own INVALID_ARGUMENT naming the limit, larger ones gRPC's "
          "RESOURCE_EXHAUSTED (0 = 4 * --max_value_bytes + --max_key_bytes + 65536)");
ABSL_FLAG(int, io_threads, 1, "event loops; keys are sharded over them");
ABSL_FLAG(int64_t, default_deadline_ms, 5000, "deadline of calls that carry none");
ABSL_FLAG(int64_t, max_deadline_ms, 60000, "longer client deadlines are cut to this");
ABSL_FLAG(int64_t, drain_timeout_ms, 10000,
          "on SIGTERM/SIGINT, time allowed for in-flight calls to finish");
ABSL_FLAG(uint64_t, cache_entries_max, 1000000, "1-RTT promise cache: entries, whole process");
ABSL_FLAG(uint64_t, cache_bytes_max, 512u << 20, "1-RTT promise cache: bytes, whole process");
ABSL_FLAG(uint64_t, requests_max, 100000,
          "requests in flight, whole process; more are answered RESOURCE_EXHAUSTED");
ABSL_FLAG(bool, one_rtt, true, "skip prepare on a key's next change (cached promise)");
ABSL_FLAG(bool, accept_quorum_first, true,
          "send each accept to a quorum of the acceptors (a different one each round), and to "
          "the rest only after a refusal, an error or --accept_hedge_ms without a quorum");
ABSL_FLAG(int64_t, accept_hedge_ms, 10,
          "with --accept_quorum_first: an accept that has no quorum this long after it was "
          "sent goes to the acceptors held back too");
ABSL_FLAG(uint64_t, redis_batch_calls_max, 64,
          "calls to one acceptor in one loop turn that run as one Redis script call (1 = each "
          "call its own pipelined EVALSHA)");
ABSL_FLAG(std::string, membership_file, "",
          "proto3 JSON of a gryadka.v1.Membership to start from instead of --acceptors (and its "
          "subset/quorum flags); re-read every --membership_file_poll_ms and adopted when its "
          "epoch is higher (a Kubernetes ConfigMap mount works: content is compared)");
ABSL_FLAG(int64_t, membership_file_poll_ms, 1000, "poll period of --membership_file");
ABSL_FLAG(uint64_t, rescan_inflight_max, 256, "Admin.Rescan: keys being rewritten at once");
ABSL_FLAG(uint64_t, rescan_keys_per_second, 10000,
          "Admin.Rescan: default rate limit in keys per second (0 = unlimited); a request's "
          "non-zero keys_per_second replaces it");
ABSL_FLAG(int64_t, admin_redis_timeout_ms, 2000,
          "Admin.FenceAcceptors/Rescan: connect and per-command timeout of the Redis admin "
          "connections, per acceptor");
ABSL_FLAG(std::string, redis_user, "",
          "Redis ACL user to AUTH as (empty = Redis's default user, i.e. requirepass); needs a "
          "password from --redis_password_file or the environment variable "
          "GRYADKA_REDIS_PASSWORD");
ABSL_FLAG(std::string, redis_password_file, "",
          "file holding the Redis password (one trailing newline is stripped); re-read on every "
          "new Redis connection, so a rotated secret is picked up without restart. The password "
          "itself is never a flag; GRYADKA_REDIS_PASSWORD is the alternative");
ABSL_FLAG(std::string, peers, "",
          "all proposers, this one included: HOST:PORT,... or dns:///NAME:PORT (e.g. a "
          "Kubernetes headless Service; re-resolved every --peers_refresh_ms); a call whose key "
          "another peer owns (rendezvous hashing, as clients route) is forwarded to it in one hop "
          "(docs/performance.md); empty = serve every key here");
ABSL_FLAG(std::string, advertise, "",
          "this proposer's HOST:PORT as --peers (after dns: expansion) and clients name it; "
          "required with --peers");
ABSL_FLAG(bool, forward, true, "forward calls to the key's owner among --peers (false = off)");
ABSL_FLAG(uint64_t, forward_inflight_max, 4096,
          "forwarded calls waiting for their owner at once; more are served here");
ABSL_FLAG(int64_t, peers_refresh_ms, 5000, "period of re-resolving dns: names in --peers, in ms");
ABSL_FLAG(std::string, tls_peer_ca_file, "",
          "PEM CA bundle checking the peers' certificates when forwarding (empty with no other "
          "--tls_peer_* flag = plaintext to peers)");
ABSL_FLAG(std::string, tls_peer_cert_file, "",
          "PEM client certificate for forwarding to peers that require mutual TLS");
ABSL_FLAG(std::string, tls_peer_key_file, "", "PEM private key of --tls_peer_cert_file");
ABSL_FLAG(std::string, tls_peer_server_name, "",
          "name checked in the peers' certificates instead of their address (e.g. the "
          "Service's DNS name)");
ABSL_FLAG(std::string, log_level, "info", "debug|info|warning|error");
ABSL_FLAG(std::string, metrics_listen, "",
          "serve Prometheus metrics at http://HOST:PORT/metrics (empty = off)");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM server certificate chain; with --tls_key_file, --listen serves TLS "
          "(docs/security.md)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, clients must present a certificate signed by it (mutual "
          "TLS); needs --tls_cert_file and --tls_key_file");
ABSL_FLAG(int64_t, tls_reload_interval_s, 60,
          "how often the --tls_* files are re-read, in seconds; a changed certificate, key or "
          "client CA is used for new connections without a restart");
ABSL_FLAG(std::string, health_listen, "",
          "also serve ONLY grpc.health.v1, always in plaintext, on HOST:PORT (for probes that "
          "cannot speak TLS; empty = off); same statuses as --listen");

namespace gryadka::server {
namespace {

constexpr int64_t kHealthPeriodMs = 250;
// The first health verdict is logged once every acceptor has one, or at the latest this long
// after --acceptor_timeout_ms (a first PING times out after --acceptor_timeout_ms; the shards
// refresh their health every 200 ms).
constexpr int64_t kFirstVerdictSlackMs = 1000;
constexpr char kRedisPasswordEnv[] = "GRYADKA_REDIS_PASSWORD";
// Bound on the health port's shutdown once the main port has drained.
constexpr int64_t kHealthShutdownMs = 1000;

absl::StatusOr<TlsServerOptions> TlsOptionsFromFlags() {
  TlsServerOptions tls;
  tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  tls.reload_interval_s = absl::GetFlag(FLAGS_tls_reload_interval_s);
  if (absl::Status s = CheckTlsOptions(tls); !s.ok()) return s;
  return tls;
}

// The malloc in use: tcmalloc when built with it (GRYADKA_TCMALLOC), else the C library's.
std::string Allocator() {
#ifdef GRYADKA_WITH_TCMALLOC
  return tc_version(nullptr, nullptr, nullptr);
#else
  return "libc";
#endif
}

absl::StatusOr<ForwardOptions> ForwardOptionsFromFlags(const ServerOptions& server) {
  ForwardOptions f;
  f.enabled = absl::GetFlag(FLAGS_forward);
  if (const std::string peers = absl::GetFlag(FLAGS_peers); !peers.empty()) {
    auto list = ParsePeerList(peers);
    if (!list.ok()) return list.status();
    f.peers = *std::move(list);
  }
  f.advertise = absl::GetFlag(FLAGS_advertise);
  f.inflight_max = absl::GetFlag(FLAGS_forward_inflight_max);
  f.peers_refresh_ms = absl::GetFlag(FLAGS_peers_refresh_ms);
  TlsOptions tls;
  tls.ca_file = absl::GetFlag(FLAGS_tls_peer_ca_file);
  tls.cert_file = absl::GetFlag(FLAGS_tls_peer_cert_file);
  tls.key_file = absl::GetFlag(FLAGS_tls_peer_key_file);
  tls.server_name = absl::GetFlag(FLAGS_tls_peer_server_name);
  if (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty() ||
      !tls.server_name.empty()) {
    f.tls = tls;
  }
  f.default_deadline_ms = server.default_deadline_ms;
  f.max_deadline_ms = server.max_deadline_ms;
  f.max_request_bytes = server.max_request_bytes;
  if (absl::Status s = CheckForwardOptions(f); !s.ok()) return s;
  return f;
}

absl::StatusOr<ServerOptions> OptionsFromFlags() {
  ServerOptions o;
  o.listen = absl::GetFlag(FLAGS_listen);
  auto acceptors = ParseHostPortList(absl::GetFlag(FLAGS_acceptors));
  if (!acceptors.ok()) return absl::InvalidArgumentError(absl::StrCat("--acceptors: ", acceptors.status().message()));
  o.acceptors = *acceptors;
  auto prepare = ParseHostPortList(absl::GetFlag(FLAGS_prepare_acceptors));
  if (!prepare.ok()) return absl::InvalidArgumentError(absl::StrCat("--prepare_acceptors: ", prepare.status().message()));
  o.prepare_acceptors = *prepare;
  auto accept = ParseHostPortList(absl::GetFlag(FLAGS_accept_acceptors));
  if (!accept.ok()) return absl::InvalidArgumentError(absl::StrCat("--accept_acceptors: ", accept.status().message()));
  o.accept_acceptors = *accept;
  o.prepare_quorum = absl::GetFlag(FLAGS_prepare_quorum);
  o.accept_quorum = absl::GetFlag(FLAGS_accept_quorum);
  o.proposer_id = absl::GetFlag(FLAGS_proposer_id);
  o.redis_prefix = absl::GetFlag(FLAGS_redis_prefix);
  o.acceptor_timeout_ms = absl::GetFlag(FLAGS_acceptor_timeout_ms);
  o.straggler_timeout_ms = absl::GetFlag(FLAGS_straggler_timeout_ms);
  o.max_value_bytes = absl::GetFlag(FLAGS_max_value_bytes);
  o.max_key_bytes = absl::GetFlag(FLAGS_max_key_bytes);
  o.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  o.io_threads = absl::GetFlag(FLAGS_io_threads);
  o.default_deadline_ms = absl::GetFlag(FLAGS_default_deadline_ms);
  o.max_deadline_ms = absl::GetFlag(FLAGS_max_deadline_ms);
  o.drain_timeout_ms = absl::GetFlag(FLAGS_drain_timeout_ms);
  o.cache_entries_max = absl::GetFlag(FLAGS_cache_entries_max);
  o.cache_bytes_max = absl::GetFlag(FLAGS_cache_bytes_max);
  o.requests_max = absl::GetFlag(FLAGS_requests_max);
  o.one_rtt = absl::GetFlag(FLAGS_one_rtt);
  o.accept_quorum_first = absl::GetFlag(FLAGS_accept_quorum_first);
  o.accept_hedge_ms = absl::GetFlag(FLAGS_accept_hedge_ms);
  o.redis_batch_calls_max = absl::GetFlag(FLAGS_redis_batch_calls_max);
  o.membership_file = absl::GetFlag(FLAGS_membership_file);
  o.membership_file_poll_ms = absl::GetFlag(FLAGS_membership_file_poll_ms);
  o.rescan_inflight_max = absl::GetFlag(FLAGS_rescan_inflight_max);
  o.rescan_keys_per_second = absl::GetFlag(FLAGS_rescan_keys_per_second);
  o.admin_redis_timeout_ms = absl::GetFlag(FLAGS_admin_redis_timeout_ms);
  if (absl::Status s = CheckMembershipOptions(o); !s.ok()) return s;
  const char* env_password = std::getenv(kRedisPasswordEnv);
  auto credentials = acceptor::RedisCredentialsFromFlags(
      absl::GetFlag(FLAGS_redis_user), absl::GetFlag(FLAGS_redis_password_file),
      env_password == nullptr ? std::nullopt : std::optional<std::string>(env_password));
  if (!credentials.ok()) return credentials.status();
  o.redis_credentials = *std::move(credentials);
  if (o.redis_batch_calls_max < 1 || o.redis_batch_calls_max > 4096) {
    return absl::InvalidArgumentError("--redis_batch_calls_max must be in 1..4096");
  }
  if (o.max_value_bytes < 1 || o.max_value_bytes > (64u << 20)) {
    return absl::InvalidArgumentError("--max_value_bytes must be in 1..67108864");
  }
  if (o.max_key_bytes < 1 || o.max_key_bytes > (64u << 10)) {
    return absl::InvalidArgumentError("--max_key_bytes must be in 1..65536");
  }
  if (absl::Status s = ResolveMaxRequestBytes(&o); !s.ok()) return s;
  return o;
}

// True when enough acceptors answer health checks to form both a prepare and an accept quorum.
bool QuorumHealthy(const std::vector<bool>& up, const core::ProposerConfig& c) {
  auto healthy = [&up](core::AcceptorId a) { return a >= 0 && static_cast<size_t>(a) < up.size() && up[a]; };
  return core::QuorumIn(c.prepare_set, c.prepare_quorum, healthy) &&
         core::QuorumIn(c.accept_set, c.accept_quorum, healthy);
}

// The running membership at start: from --membership_file or from the acceptor flags.
struct StartMembership {
  core::ProposerConfig base;
  v1::Membership membership;
  std::string source;
  std::optional<MembershipFile> file;
};

absl::StatusOr<StartMembership> LoadStartMembership(const ServerOptions& o) {
  StartMembership out;
  if (!o.membership_file.empty()) {
    auto base = BuildCoreConfigBase(o);
    if (!base.ok()) return base.status();
    out.base = *base;
    out.file.emplace(o.membership_file);
    MembershipFile::Poll poll = out.file->PollOnce();
    if (!poll.membership.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--membership_file ", o.membership_file, ": ",
                                                     poll.membership.status().message()));
    }
    out.membership = *poll.membership;
    out.source = absl::StrCat("file ", o.membership_file);
    return out;
  }
  auto base = BuildCoreConfig(o);
  if (!base.ok()) return base.status();
  out.base = *base;
  auto m = MembershipFromOptions(o);
  if (!m.ok()) return m.status();
  out.membership = *m;
  out.source = "flags";
  return out;
}

// Updates the readiness statuses of grpc.health.v1 on every server every kHealthPeriodMs until
// stopped, and logs acceptor and quorum transitions (HealthLog).
class HealthUpdater {
 public:
  HealthUpdater(std::vector<grpc::HealthCheckServiceInterface*> health, const Shard& shard,
                const RunningMembership& membership, int64_t first_verdict_wait_ms)
      : health_(std::move(health)),
        shard_(shard),
        membership_(membership),
        log_(first_verdict_wait_ms),
        thread_([this] { Loop(); }) {}
  ~HealthUpdater() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    int last = -1;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      const Shard::Snapshot snapshot = shard_.TakeSnapshot();
      std::shared_ptr<const AppliedMembership> m = membership_.Current();
      const bool ok = QuorumHealthy(snapshot.healthy, m->config);
      if (static_cast<int>(ok) != last) {
        SetReadiness(health_, ok);
        last = ok;
      }
      log_.Observe(*m, snapshot, ok, NowMs());
      cv_.wait_for(lock, std::chrono::milliseconds(kHealthPeriodMs), [this] { return stop_; });
    }
  }

  const std::vector<grpc::HealthCheckServiceInterface*> health_;
  const Shard& shard_;
  const RunningMembership& membership_;
  HealthLog log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// A bad flag or option: logged (JSON, like every stderr line) and exit status 64.
int UsageError(absl::string_view error) {
  Log(LogLevel::kError, "invalid flags: not starting", {{"error", std::string(error)}});
  return 64;
}

int Main(int argc, char** argv) {
  // Signals: SIGPIPE ignored (hiredis writes to sockets); SIGTERM/SIGINT handled by sigwait in
  // this thread, so they are blocked before any other thread starts — the stderr capture thread
  // included: a SIGTERM arriving before the sigwait would otherwise go to a thread that does not
  // block it and kill the process without a drain.
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // First, so that every stderr line is JSON: Abseil's flag errors included.
  CaptureStderrAsJson();
  RouteLibraryLogsThroughLog();
  absl::SetProgramUsageMessage(
      "gryadka-proposer --listen=HOST:PORT --acceptors=HOST:PORT,HOST:PORT,HOST:PORT [flags]\n"
      "Serves gryadka.v1.KV (with reflection and grpc.health.v1) as a stateless CASPaxos "
      "proposer over 2F+1 Redis acceptors.");
  absl::FlagsUsageConfig usage_config;  // only the fields set here replace Abseil's defaults
  usage_config.version_string = [] { return VersionLine("gryadka-proposer") + "\n"; };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock detection (about 5%
  // of the proposer's CPU in profiles). gRPC's own mutexes need none of it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    return UsageError("--log_level must be one of debug, info, warning, error");
  }
  SetLogLevel(level);
  auto options = OptionsFromFlags();
  if (!options.ok()) {
    return UsageError(options.status().message());
  }
  auto forward_options = ForwardOptionsFromFlags(*options);
  if (!forward_options.ok()) {
    return UsageError(forward_options.status().message());
  }
  auto tls = TlsOptionsFromFlags();
  if (!tls.ok()) {
    return UsageError(tls.status().message());
  }
  auto start = LoadStartMembership(*options);
  if (!start.ok()) {
    return UsageError(start.status().message());
  }
  std::vector<std::string> known;
  for (const HostPort& hp : options->acceptors) known.push_back(hp.ToString());
  RunningMembership membership(start->base, known, start->membership, start->source);

  evthread_use_pthreads();

  std::random_device rd;
  const uint32_t operator_id = options->proposer_id != 0 ? options->proposer_id : rd();
  const uint32_t incarnation = rd();
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < options->io_threads; ++i) {
    const uint64_t ballot_id = (uint64_t{operator_id} << 32) | uint32_t(incarnation + i);
    shards.push_back(std::make_unique<Shard>(
        i, membership.Current(), *options, ballot_id, (uint64_t{rd()} << 32) | rd(),
        [&membership](const core::FenceNotice& notice, const std::string& address) {
          AdoptFenceNotice(&membership, notice, address);
        }));
  }
  // All shards switch together: every adoption is posted to each shard, in adoption order.
  membership.SetListener([&shards](std::shared_ptr<const AppliedMembership> m) {
    for (auto& s : shards) s->PostMembership(m);
  });
  for (auto& s : shards) s->Start();
  std::optional<MembershipFilePoller> file_poller;
  if (start->file) {
    file_poller.emplace(*std::move(start->file), options->membership_file_poll_ms, &membership);
  }

  Metrics metrics(*options, shards, &membership);
  if (const std::string addr = absl::GetFlag(FLAGS_metrics_listen); !addr.empty()) {
    if (absl::Status s = metrics.Serve(addr); !s.ok()) {
      Log(LogLevel::kError, "cannot serve metrics: not starting",
          {{"flag", "--metrics_listen"}, {"address", addr}, {"error", std::string(s.message())}});
      for (auto& sh : shards) sh->Stop();
      return 1;
    }
    Log(LogLevel::kInfo, "serving metrics", {{"address", addr}});
  }
  KvService local_service(*options, shards, &metrics);
  auto forwarder = Forwarder::Create(
      *forward_options, client::ResolveWithGetaddrinfo,
      [&local_service](ServerCall* call) { local_service.Serve(call); }, metrics.registry());
  if (!forwarder.ok()) {
    for (auto& sh : shards) sh->Stop();
    return UsageError(forwarder.status().message());
  }
  AdminService admin(*options, shards, &membership, &metrics);
  // grpc.health.v1 on the synchronous API, not gRPC's default (callback) one: see
  // health_service.h.
  HealthService health_service;
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options->listen, MakeServerCredentials(*tls), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients may keep connections alive with pings every 10 s; peers forwarding calls here ping
  // every kForwardKeepaliveMs while calls are in flight (a frozen owner is noticed in seconds).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(kForwardKeepaliveMs));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Requests up to --max_request_bytes reach the service's own checks (INVALID_ARGUMENT naming
  // the limit); gRPC refuses larger ones itself, with RESOURCE_EXHAUSTED.
  // Responses are bounded by what the proposer stored (values <= --max_value_bytes when
  // written), so the send side keeps gRPC's default (no limit): a value stored under a larger
  // --max_value_bytes can still be read.
  builder.SetMaxReceiveMessageSize(static_cast<int>(options->max_request_bytes));
  // Every call first goes to the forwarder, which hands a call whose key another proposer owns
  // to that owner; every other call is served here. One completion queue (and thread) per
  // event loop (docs/performance.md).
  KvFrontEnd front_end(&builder, options->io_threads,
                       [&local_service, forwarder = forwarder->get()](ServerCall* call) {
                         if (forwarder == nullptr || !forwarder->MaybeForward(call)) {
                           local_service.Serve(call);
                         }
                       });
  builder.RegisterService(&admin);
  builder.RegisterService(&health_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    Log(LogLevel::kError, "cannot listen: not starting",
        {{"flag", "--listen"}, {"address", options->listen},
         {"error", "address in use or not local?"}});
    for (auto& s : shards) s->Stop();
    return 1;
  }
  front_end.Start();
  std::vector<grpc::HealthCheckServiceInterface*> health = {&health_service};
  InitHealthStatuses(health[0]);
  std::unique_ptr<HealthServer> health_server;
  if (const std::string addr = absl::GetFlag(FLAGS_health_listen); !addr.empty()) {
    auto started = HealthServer::Start(addr);
    if (!started.ok()) {
      Log(LogLevel::kError, "cannot serve health: not starting",
          {{"flag", "--health_listen"}, {"address", addr},
           {"error", std::string(started.status().message())}});
      server->Shutdown(std::chrono::system_clock::now());
      for (auto& s : shards) s->Stop();
      return 1;
    }
    health_server = *std::move(started);
    health.push_back(health_server->health());
    Log(LogLevel::kInfo, "serving health (plaintext)", {{"address", addr}});
  }
  Log(LogLevel::kInfo, "listening",
      {{"address", options->listen},
       {"port", absl::StrCat(bound_port)},
       {"tls", !tls->enabled() ? "off" : tls->client_ca_file.empty() ? "on" : "mutual"},
       {"membership", core::DescribeMembership(start->membership)},
       {"membership_source", start->source},
       {"io_threads", absl::StrCat(options->io_threads)},
       {"redis_auth", options->redis_credentials.Describe()},
       {"max_request_bytes", absl::StrCat(options->max_request_bytes)},
       {"proposer_id", absl::StrCat(operator_id)},
       {"allocator", Allocator()}});

  int signal_number = 0;
  {
    HealthUpdater updater(health, *shards[0], membership,
                          options->acceptor_timeout_ms + kFirstVerdictSlackMs);
    sigwait(&stop_signals, &signal_number);
  }
  Log(LogLevel::kInfo, "draining",
      {{"signal", absl::StrCat(signal_number)}, {"drain_timeout_ms", absl::StrCat(options->drain_timeout_ms)}});
  SetReadiness(health, false);
  // Shutdown() returns once every call has finished; calls still waiting in a shard when the
  // drain timeout passes are failed by stopping the shards, which lets it return.
  const auto drain_deadline =
      std::chrono::system_clock::now() + std::chrono::milliseconds(options->drain_timeout_ms);
  // Peers' forwarding streams end once the calls they carried are answered (calls they carry
  // from now on go back to their senders, which serve them), so they do not hold the drain.
  front_end.StopPeerStreams();
  std::promise<void> drained;
  std::thread shutdown([&] {
    server->Shutdown(drain_deadline);
    drained.set_value();
  });
  if (drained.get_future().wait_until(drain_deadline) == std::future_status::timeout) {
    Log(LogLevel::kWarning, "drain timeout passed: failing the calls still in progress",
        {{"drain_timeout_ms", absl::StrCat(options->drain_timeout_ms)}});
  }
  file_poller.reset();
  (*forwarder)->Stop();
  for (auto& s : shards) s->Stop();
  shutdown.join();
  front_end.Shutdown();  // after every call was finished: the shards and forwards are done
  server->Wait();
  // The health port answers until the main port has drained (probes see NOT_SERVING
  // readiness meanwhile), then stops.
  if (health_server) {
    health_server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(kHealthShutdownMs));
  }
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace gryadka::server

int main(int argc, char** argv) { return gryadka::server::Main(argc, argv); }
