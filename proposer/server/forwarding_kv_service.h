// The gryadka.v1.KV service a proposer registers: every call first goes to the Forwarder
// (proposer/server/forwarder.h), which hands a call whose key another proposer owns to that
// owner; every other call, and every call the forwarder leaves to this proposer, is served by
// KvService (proposer/server/kv_service.h) unchanged. Thread-safe.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include "proposer/server/forwarder.h"
#include "proposer/server/kv_service.h"
#include "proposer/server/metrics.h"

namespace gryadka::server {

class ForwardingKvService final : public KvRawService {
 public:
  // `local` and `forwarder` must outlive the service; forwarder may be null (serve all here).
  ForwardingKvService(KvService* local, Forwarder* forwarder)
      : local_(local), forwarder_(forwarder) {}

  grpc::ServerUnaryReactor* ChangeQuery(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* req,
                                        grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kChangeQuery, ctx, req, resp)) return r;
    return local_->ChangeQuery(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kGet, ctx, req, resp)) return r;
    return local_->Get(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kPut, ctx, req, resp)) return r;
    return local_->Put(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* CompareAndSet(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* req,
                                          grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kCompareAndSet, ctx, req, resp)) return r;
    return local_->CompareAndSet(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Increment(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kIncrement, ctx, req, resp)) return r;
    return local_->Increment(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                   grpc::ByteBuffer* resp) override {
    if (auto* r = Forward(Method::kDelete, ctx, req, resp)) return r;
    return local_->Delete(ctx, req, resp);
  }

 private:
  grpc::ServerUnaryReactor* Forward(Method method, grpc::CallbackServerContext* ctx,
                                    const grpc::ByteBuffer* req, grpc::ByteBuffer* resp) {
    return forwarder_ == nullptr ? nullptr : forwarder_->MaybeForward(method, ctx, req, resp);
  }

  KvService* const local_;
  Forwarder* const forwarder_;
};

}  // namespace gryadka::server
