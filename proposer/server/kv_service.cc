#include "proposer/server/kv_service.h"

#include <charconv>
#include <chrono>

#include "gryadka/v1/wire.h"
#include "proposer/server/status.h"

namespace gryadka::server {
namespace {

v1::QueryOp RecordQuery() {
  v1::QueryOp q;
  q.mutable_record();
  return q;
}

// FNV-1a: a fixed hash so the key -> shard map does not change between runs.
uint64_t KeyHash(const std::string& key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

KvService::KvService(const ServerOptions& options, const std::vector<std::unique_ptr<Shard>>& shards,
                     Metrics* metrics)
    : options_(options), shards_(shards), metrics_(metrics) {}

size_t KvService::ShardOf(const std::string& key) const { return KeyHash(key) % shards_.size(); }

grpc::ServerUnaryReactor* KvService::Run(grpc::CallbackServerContext* ctx, Method method,
                                         const std::string& key,
                                         v1::ChangeOp change, v1::QueryOp query,
                                         std::function<void(const v1::ChangeQueryResponse&)> fill) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  int64_t budget_ms = options_.default_deadline_ms;
  if (ctx->deadline() != std::chrono::system_clock::time_point::max()) {
    budget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    ctx->deadline() - std::chrono::system_clock::now())
                    .count();
  }
  budget_ms = std::min(budget_ms, options_.max_deadline_ms);
  core::ClientRequest request;
  request.key = key;
  request.change = std::move(change);
  request.query = std::move(query);
  request.deadline_ms = NowMs() + budget_ms;
  const auto start = std::chrono::steady_clock::now();
  shards_[ShardOf(key)]->Submit(
      std::move(request),
      [ctx, reactor, fill = std::move(fill), metrics = metrics_, method, start](core::Completion&& c) {
        if (c.status.ok()) fill(c.response);
        if (c.status.code() == absl::StatusCode::kUnavailable) {
          ctx->AddTrailingMetadata(v1::kNothingWrittenMetadataKey, "1");
        }
        reactor->Finish(ToGrpcStatus(c.status));
        if (metrics != nullptr) {
          metrics->RecordCall(method, c.status.code(),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
      });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::ChangeQuery(grpc::CallbackServerContext* ctx,
                                                 const v1::ChangeQueryRequest* req,
                                                 v1::ChangeQueryResponse* resp) {
  return Run(ctx, Method::kChangeQuery, req->key(), req->change(), req->query(),
             [resp](const v1::ChangeQueryResponse& r) { *resp = r; });
}

grpc::ServerUnaryReactor* KvService::Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                         v1::GetResponse* resp) {
  v1::ChangeOp change;
  change.mutable_read();
  return Run(ctx, Method::kGet, req->key(), std::move(change), RecordQuery(),
             [resp](const v1::ChangeQueryResponse& r) {
               resp->set_found(r.result().record().version() != 0);
               *resp->mutable_record() = r.result().record();
             });
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx, const v1::PutRequest* req,
                                         v1::PutResponse* resp) {
  v1::ChangeOp change;
  change.mutable_put()->set_value(req->value());
  return Run(ctx, Method::kPut, req->key(), std::move(change), RecordQuery(),
             [resp](const v1::ChangeQueryResponse& r) { *resp->mutable_record() = r.result().record(); });
}

grpc::ServerUnaryReactor* KvService::CompareAndSet(grpc::CallbackServerContext* ctx,
                                                   const v1::CompareAndSetRequest* req,
                                                   v1::CompareAndSetResponse* resp) {
  v1::ChangeOp change;
  change.mutable_compare_and_set()->set_expected_version(req->expected_version());
  change.mutable_compare_and_set()->set_value(req->value());
  return Run(ctx, Method::kCompareAndSet, req->key(), std::move(change), RecordQuery(),
             [resp](const v1::ChangeQueryResponse& r) {
               resp->set_applied(r.applied());
               *resp->mutable_record() = r.result().record();
             });
}

grpc::ServerUnaryReactor* KvService::Increment(grpc::CallbackServerContext* ctx,
                                               const v1::IncrementRequest* req,
                                               v1::IncrementResponse* resp) {
  v1::ChangeOp change;
  change.mutable_increment()->set_delta(req->delta());
  return Run(ctx, Method::kIncrement, req->key(), std::move(change), RecordQuery(),
             [resp](const v1::ChangeQueryResponse& r) {
               const v1::Record& rec = r.result().record();
               resp->set_applied(r.applied());
               *resp->mutable_record() = rec;
               int64_t value = 0;
               if (r.applied()) {
                 std::from_chars(rec.value().data(), rec.value().data() + rec.value().size(), value);
               }
               resp->set_value(value);
             });
}

grpc::ServerUnaryReactor* KvService::Delete(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteRequest* req, v1::DeleteResponse* resp) {
  v1::ChangeOp change;
  auto* del = change.mutable_delete_();
  if (req->has_expected_version()) del->set_expected_version(req->expected_version());
  return Run(ctx, Method::kDelete, req->key(), std::move(change), RecordQuery(),
             [resp](const v1::ChangeQueryResponse& r) {
               resp->set_applied(r.applied());
               *resp->mutable_record() = r.result().record();
             });
}

}  // namespace gryadka::server
