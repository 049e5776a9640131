#include "proposer/server/health_port.h"

#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>

#include "absl/strings/str_cat.h"

namespace gryadka::server {
namespace {

// Removes every registered ServerBuilder plugin (the reflection plugin registers itself for
// every server of the process), so the health port offers nothing but grpc.health.v1.
class NoPluginsOption : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

}  // namespace

void SetReadiness(const std::vector<grpc::HealthCheckServiceInterface*>& services, bool serving) {
  for (grpc::HealthCheckServiceInterface* service : services) {
    service->SetServingStatus(kReadinessService, serving);
    service->SetServingStatus("", serving);
  }
}

void InitHealthStatuses(grpc::HealthCheckServiceInterface* service) {
  SetReadiness({service}, false);
  service->SetServingStatus(kLivenessService, true);
}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address) {
  std::unique_ptr<HealthServer> out(new HealthServer());
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetOption(std::make_unique<NoPluginsOption>());
  builder.RegisterService(&out->health_);
  out->server_ = builder.BuildAndStart();
  if (!out->server_ || bound_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (address in use or not local?)"));
  }
  InitHealthStatuses(out->health());
  return out;
}

void HealthServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  server_->Shutdown(deadline);
  server_->Wait();
}

}  // namespace gryadka::server
