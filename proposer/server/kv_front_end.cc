#include "proposer/server/kv_front_end.h"

#include <grpc/support/time.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>

#include <chrono>
#include <utility>

#include "proposer/server/logging.h"

namespace gryadka::server {

// The generated service, with one way to request a call of any of its methods.
class KvFrontEnd::Service final : public KvRawAsyncService {
 public:
  void RequestCall(Method method, grpc::ServerContext* ctx, grpc::ByteBuffer* request,
                   grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>* responder,
                   grpc::ServerCompletionQueue* cq, void* tag) {
    // The generated RequestX methods do exactly this; Method values are the methods' indexes.
    RequestAsyncUnary(static_cast<int>(method), ctx, request, responder, cq, cq, tag);
  }
};

struct KvFrontEnd::Queue final : KvFrontEnd::Tag {
  // The alarm fired: send the answers of the calls finished meanwhile.
  void Proceed(bool ok) override;

  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  std::thread thread;
  std::mutex mu;
  std::vector<Call*> finished;  // guarded by mu: finished on other threads, not sent yet
  bool alarm_set = false;       // guarded by mu
  bool shut_down = false;       // guarded by mu: the queue no longer takes operations
  grpc::Alarm alarm;
};

namespace {
// The queue whose thread this is (null on other threads).
thread_local KvFrontEnd::Queue* current_queue = nullptr;
}  // namespace

// One call: requested from gRPC, then handled (a ServerCall), then answered. Deletes itself
// when its answer has gone out.
class KvFrontEnd::Call final : public ServerCall, public KvFrontEnd::Tag {
 public:
  Call(KvFrontEnd* front_end, Queue* queue, Method method)
      : front_end_(front_end), queue_(queue), method_(method), responder_(&ctx_) {}

  void Request() {
    front_end_->service_->RequestCall(method_, &ctx_, &request_, &responder_, queue_->cq.get(),
                                      static_cast<Tag*>(this));
  }

  void Proceed(bool ok) override {
    if (state_ == State::kRequested) {
      if (!ok) {  // the server is shutting down: no call came
        delete this;
        return;
      }
      (new Call(front_end_, queue_, method_))->Request();  // the next call of this method
      state_ = State::kHandled;
      front_end_->live_.fetch_add(1, std::memory_order_relaxed);
      front_end_->handler_(this);
      return;
    }
    delete this;  // State::kAnswered: the answer went out, or the call was cancelled
  }

  // Sends the answer; on the queue's thread only.
  void Answer() {
    state_ = State::kAnswered;
    if (status_.ok()) {
      responder_.Finish(response_, status_, static_cast<Tag*>(this));
    } else {
      responder_.FinishWithError(status_, static_cast<Tag*>(this));
    }
    // After the operation is queued (release: Shutdown() acquires live_ before it shuts the
    // queue down, so the operation is started by then).
    front_end_->live_.fetch_sub(1, std::memory_order_release);
  }

  // Dropped unanswered (the queue was shut down; see the file comment).
  void Drop() {
    front_end_->live_.fetch_sub(1, std::memory_order_release);
    delete this;
  }

  Method method() const override { return method_; }
  const grpc::ByteBuffer& request() const override { return request_; }
  grpc::ByteBuffer* response() override { return &response_; }
  std::chrono::system_clock::time_point deadline() const override { return ctx_.deadline(); }
  const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata() const override {
    return ctx_.client_metadata();
  }
  void AddInitialMetadata(const std::string& key, const std::string& value) override {
    ctx_.AddInitialMetadata(key, value);
  }
  void AddTrailingMetadata(const std::string& key, const std::string& value) override {
    ctx_.AddTrailingMetadata(key, value);
  }
  grpc::CompletionQueue* completion_queue() override { return queue_->cq.get(); }

  void Finish(const grpc::Status& status) override {
    status_ = status;
    if (current_queue == queue_) {  // finished while being handled: answer at once
      Answer();
      return;
    }
    bool dropped = false;
    {
      // The alarm is set under the lock, so never after Shutdown() marked the queue shut down.
      std::lock_guard<std::mutex> lock(queue_->mu);
      if (queue_->shut_down) {
        dropped = true;
      } else {
        queue_->finished.push_back(this);
        if (!queue_->alarm_set) {
          queue_->alarm_set = true;
          queue_->alarm.Set(queue_->cq.get(), gpr_time_0(GPR_CLOCK_MONOTONIC),
                            static_cast<Tag*>(queue_));
        }
      }
    }
    if (dropped) Drop();
  }

 private:
  enum class State { kRequested, kHandled, kAnswered };

  KvFrontEnd* const front_end_;
  Queue* const queue_;
  const Method method_;
  State state_ = State::kRequested;
  grpc::ServerContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_;
  grpc::Status status_;
};

void KvFrontEnd::Queue::Proceed(bool /*ok*/) {
  std::vector<Call*> calls;
  bool dropping;
  {
    std::lock_guard<std::mutex> lock(mu);
    calls.swap(finished);
    alarm_set = false;
    dropping = shut_down;
  }
  for (Call* c : calls) {
    if (dropping) {
      c->Drop();
    } else {
      c->Answer();
    }
  }
}

KvFrontEnd::KvFrontEnd(grpc::ServerBuilder* builder, int queues, Handler handler)
    : service_(std::make_unique<Service>()), handler_(std::move(handler)) {
  builder->RegisterService(service_.get());
  for (int i = 0; i < queues; ++i) {
    queues_.push_back(std::make_unique<Queue>());
    queues_.back()->cq = builder->AddCompletionQueue();
  }
}

KvFrontEnd::~KvFrontEnd() {
  if (started_) {
    Shutdown();
    return;
  }
  for (auto& q : queues_) {  // never started: nothing was requested
    q->cq->Shutdown();
    void* tag;
    bool ok;
    while (q->cq->Next(&tag, &ok)) {
    }
  }
}

void KvFrontEnd::Start() {
  started_ = true;
  for (auto& q : queues_) {
    for (int m = 0; m < static_cast<int>(Method::kCount); ++m) {
      for (int i = 0; i < kRequestsPerMethodAndQueue; ++i) {
        (new Call(this, q.get(), static_cast<Method>(m)))->Request();
      }
    }
    Queue* queue = q.get();
    queue->thread = std::thread([queue] {
      current_queue = queue;
      void* tag;
      bool ok;
      while (queue->cq->Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
      current_queue = nullptr;
    });
  }
}

void KvFrontEnd::Shutdown() {
  if (!started_) return;
  started_ = false;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kShutdownWaitMs);
  while (live_.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (const size_t left = live_.load(std::memory_order_acquire); left != 0) {
    Log(LogLevel::kWarning, "calls not finished at shutdown: dropped unanswered",
        {{"calls", std::to_string(left)}, {"waited_ms", std::to_string(kShutdownWaitMs)}});
  }
  for (auto& q : queues_) {
    {
      std::lock_guard<std::mutex> lock(q->mu);
      q->shut_down = true;
    }
    q->cq->Shutdown();
  }
  for (auto& q : queues_) q->thread.join();
}

}  // namespace gryadka::server
