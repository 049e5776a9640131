#include "client/client.h"

#include <limits>
#include <random>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/grpc_status.h"
#include "client/rendezvous.h"
#include "client/resolve.h"
#include "client/retry.h"
#include "client/tls.h"
#include "client/utf8.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "gryadka/v1/wire.h"

namespace gryadka {
namespace {

using client::CallKind;
using HealthStub = grpc::health::v1::Health::Stub;

constexpr char kServiceName[] = "gryadka.v1.KV";
constexpr int64_t kDeadlineMsMax = int64_t{24} * 60 * 60 * 1000;
constexpr int kRetryAttemptsMax = 100;
constexpr int64_t kBackoffMsMax = 10 * 60 * 1000;
constexpr int64_t kReconnectBackoffInitialMs = 100;
// The least time a connection attempt to a target is given (gRPC's min_reconnect_backoff_ms;
// gRPC's own default is 20 s). See Client::Create.
constexpr int64_t kConnectAttemptMinMs = 1000;

// gRPC target URI schemes passed through as they are.
constexpr const char* kUriSchemes[] = {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"};

absl::Status ValidateTarget(const std::string& target) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid target \"", absl::CEscape(target), "\": ", why,
        "; expected host:port (e.g. 127.0.0.1:8080) or a gRPC URI such as dns:///name:port"));
  };
  if (target.empty()) return bad("empty");
  for (char c : target) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) {
      return bad("contains whitespace or control characters");
    }
  }
  for (const char* scheme : kUriSchemes) {
    if (absl::StartsWith(target, scheme)) {
      return target.size() > absl::string_view(scheme).size() ? absl::OkStatus()
                                                             : bad("nothing after the scheme");
    }
  }
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  const absl::string_view host = absl::string_view(target).substr(0, colon);
  const absl::string_view port = absl::string_view(target).substr(colon + 1);
  if (host.empty()) return bad("no host");
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != absl::string_view::npos) {
    return bad("an IPv6 host must be written in brackets, e.g. [::1]:8080");
  }
  int port_number = 0;
  if (port.empty() || !absl::SimpleAtoi(port, &port_number) || port_number < 1 ||
      port_number > 65535 || !absl::ascii_isdigit(static_cast<unsigned char>(port[0]))) {
    return bad("port must be a number in 1..65535");
  }
  return absl::OkStatus();
}

absl::Status ValidateRange(absl::string_view name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("ClientOptions.", name, " is ", value,
                                                 ", must be in ", min, "..", max));
}

