#include "client/membership_admin.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/grpc_status.h"
#include "client/tls.h"
#include "gryadka/v1/admin.grpc.pb.h"

namespace gryadka::ctl {
namespace {

void SetDeadline(grpc::ClientContext* context, int64_t deadline_ms) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
}

// Cancels a call whose stream stays silent for kRescanStallMs. Touch() on every message.
class StallWatchdog {
 public:
  explicit StallWatchdog(grpc::ClientContext* context)
      : context_(context), thread_([this] { Run(); }) {}
  ~StallWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Touch() {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = std::chrono::steady_clock::now();
  }
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      const auto give_up = last_ + std::chrono::milliseconds(kRescanStallMs);
      if (std::chrono::steady_clock::now() >= give_up) {
        fired_ = true;
        context_->TryCancel();
        return;
      }
      cv_.wait_until(lock, give_up);
    }
  }

  grpc::ClientContext* const context_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the fields it reads
};

class GrpcProposerAdmin : public ProposerAdmin {
 public:
  GrpcProposerAdmin(std::string target, std::shared_ptr<grpc::Channel> channel)
      : name_(std::move(target)), stub_(v1::Admin::NewStub(std::move(channel))) {}

  const std::string& name() const override { return name_; }

  absl::StatusOr<v1::GetMembershipResponse> GetMembership(int64_t deadline_ms) override {
    return Unary(&v1::Admin::Stub::GetMembership, "GetMembership", v1::GetMembershipRequest(),
                 deadline_ms);
  }

  absl::StatusOr<v1::SetMembershipResponse> SetMembership(const v1::SetMembershipRequest& request,
                                                          int64_t deadline_ms) override {
    return Unary(&v1::Admin::Stub::SetMembership, "SetMembership", request, deadline_ms);
  }

  absl::StatusOr<v1::FenceAcceptorsResponse> FenceAcceptors(const v1::FenceAcceptorsRequest& request,
                                                            int64_t deadline_ms) override {
    return Unary(&v1::Admin::Stub::FenceAcceptors, "FenceAcceptors", request, deadline_ms);
  }

  absl::Status Rescan(const v1::RescanRequest& request,
                      const std::function<void(const v1::RescanProgress&)>& on_progress) override {
    grpc::ClientContext context;
    bool done = false;
    grpc::Status status;
    {
      StallWatchdog watchdog(&context);
      std::unique_ptr<grpc::ClientReader<v1::RescanProgress>> reader =
          stub_->Rescan(&context, request);
      v1::RescanProgress progress;
      while (reader->Read(&progress)) {
        watchdog.Touch();
        done = done || progress.done();
        on_progress(progress);
      }
      status = reader->Finish();
      if (watchdog.fired() && !done) {
        return absl::DeadlineExceededError(absl::StrCat(
            "proposer ", name_, ": Rescan stream silent for ", kRescanStallMs, " ms"));
      }
    }
    if (!status.ok()) return Named(client::FromGrpcStatus(status), "Rescan");
    if (!done) {
      return absl::UnavailableError(
          absl::StrCat("proposer ", name_, ": Rescan stream ended before done"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Named(const absl::Status& s, const char* call) const {
    return absl::Status(s.code(), absl::StrCat("proposer ", name_, ": ", call, ": ", s.message()));
  }
  // One unary call of the Admin service with a deadline; errors are named after proposer and call.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(
      grpc::Status (v1::Admin::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
      const char* call, const Request& request, int64_t deadline_ms) const {
    grpc::ClientContext context;
    SetDeadline(&context, deadline_ms);
    Response response;
    const grpc::Status status = (stub_.get()->*rpc)(&context, request, &response);
    if (!status.ok()) return Named(client::FromGrpcStatus(status), call);
    return response;
  }

  const std::string name_;
  const std::unique_ptr<v1::Admin::Stub> stub_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProposerAdmin>> NewGrpcProposerAdmin(
    const std::string& target, const std::optional<TlsOptions>& tls) {
  grpc::ChannelArguments args;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      client::MakeChannelCredentials(tls, &args, client::kCtlTlsNames);
  if (!credentials.ok()) return credentials.status();
  return std::make_unique<GrpcProposerAdmin>(
      target, grpc::CreateCustomChannel(target, *credentials, args));
}

}  // namespace gryadka::ctl
