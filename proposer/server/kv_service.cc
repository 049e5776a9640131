#include "proposer/server/kv_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <charconv>
#include <chrono>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "gryadka/v1/wire.h"
#include "proposer/server/request_wire.h"
#include "proposer/server/status.h"

namespace gryadka::server {
namespace {

v1::QueryOp RecordQuery() {
  v1::QueryOp q;
  q.mutable_record();
  return q;
}

// Decodes the request of type `Request` from `buffer` (see request_wire.h).
template <typename Request>
absl::Status Decode(const grpc::ByteBuffer& buffer, Request* out) {
  grpc::Slice slice;
  return ParseRequest(WireBytes(buffer, &slice), out);
}

const char* MethodName(Method m) {
  static constexpr const char* kNames[] = {"ChangeQuery", "Get",       "Put",
                                           "CompareAndSet", "Increment", "Delete"};
  const size_t i = static_cast<size_t>(m);
  return i < std::size(kNames) ? kNames[i] : "?";
}

}  // namespace

void KvService::LogFailure(Method method, const std::string& key, const absl::Status& status,
                           double seconds) {
  if (status.ok() || !LogEnabled(LogLevel::kDebug)) return;
  uint64_t suppressed = 0;
  if (!failure_log_limiter_.Allow(&suppressed)) return;
  Log(LogLevel::kDebug, "request failed",
      {{"method", MethodName(method)},
       {"key", KeyForLog(key, kLogKeyBytesMax)},
       {"code", absl::StatusCodeToString(status.code())},
       {"error", std::string(status.message())},
       {"duration_ms", absl::StrFormat("%.3f", seconds * 1000)},
       {"suppressed_since_last_line", absl::StrCat(suppressed)},
       {"log_period_ms", absl::StrCat(kFailedRequestLogPeriodMs)}});
}

KvService::KvService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
                     Metrics* metrics)
    : options_(options), shards_(shards), metrics_(metrics) {}

size_t KvService::ShardOf(const std::string& key) const { return ShardOfKey(key, shards_.size()); }

void KvService::Serve(ServerCall* call) {
  switch (call->method()) {
    case Method::kChangeQuery: return ChangeQuery(call);
    case Method::kGet: return Get(call);
    case Method::kPut: return Put(call);
    case Method::kCompareAndSet: return CompareAndSet(call);
    case Method::kIncrement: return Increment(call);
    case Method::kDelete: return Delete(call);
    case Method::kCount: break;
  }
  call->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method"));
}

void KvService::Reject(ServerCall* call, const absl::Status& status) {
  const Method method = call->method();
  call->Finish(ToGrpcStatus(status));
  if (metrics_ != nullptr) metrics_->RecordCall(method, status.code(), 0);
  LogFailure(method, "", status, 0);  // the request could not be decoded: no key
}

template <typename Response>
void KvService::Run(ServerCall* call, const std::string& key, v1::ChangeOp change,
                    v1::QueryOp query, void (*fill)(const v1::ChangeQueryResponse&, Response*)) {
  const int64_t budget_ms = call->BudgetMs(options_.default_deadline_ms, options_.max_deadline_ms);
  const Method method = call->method();
  core::ClientRequest request;
  request.key = key;
  request.change = std::move(change);
  request.query = std::move(query);
  request.deadline_ms = NowMs() + budget_ms;
  const auto start = std::chrono::steady_clock::now();
  shards_[ShardOf(key)]->Submit(
      std::move(request),
      [this, call, fill, metrics = metrics_, method, start,
       key_for_log = LogEnabled(LogLevel::kDebug) ? key : std::string()](core::Completion&& c) {
        absl::Status status = c.status;
        if (status.ok()) {
          Response response;
          fill(c.response, &response);
          bool own_buffer = false;
          if (!grpc::SerializationTraits<Response>::Serialize(response, call->response(),
                                                              &own_buffer)
                   .ok()) {
            status = absl::InternalError("could not serialize the response");
          }
        }
        if (status.code() == absl::StatusCode::kUnavailable) {
          call->AddTrailingMetadata(v1::kNothingWrittenMetadataKey, "1");
        }
        call->Finish(ToGrpcStatus(status));
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (metrics != nullptr) metrics->RecordCall(method, status.code(), seconds);
        LogFailure(method, key_for_log, status, seconds);
      });
}

void KvService::ChangeQuery(ServerCall* call) {
  v1::ChangeQueryRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  return Run<v1::ChangeQueryResponse>(call, r.key(), std::move(*r.mutable_change()),
      std::move(*r.mutable_query()),
      [](const v1::ChangeQueryResponse& in, v1::ChangeQueryResponse* out) { *out = in; });
}

void KvService::Get(ServerCall* call) {
  v1::GetRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  v1::ChangeOp change;
  change.mutable_read();
  return Run<v1::GetResponse>(call, r.key(), std::move(change), RecordQuery(),
                              [](const v1::ChangeQueryResponse& in, v1::GetResponse* out) {
                                out->set_found(in.result().record().version() != 0);
                                *out->mutable_record() = in.result().record();
                              });
}

void KvService::Put(ServerCall* call) {
  v1::PutRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  v1::ChangeOp change;
  change.mutable_put()->set_value(std::move(*r.mutable_value()));
  return Run<v1::PutResponse>(call, r.key(), std::move(change), RecordQuery(),
                              [](const v1::ChangeQueryResponse& in, v1::PutResponse* out) {
                                *out->mutable_record() = in.result().record();
                              });
}

void KvService::CompareAndSet(ServerCall* call) {
  v1::CompareAndSetRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  v1::ChangeOp change;
  change.mutable_compare_and_set()->set_expected_version(r.expected_version());
  change.mutable_compare_and_set()->set_value(std::move(*r.mutable_value()));
  return Run<v1::CompareAndSetResponse>(call, r.key(), std::move(change), RecordQuery(),
      [](const v1::ChangeQueryResponse& in, v1::CompareAndSetResponse* out) {
        out->set_applied(in.applied());
        out->set_decline_reason(in.decline_reason());
        *out->mutable_record() = in.result().record();
      });
}

void KvService::Increment(ServerCall* call) {
  v1::IncrementRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  v1::ChangeOp change;
  change.mutable_increment()->set_delta(r.delta());
  return Run<v1::IncrementResponse>(call, r.key(), std::move(change), RecordQuery(),
      [](const v1::ChangeQueryResponse& in, v1::IncrementResponse* out) {
        const v1::Record& rec = in.result().record();
        out->set_applied(in.applied());
        out->set_decline_reason(in.decline_reason());
        *out->mutable_record() = rec;
        int64_t value = 0;
        if (in.applied()) {
          std::from_chars(rec.value().data(), rec.value().data() + rec.value().size(), value);
        }
        out->set_value(value);
      });
}

void KvService::Delete(ServerCall* call) {
  v1::DeleteRequest r;
  if (absl::Status s = Decode(call->request(), &r); !s.ok()) return Reject(call, s);
  v1::ChangeOp change;
  auto* del = change.mutable_delete_();
  if (r.has_expected_version()) del->set_expected_version(r.expected_version());
  return Run<v1::DeleteResponse>(call, r.key(), std::move(change), RecordQuery(), [](const v1::ChangeQueryResponse& in, v1::DeleteResponse* out) {
                                   out->set_applied(in.applied());
                                   out->set_decline_reason(in.decline_reason());
                                   *out->mutable_record() = in.result().record();
                                 });
}

}  // namespace gryadka::server
