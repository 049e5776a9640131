// gryadka-grpc-floor: the gRPC floor of gryadka-compare. It serves gryadka.v1.KV's Get, Put and
// Increment from a hash map in memory, answering every call at once on the thread that read it
// (one completion queue, one thread: the cheapest shape of gRPC's C++ server measured in
// docs/performance.md). No replication, no disk, no Paxos: what one gRPC call per operation
// costs the server and the load generator, with nothing else in the way. A benchmark reference,
// not a store: what it holds is lost when it stops.
//
// Usage: gryadka-grpc-floor --port=N [--keys_max=N] [--answer_delay_us=N]
// Listens on 127.0.0.1:N. The other KV methods answer UNIMPLEMENTED; a Put or Increment of a key
// beyond --keys_max distinct keys answers RESOURCE_EXHAUSTED (nothing stored). Stops on SIGTERM
// (the default action: there is nothing to save).
//
// --answer_delay_us holds every answer that long after the call is read (computed at once, sent
// later by the same thread, all answers due together at once), so the floor can be driven at the
// rate and concurrency of a server whose calls wait for disks: the CPU per call of an empty gRPC
// server in the traffic pattern the proposer sees (docs/performance.md). The completion queue
// waits in whole milliseconds, so an answer may be held up to ~1 ms longer than asked. At most
// kHeldAnswersMax answers are held; past that an answer goes out at once.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iostream>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gryadka/v1/kv.grpc.pb.h"

ABSL_FLAG(int, port, 0, "TCP port on 127.0.0.1 to serve on (1..65535)");
ABSL_FLAG(int64_t, keys_max, 10000000, "distinct keys held at most; more are RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, answer_delay_us, 0,
          "hold each answer this many microseconds before sending it (0: answer at once; "
          "at most 1000000)");

namespace gryadka::bench::compare {
namespace {

constexpr int kExitUsage = 64;
constexpr int64_t kKeysMaxLimit = 100000000;
constexpr int64_t kAnswerDelayUsMax = 1000000;
// Answers held for --answer_delay_us at once; more go out at once (far above any client's calls
// in flight: gRPC's default limit is 100 concurrent streams per connection).
constexpr size_t kHeldAnswersMax = 100000;

struct Stored {
  std::string value;
  uint64_t version = 0;
};

class Floor {
 public:
  Floor(size_t keys_max, std::chrono::microseconds answer_delay)
      : keys_max_(keys_max), answer_delay_(answer_delay) {}

  // Serves until the process is killed.
  int Serve(int port) {
    grpc::ServerBuilder builder;
    const std::string address = absl::StrCat("127.0.0.1:", port);
    int bound = 0;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.RegisterService(&service_);
    cq_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || bound == 0) {
      std::cerr << "gryadka-grpc-floor: cannot listen on " << address
                << " (address already in use?)\n";
      return 1;
    }
    std::cerr << "gryadka-grpc-floor: listening on " << address << "\n";
    new GetCall(this);
    new PutCall(this);
    new IncrementCall(this);
    new UnimplementedCall<v1::ChangeQueryRequest, v1::ChangeQueryResponse>(
        this, &v1::KV::AsyncService::RequestChangeQuery);
    new UnimplementedCall<v1::CompareAndSetRequest, v1::CompareAndSetResponse>(
        this, &v1::KV::AsyncService::RequestCompareAndSet);
    new UnimplementedCall<v1::DeleteRequest, v1::DeleteResponse>(
        this, &v1::KV::AsyncService::RequestDelete);
    void* tag = nullptr;
    bool ok = false;
    // Held answers are sent by this thread when the queue's wait times out at the first one's due
    // time (no timer thread, no wake-up from another thread: the cheapest way to answer later).
    for (;;) {
      const gpr_timespec wait_until =
          held_.empty() ? gpr_inf_future(GPR_CLOCK_MONOTONIC) : ToDeadline(held_.front().due);
      const grpc::CompletionQueue::NextStatus next = cq_->AsyncNext(&tag, &ok, wait_until);
      if (next == grpc::CompletionQueue::SHUTDOWN) return 0;
      if (next == grpc::CompletionQueue::GOT_EVENT) static_cast<Call*>(tag)->Proceed(ok);
      if (!held_.empty()) SendDue();  // no clock read per call when answers go out at once
    }
  }

