#include "proposer/server/health_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace gryadka::server {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus HealthService::StatusOf(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext* /*context*/,
                                  const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  const HealthCheckResponse::ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("unknown service \"", request->service(), "\""));
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  std::unique_lock<std::mutex> lock(mu_);
  if (watchers_ >= kWatchersMax) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("this proposer already runs ", kWatchersMax,
                                     " health Watch calls; use Check, or retry later"));
  }
  ++watchers_;
  uint64_t seen = changes_;
  HealthCheckResponse::ServingStatus sent = StatusOf(request->service());
  for (bool first = true;; first = false) {
    if (!first) {
      changed_.wait_for(lock, std::chrono::milliseconds(kWatchCancelCheckMs));
      if (context->IsCancelled()) break;
      if (changes_ == seen) continue;
      seen = changes_;
      const HealthCheckResponse::ServingStatus now = StatusOf(request->service());
      if (now == sent) continue;
      sent = now;
    }
    HealthCheckResponse response;
    response.set_status(sent);
    lock.unlock();
    const bool written = writer->Write(response);
    lock.lock();
    if (!written) break;  // the caller went away
  }
  --watchers_;
  return grpc::Status(grpc::StatusCode::CANCELLED, "the health watch was cancelled");
}

void HealthService::SetServingStatus(const std::string& service_name, bool serving) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return;
  serving_[service_name] = serving;
  ++changes_;
  changed_.notify_all();
}

void HealthService::SetServingStatus(bool serving) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return;
  for (auto& [name, s] : serving_) s = serving;
  ++changes_;
  changed_.notify_all();
}

void HealthService::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, s] : serving_) s = false;
  shut_down_ = true;
  ++changes_;
  changed_.notify_all();
}

}  // namespace gryadka::server