absl::Status ValidateOptions(const ClientOptions& o) {
  if (o.targets.empty()) {
    return absl::InvalidArgumentError(
        "ClientOptions.targets is empty: give at least one proposer as host:port");
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& target : o.targets) {
    if (absl::Status s = ValidateTarget(target); !s.ok()) return s;
    if (!seen.insert(target).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate target \"", target, "\" in ClientOptions.targets"));
    }
  }
  for (absl::Status s :
       {ValidateRange("default_deadline_ms", o.default_deadline_ms, 1, kDeadlineMsMax),
        ValidateRange("retry_attempts_max", o.retry_attempts_max, 0, kRetryAttemptsMax),
        ValidateRange("retry_backoff_initial_ms", o.retry_backoff_initial_ms, 1, kBackoffMsMax),
        ValidateRange("retry_backoff_max_ms", o.retry_backoff_max_ms,
                      o.retry_backoff_initial_ms, kBackoffMsMax),
        ValidateRange("max_message_bytes", o.max_message_bytes, 1,
                      std::numeric_limits<int>::max()),
        ValidateRange("reconnect_backoff_max_ms", o.reconnect_backoff_max_ms,
                      kReconnectBackoffInitialMs, kBackoffMsMax)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

Record FromProto(const v1::Record& r) { return Record{r.value(), r.version()}; }

// Rejects what the server would reject anyway, without a round trip: an empty key, or one that
// is not UTF-8 (proto3 strings must be; the server could not even parse the request).
absl::Status ValidateKey(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("the key is empty; keys are 1+ bytes");
  if (!client::IsValidUtf8(key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key \"", absl::CHexEscape(key), "\" is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status Annotate(const absl::Status& status, absl::string_view target, int attempt,
                      int attempts_max) {
  return absl::Status(status.code(), absl::StrCat(status.message(), " [target ", target,
                                                  ", attempt ", attempt, " of ", attempts_max,
                                                  "]"));
}

uint64_t JitterSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device() ^
         static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
}

}  // namespace

struct Client::Endpoint {
  std::string target;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::KV::Stub> kv;
  std::unique_ptr<HealthStub> health;
};

struct Client::Attempt {
  // Sends the request once through `stub` with `context` (whose deadline is set) and stores the
  // response; returns the RPC's status.
  absl::FunctionRef<grpc::Status(v1::KV::Stub& stub, grpc::ClientContext* context)> send;
  // The serialized request's size, checked against ClientOptions::max_message_bytes before
  // anything is sent (gRPC would otherwise fail it with RESOURCE_EXHAUSTED and no hint).
  size_t request_bytes = 0;
};

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  options.targets = client::ExpandDnsTargets(
      options.targets, options.resolver ? options.resolver : client::Resolver(&client::ResolveWithGetaddrinfo));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  // A first reconnect 100 ms after a target went away. GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is also
  // the least time gRPC gives a connection attempt: 1 s, long enough for a handshake on a loaded
  // machine (at 100 ms handshakes were cut off, "tcp handshaker shutdown", failing calls until
  // the next attempt), short enough that a call whose target does not answer at all (a frozen
  // process, an unreachable address) fails over to the key's next target well within the default
  // 5 s deadline, instead of waiting out gRPC's default of 20 s. The same in the Python client.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffInitialMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kConnectAttemptMinMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(options.reconnect_backoff_max_ms));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      client::MakeChannelCredentials(options.tls, &args);
  if (!credentials.ok()) return credentials.status();
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (const std::string& target : options.targets) {
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->target = target;
    endpoint->channel =
        grpc::CreateCustomChannel(target, *credentials, args);
    endpoint->kv = v1::KV::NewStub(endpoint->channel);
    endpoint->health = grpc::health::v1::Health::NewStub(endpoint->channel);
    endpoints.push_back(std::move(endpoint));
  }
  return std::unique_ptr<Client>(new Client(std::move(options), std::move(endpoints)));
}

Client::Client(ClientOptions options, std::vector<std::unique_ptr<Endpoint>> endpoints)
    : options_(std::move(options)),
      endpoints_(std::move(endpoints)),
      rendezvous_(std::make_unique<const client::Rendezvous>(options_.targets)),
      jitter_(std::make_unique<client::Jitter>(JitterSeed())) {}

Client::~Client() = default;

absl::StatusOr<absl::Time> Client::Deadline(const CallOptions& call) const {
  if (call.deadline_ms < 0 || call.deadline_ms > kDeadlineMsMax) {
    return absl::InvalidArgumentError(absl::StrCat("CallOptions.deadline_ms is ",
                                                   call.deadline_ms, ", must be in 0..",
                                                   kDeadlineMsMax, " (0 = the default)"));
  }
  const int64_t deadline_ms =
      call.deadline_ms > 0 ? call.deadline_ms : options_.default_deadline_ms;
  return absl::Now() + absl::Milliseconds(deadline_ms);
}

// True when an UNAVAILABLE answer is known to have written nothing: the proposer said so
// (trailing metadata), or gRPC never got a connection to send the request on.
static bool NothingWritten(const grpc::Status& wire, const grpc::ClientContext& context) {
  if (wire.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const auto& trailers = context.GetServerTrailingMetadata();
  if (trailers.find(v1::kNothingWrittenMetadataKey) != trailers.end()) return true;
  return absl::StartsWith(wire.error_message(), "failed to connect to all addresses");
}

absl::Status Client::Run(absl::string_view key, CallKind kind, const CallOptions& call,
                         const Attempt& attempt) const {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (attempt.request_bytes > static_cast<uint64_t>(options_.max_message_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request is ", attempt.request_bytes, " bytes, over ClientOptions.max_message_bytes=",
        options_.max_message_bytes, "; the proposer's own limits are its --max_value_bytes and "
        "--max_key_bytes"));
  }
  const absl::StatusOr<absl::Time> deadline_or = Deadline(call);
  if (!deadline_or.ok()) return deadline_or.status();
  const absl::Time deadline = *deadline_or;
  const std::vector<size_t> ranking = rendezvous_->Rank(key);
  std::vector<bool> tried(ranking.size(), false);
  const int attempts_max = 1 + options_.retry_attempts_max;
  size_t position = 0;
  int pauses = 0;
  for (int attempt_number = 1;; ++attempt_number) {
    const Endpoint& endpoint = *endpoints_[ranking[position]];
    tried[position] = true;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    const grpc::Status wire = attempt.send(*endpoint.kv, &context);
    const absl::Status status = client::FromGrpcStatus(wire);
    if (status.ok()) return status;
    if (attempt_number >= attempts_max ||
        !client::IsRetryable(status.code(), kind, NothingWritten(wire, context))) {
      return Annotate(status, endpoint.target, attempt_number, attempts_max);
    }
    if (status.code() == absl::StatusCode::kUnavailable) {
      position = (position + 1) % ranking.size();  // fail over to the key's next target
    }
    if (tried[position]) {  // a target not tried yet in this call is sent to at once
      const absl::Duration pause = absl::Milliseconds(
          client::BackoffMs(pauses++, options_.retry_backoff_initial_ms,
                            options_.retry_backoff_max_ms, jitter_->Next()));
      if (absl::Now() + pause >= deadline) {
        return Annotate(status, endpoint.target, attempt_number, attempts_max);
      }
      absl::SleepFor(pause);
    }
  }
}

absl::StatusOr<GetResult> Client::Get(absl::string_view key, const CallOptions& call) const {
  v1::GetRequest request;
  request.set_key(std::string(key));
  v1::GetResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.Get(context, request, &response);
  };
  if (absl::Status s = Run(key, CallKind::kRead, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  return GetResult{response.found(), FromProto(response.record())};
}

absl::StatusOr<ChangeResult> Client::Put(absl::string_view key, absl::string_view value,
                                         const CallOptions& call) const {
  v1::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  v1::PutResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.Put(context, request, &response);
  };
  if (absl::Status s = Run(key, CallKind::kChange, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  return ChangeResult{true, FromProto(response.record()), ""};
}

absl::StatusOr<ChangeResult> Client::CompareAndSet(absl::string_view key,
                                                   uint64_t expected_version,
                                                   absl::string_view value,
                                                   const CallOptions& call) const {
  v1::CompareAndSetRequest request;
  request.set_key(std::string(key));
  request.set_expected_version(expected_version);
  request.set_value(std::string(value));
  v1::CompareAndSetResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.CompareAndSet(context, request, &response);
  };
  if (absl::Status s = Run(key, CallKind::kChange, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  return ChangeResult{response.applied(), FromProto(response.record()), response.decline_reason()};
}

absl::StatusOr<IncrementResult> Client::Increment(absl::string_view key, int64_t delta,
                                                  const CallOptions& call) const {
  v1::IncrementRequest request;
  request.set_key(std::string(key));
  request.set_delta(delta);
  v1::IncrementResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.Increment(context, request, &response);
  };
  if (absl::Status s = Run(key, CallKind::kChange, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  return IncrementResult{response.applied(), response.value(), FromProto(response.record()),
                         response.decline_reason()};
}

absl::StatusOr<ChangeResult> Client::Delete(absl::string_view key,
                                            std::optional<uint64_t> expected_version,
                                            const CallOptions& call) const {
  v1::DeleteRequest request;
  request.set_key(std::string(key));
  if (expected_version.has_value()) request.set_expected_version(*expected_version);
  v1::DeleteResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.Delete(context, request, &response);
  };
  if (absl::Status s = Run(key, CallKind::kChange, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  return ChangeResult{response.applied(), FromProto(response.record()), response.decline_reason()};
}

absl::StatusOr<ChangeQueryResult> Client::ChangeQuery(absl::string_view key,
                                                      const v1::ChangeOp& change,
                                                      const v1::QueryOp& query,
                                                      const CallOptions& call) const {
  v1::ChangeQueryRequest request;
  request.set_key(std::string(key));
  *request.mutable_change() = change;
  *request.mutable_query() = query;
  v1::ChangeQueryResponse response;
  const auto send = [&](v1::KV::Stub& stub, grpc::ClientContext* context) {
    response.Clear();
    return stub.ChangeQuery(context, request, &response);
  };
  const CallKind kind =
      change.op_case() == v1::ChangeOp::kRead ? CallKind::kRead : CallKind::kChange;
  if (absl::Status s = Run(key, kind, call, Attempt{send, request.ByteSizeLong()}); !s.ok()) return s;
  ChangeQueryResult result;
  result.applied = response.applied();
  result.decline_reason = response.decline_reason();
  switch (response.result().result_case()) {
    case v1::QueryResult::kRecord:
      result.record = FromProto(response.result().record());
      break;
    case v1::QueryResult::kVersion:
      result.version = response.result().version();
      break;
    case v1::QueryResult::kNone:
    case v1::QueryResult::RESULT_NOT_SET:
      break;
  }
  return result;
}

std::vector<TargetHealth> Client::CheckTargets(const CallOptions& call) const {
  struct Check {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status;
  };
  const absl::StatusOr<absl::Time> deadline = Deadline(call);
  if (!deadline.ok()) {
    std::vector<TargetHealth> invalid;
    for (const auto& endpoint : endpoints_) {
      invalid.push_back(TargetHealth{endpoint->target, "", deadline.status()});
    }
    return invalid;
  }
  std::vector<std::unique_ptr<Check>> checks;
  absl::BlockingCounter pending(static_cast<int>(endpoints_.size()));
  for (const auto& endpoint : endpoints_) {
    checks.push_back(std::make_unique<Check>());
    Check* check = checks.back().get();
    check->context.set_deadline(absl::ToChronoTime(*deadline));
    check->request.set_service(kServiceName);
    endpoint->health->async()->Check(&check->context, &check->request, &check->response,
                                     [check, &pending](grpc::Status status) {
                                       check->status = std::move(status);
                                       pending.DecrementCount();
                                     });
  }
  pending.Wait();
  std::vector<TargetHealth> result;
  for (size_t i = 0; i < checks.size(); ++i) {
    TargetHealth health{endpoints_[i]->target, "",
                        client::FromGrpcStatus(checks[i]->status)};
    if (health.status.ok()) {
      const auto serving = checks[i]->response.status();
      health.serving_status =
          grpc::health::v1::HealthCheckResponse::ServingStatus_Name(serving);
      if (serving != grpc::health::v1::HealthCheckResponse::SERVING) {
        health.status = absl::UnavailableError(
            absl::StrCat(kServiceName, " is ", health.serving_status));
      }
    }
    result.push_back(std::move(health));
  }
  return result;
}

absl::Status Client::Health(const CallOptions& call) const {
  for (const TargetHealth& health : CheckTargets(call)) {
    if (!health.status.ok()) {
      return absl::Status(health.status.code(),
                          absl::StrCat(health.target, ": ", health.status.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Client::RankTargets(absl::string_view key) const {
  std::vector<std::string> ranked;
  for (size_t i : rendezvous_->Rank(key)) ranked.push_back(options_.targets[i]);
  return ranked;
}

}  // namespace gryadka