 private:
  // One call of one method: waits for a call, answers it (at once, or held: SendOrHold), then
  // waits for the next (a new object takes its place as soon as a call arrives).
  class Call {
   public:
    virtual ~Call() = default;
    virtual void Proceed(bool ok) = 0;
    // Sends the answer computed in Proceed.
    virtual void Send() = 0;
  };

  template <typename Request, typename Response>
  class CallBase : public Call {
   public:
    using RequestFn = void (v1::KV::AsyncService::*)(grpc::ServerContext*, Request*,
                                                     grpc::ServerAsyncResponseWriter<Response>*,
                                                     grpc::CompletionQueue*,
                                                     grpc::ServerCompletionQueue*, void*);
    CallBase(Floor* floor, RequestFn request) : floor_(floor), request_(request), writer_(&ctx_) {
      (floor_->service_.*request_)(&ctx_, &req_, &writer_, floor_->cq_.get(), floor_->cq_.get(),
                                   this);
    }
    void Proceed(bool ok) override {
      if (answered_ || !ok) {  // the answer went out, or the server is shutting down
        delete this;
        return;
      }
      answered_ = true;
      Respawn();
      status_ = Answer(req_, &resp_);
      floor_->SendOrHold(this);
    }
    void Send() override {
      if (status_.ok()) {
        writer_.Finish(resp_, grpc::Status::OK, this);
      } else {
        writer_.FinishWithError(status_, this);
      }
    }

   protected:
    virtual void Respawn() = 0;
    virtual grpc::Status Answer(const Request& req, Response* resp) = 0;
    Floor* const floor_;
    const RequestFn request_;

   private:
    grpc::ServerContext ctx_;
    Request req_;
    grpc::ServerAsyncResponseWriter<Response> writer_;
    Response resp_;
    grpc::Status status_;
    bool answered_ = false;
  };

  class GetCall final : public CallBase<v1::GetRequest, v1::GetResponse> {
   public:
    explicit GetCall(Floor* f) : CallBase(f, &v1::KV::AsyncService::RequestGet) {}
    void Respawn() override { new GetCall(floor_); }
    grpc::Status Answer(const v1::GetRequest& req, v1::GetResponse* resp) override {
      auto it = floor_->map_.find(req.key());
      if (it == floor_->map_.end()) return grpc::Status::OK;
      resp->set_found(true);
      FillRecord(it->second, resp->mutable_record());
      return grpc::Status::OK;
    }
  };

  class PutCall final : public CallBase<v1::PutRequest, v1::PutResponse> {
   public:
    explicit PutCall(Floor* f) : CallBase(f, &v1::KV::AsyncService::RequestPut) {}
    void Respawn() override { new PutCall(floor_); }
    grpc::Status Answer(const v1::PutRequest& req, v1::PutResponse* resp) override {
      Stored* s = floor_->Slot(req.key());
      if (s == nullptr) return floor_->Full();
      s->value = req.value();
      ++s->version;
      FillRecord(*s, resp->mutable_record());
      return grpc::Status::OK;
    }
  };

  class IncrementCall final : public CallBase<v1::IncrementRequest, v1::IncrementResponse> {
   public:
    explicit IncrementCall(Floor* f) : CallBase(f, &v1::KV::AsyncService::RequestIncrement) {}
    void Respawn() override { new IncrementCall(floor_); }
    grpc::Status Answer(const v1::IncrementRequest& req, v1::IncrementResponse* resp) override {
      Stored* s = floor_->Slot(req.key());
      if (s == nullptr) return floor_->Full();
      int64_t n = 0;
      if (!s->value.empty() && !absl::SimpleAtoi(s->value, &n)) {
        resp->set_decline_reason("the stored value is not a decimal int64");
        return grpc::Status::OK;
      }
      n += req.delta();  // wraps on overflow; a floor, not the register's semantics
      s->value = absl::StrCat(n);
      ++s->version;
      resp->set_applied(true);
      resp->set_value(n);
      FillRecord(*s, resp->mutable_record());
      return grpc::Status::OK;
    }
  };

  template <typename Request, typename Response>
  class UnimplementedCall final : public CallBase<Request, Response> {
   public:
    using Base = CallBase<Request, Response>;
    UnimplementedCall(Floor* f, typename Base::RequestFn request) : Base(f, request) {}
    void Respawn() override { new UnimplementedCall(this->floor_, this->request_); }
    grpc::Status Answer(const Request&, Response*) override {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "gryadka-grpc-floor serves only Get, Put and Increment (a benchmark "
                          "floor, not a store)");
    }
  };

  void SendOrHold(Call* call) {
    if (answer_delay_.count() == 0 || held_.size() >= kHeldAnswersMax) {
      call->Send();
      return;
    }
    held_.push_back({std::chrono::steady_clock::now() + answer_delay_, call});
  }
  // Sends every held answer that is due (a constant delay keeps them in due order).
  void SendDue() {
    const auto now = std::chrono::steady_clock::now();
    while (!held_.empty() && held_.front().due <= now) {
      held_.front().call->Send();
      held_.pop_front();
    }
  }
  static gpr_timespec ToDeadline(std::chrono::steady_clock::time_point due) {
    const auto wait = std::chrono::duration_cast<std::chrono::microseconds>(
        due - std::chrono::steady_clock::now());
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_micros(std::max<int64_t>(0, wait.count()), GPR_TIMESPAN));
  }

  static void FillRecord(const Stored& s, v1::Record* record) {
    record->set_value(s.value);
    record->set_version(s.version);
  }

  // The key's slot, created if there is room; nullptr when keys_max_ keys are held.
  Stored* Slot(const std::string& key) {
    auto it = map_.find(key);
    if (it != map_.end()) return &it->second;
    if (map_.size() >= keys_max_) return nullptr;
    return &map_[key];
  }
  grpc::Status Full() const {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("gryadka-grpc-floor holds --keys_max=", keys_max_,
                                     " keys already; nothing was stored"));
  }

  struct Held {
    std::chrono::steady_clock::time_point due;
    Call* call;
  };

  const size_t keys_max_;
  const std::chrono::microseconds answer_delay_;
  std::deque<Held> held_;
  v1::KV::AsyncService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  absl::flat_hash_map<std::string, Stored> map_;
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gryadka-grpc-floor --port=N [--keys_max=N] [--answer_delay_us=N]\n"
      "Serves gryadka.v1.KV's Get, Put and Increment from memory on 127.0.0.1:N, answering at "
      "once: the gRPC floor of gryadka-compare (no replication, no disk).");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "gryadka-grpc-floor: unexpected argument '" << rest[1] << "'\n";
    return kExitUsage;
  }
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 1 || port > 65535) {
    std::cerr << "gryadka-grpc-floor: --port: must be in 1..65535 (got " << port << ")\n";
    return kExitUsage;
  }
  const int64_t keys_max = absl::GetFlag(FLAGS_keys_max);
  if (keys_max < 1 || keys_max > kKeysMaxLimit) {
    std::cerr << "gryadka-grpc-floor: --keys_max: must be in 1.." << kKeysMaxLimit << " (got "
              << keys_max << ")\n";
    return kExitUsage;
  }
  const int64_t answer_delay_us = absl::GetFlag(FLAGS_answer_delay_us);
  if (answer_delay_us < 0 || answer_delay_us > kAnswerDelayUsMax) {
    std::cerr << "gryadka-grpc-floor: --answer_delay_us: must be in 0.." << kAnswerDelayUsMax
              << " (got " << answer_delay_us << ")\n";
    return kExitUsage;
  }
  Floor floor(static_cast<size_t>(keys_max), std::chrono::microseconds(answer_delay_us));
  return floor.Serve(port);
}

}  // namespace
}  // namespace gryadka::bench::compare

int main(int argc, char** argv) { return gryadka::bench::compare::Main(argc, argv); }
