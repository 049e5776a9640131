#include "proposer/server/kv_front_end.h"

#include <grpc/support/time.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>

#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gryadka/v1/wire.h"
#include "proposer/server/forward_route.h"
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

class KvFrontEnd::Answerable {
 public:
  // Sends the answer; on the queue's thread only.
  virtual void Answer() = 0;
  // Dropped unanswered (the queue was shut down; see the file comment).
  virtual void Drop() = 0;
  // Whether Answer() may run now on the thread that finished the call (a shard's), not the
  // queue's: the call allows it and the front end is nearly idle (see the file comment).
  virtual bool AnswerInPlace() const { return false; }

 protected:
  ~Answerable() = default;
};

struct KvFrontEnd::Queue final : KvFrontEnd::Tag {
  // The alarm fired: send the answers of the calls finished meanwhile (and stop the peer
  // streams when asked to).
  void Proceed(bool ok) override;
  // Queues `call`'s answer for this queue's thread (answered at once when on it).
  void Finished(Answerable* call);
  // Sets the alarm unless it is set. REQUIRES: mu held, !shut_down.
  void WakeLocked();

  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  std::thread thread;
  std::mutex mu;
  std::vector<Answerable*> finished;  // guarded by mu: finished on other threads, not sent yet
  bool stop_streams = false;          // guarded by mu: StopPeerStreams() was called
  bool alarm_set = false;             // guarded by mu
  bool shut_down = false;             // guarded by mu: the queue no longer takes operations
  grpc::Alarm alarm;
  // The queue's thread only:
  std::set<PeerStream*> streams;       // peer streams served on this queue
  bool streams_stopped = false;        // StopPeerStreams() reached this thread
  std::vector<TurnEndHook*> turn_end;  // hooks scheduled for the end of the current turn
};

namespace {
// The queue whose thread this is (null on other threads).
thread_local KvFrontEnd::Queue* current_queue = nullptr;

// A queue's thread: handles every event of its queue; when none is ready, runs the turn's
// TurnEndHooks scheduled during the turn before it blocks for the next.
void RunQueue(KvFrontEnd::Queue* queue) {
  current_queue = queue;
  void* tag;
  bool ok;
  for (;;) {
    if (!queue->turn_end.empty()) {
      const grpc::CompletionQueue::NextStatus st =
          queue->cq->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC));
      if (st == grpc::CompletionQueue::SHUTDOWN) break;
      if (st == grpc::CompletionQueue::TIMEOUT) {
        std::vector<TurnEndHook*> hooks;
        hooks.swap(queue->turn_end);
        for (TurnEndHook* hook : hooks) hook->RunTurnEnd();
        continue;
      }
    } else if (!queue->cq->Next(&tag, &ok)) {
      break;
    }
    static_cast<KvFrontEnd::Tag*>(tag)->Proceed(ok);
  }
  current_queue = nullptr;
}
}  // namespace

void TurnEndHook::ScheduleAtTurnEnd() {
  if (scheduled_) return;
  scheduled_ = true;
  if (current_queue == nullptr) {
    RunTurnEnd();
  } else {
    current_queue->turn_end.push_back(this);
  }
}

void KvFrontEnd::Queue::WakeLocked() {
  if (!alarm_set) {
    alarm_set = true;
    alarm.Set(cq.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), static_cast<Tag*>(this));
  }
}

void KvFrontEnd::Queue::Finished(Answerable* call) {
  if (current_queue == this) {  // finished while being handled: answer at once
    call->Answer();
    return;
  }
  bool dropped = false;
  {
    // The alarm is set under the lock, so never after Shutdown() marked the queue shut down; an
    // answer sent in place starts its operation under it for the same reason.
    std::lock_guard<std::mutex> lock(mu);
    if (shut_down) {
      dropped = true;
    } else if (finished.empty() && !alarm_set && call->AnswerInPlace()) {
      call->Answer();
    } else {
      finished.push_back(call);
      WakeLocked();
    }
  }
  if (dropped) call->Drop();
}

// One call: requested from gRPC, then handled (a ServerCall), then answered. Deletes itself
// when its answer has gone out.
class KvFrontEnd::Call final : public ServerCall,
                               public KvFrontEnd::Tag,
                               public KvFrontEnd::Answerable {
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

  void Answer() override {
    // Answered in place (on a shard's thread), the call may be deleted by the queue's thread as
    // soon as the operation is started: nothing of it is touched after that.
    KvFrontEnd* const front_end = front_end_;
    state_ = State::kAnswered;
    if (status_.ok()) {
      responder_.Finish(response_, status_, static_cast<Tag*>(this));
    } else {
      responder_.FinishWithError(status_, static_cast<Tag*>(this));
    }
    // After the operation is queued (release: Shutdown() acquires live_ before it shuts the
    // queue down, so the operation is started by then).
    front_end->live_.fetch_sub(1, std::memory_order_release);
  }

  void Drop() override {
    front_end_->live_.fetch_sub(1, std::memory_order_release);
    delete this;
  }

  // Answer() only starts the responder's operation; its completion comes to the queue's thread,
  // which touches the call for nothing else once it is handled.
  bool AnswerInPlace() const override {
    return front_end_->live_.load(std::memory_order_relaxed) <= kAnswerInPlaceCallsMax;
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
    queue_->Finished(this);
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

namespace {

// The metadata of every call read from a peer stream: marked as forwarded, so it is served here.
const std::multimap<grpc::string_ref, grpc::string_ref>& ForwardedMarker() {
  static const auto* const marker =
      new std::multimap<grpc::string_ref, grpc::string_ref>{{kForwardedMetadataKey, "peer-stream"}};
  return *marker;
}

void AddMetadata(google::protobuf::RepeatedPtrField<internal::Metadata>* to, const std::string& key,
                 const std::string& value) {
  internal::Metadata* m = to->Add();
  m->set_key(key);
  m->set_value(value);
}

}  // namespace

// One call read from a peer stream, served as if it had arrived as its KV call.
class KvFrontEnd::StreamCall final : public ServerCall, public KvFrontEnd::Answerable {
 public:
  StreamCall(KvFrontEnd* front_end, PeerStream* stream, uint64_t id, Method method,
             std::chrono::system_clock::time_point deadline, grpc::ByteBuffer request)
      : front_end_(front_end),
        stream_(stream),
        method_(method),
        deadline_(deadline),
        request_(std::move(request)) {
    answer_.set_id(id);
  }

  Method method() const override { return method_; }
  const grpc::ByteBuffer& request() const override { return request_; }
  grpc::ByteBuffer* response() override { return &response_; }
  std::chrono::system_clock::time_point deadline() const override { return deadline_; }
  const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata() const override {
    return ForwardedMarker();
  }
  void AddInitialMetadata(const std::string& key, const std::string& value) override {
    AddMetadata(answer_.mutable_initial_metadata(), key, value);
  }
  void AddTrailingMetadata(const std::string& key, const std::string& value) override {
    AddMetadata(answer_.mutable_trailing_metadata(), key, value);
  }
  grpc::CompletionQueue* completion_queue() override;
  void Finish(const grpc::Status& status) override;
  void Answer() override;
  void Drop() override {
    front_end_->live_.fetch_sub(1, std::memory_order_release);
    delete this;
  }

 private:
  KvFrontEnd* const front_end_;
  PeerStream* const stream_;
  const Method method_;
  const std::chrono::system_clock::time_point deadline_;
  const grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  internal::ForwardedAnswer answer_;
};

// One gryadka.internal.Peer/Forward stream another proposer opened to this one (see the file
// comment and proto/gryadka/internal/forward.proto). Lives on its queue's thread: every method
// runs there. Deletes itself once its status went out and nothing of it is in flight.
class KvFrontEnd::PeerStream final : public TurnEndHook {
 public:
  PeerStream(KvFrontEnd* front_end, Queue* queue)
      : front_end_(front_end), queue_(queue), rw_(&ctx_) {}

  void Request() {
    front_end_->peer_service_->RequestForward(&ctx_, &rw_, queue_->cq.get(), queue_->cq.get(),
                                              &requested_tag_);
  }

  // Takes no more calls; ends with status OK once the calls taken are answered.
  void Stop() {
    stopping_ = true;
    MaybeFinish();
  }

  // A call of this stream was answered (its StreamCall is done with the stream).
  void Answered(internal::ForwardedAnswer answer) {
    --calls_in_flight_;
    if (!broken_ && !finish_sent_) {
      *out_.add_answers() = std::move(answer);
      ScheduleAtTurnEnd();
    }
    if (read_paused_ && !stopping_ && calls_in_flight_ < kStreamCallsMax) {
      read_paused_ = false;
      StartRead();
    }
    MaybeFinish();
    MaybeDelete();
  }

  Queue* queue() const { return queue_; }

 private:
  void OnRequested(bool ok) {
    if (!ok) {  // the server is shutting down: no stream came
      delete this;
      return;
    }
    if (!queue_->streams_stopped) (new PeerStream(front_end_, queue_))->Request();
    queue_->streams.insert(this);
    if (queue_->streams_stopped) {
      Stop();  // the status carries the initial metadata
      return;
    }
    // The sender writes no call before this arrives: calls on a stream that breaks before it
    // was taken here were never started (forwarder.h).
    write_in_flight_ = true;
    ctx_.AddInitialMetadata(kStreamTakenMetadataKey, "1");
    rw_.SendInitialMetadata(&metadata_tag_);
    StartRead();
  }

  void OnMetadataSent(bool ok) {
    write_in_flight_ = false;
    if (!ok) broken_ = true;
    Flush();
    MaybeFinish();
    MaybeDelete();
  }

  // Answers call `id` with `code` without serving it.
  void Refuse(uint64_t id, grpc::StatusCode code, std::string message,
              bool nothing_written = false) {
    internal::ForwardedAnswer refused;
    refused.set_id(id);
    refused.set_code(code);
    refused.set_message(std::move(message));
    if (nothing_written) {
      AddMetadata(refused.mutable_trailing_metadata(), v1::kNothingWrittenMetadataKey, "1");
    }
    ++calls_in_flight_;  // Answered() counts it down
    Answered(std::move(refused));
  }

  void StartRead() {
    read_in_flight_ = true;
    rw_.Read(&in_, &read_tag_);
  }

  void OnRead(bool ok) {
    read_in_flight_ = false;
    if (!ok) {  // the sender closed its side, or the stream broke
      reading_done_ = true;
      MaybeFinish();
      MaybeDelete();
      return;
    }
    const auto now = std::chrono::system_clock::now();
    for (internal::ForwardedCall& c : *in_.mutable_calls()) {
      if (c.method() >= static_cast<uint32_t>(Method::kCount)) {
        Refuse(c.id(), grpc::StatusCode::INVALID_ARGUMENT,
               absl::StrCat("forwarded call ", c.id(), ": method index ", c.method(),
                            " is not a gryadka.v1.KV method"));
        continue;
      }
      if (stopping_ || finish_sent_) {
        Refuse(c.id(), grpc::StatusCode::UNAVAILABLE,
               "proposer is shutting down; nothing was written", /*nothing_written=*/true);
        continue;
      }
      auto* call =
          new StreamCall(front_end_, this, c.id(), static_cast<Method>(c.method()),
                         now + std::chrono::milliseconds(c.budget_ms()), ByteBufferOf(c.request()));
      ++calls_in_flight_;
      front_end_->live_.fetch_add(1, std::memory_order_relaxed);
      front_end_->handler_(call);
    }
    in_.Clear();
    if (stopping_ || finish_sent_) {
      MaybeFinish();
    } else if (calls_in_flight_ < kStreamCallsMax) {
      StartRead();
    } else {
      read_paused_ = true;
    }
  }

  // The answers of this turn go out together, at its end.
  void AtTurnEnd() override {
    Flush();
    MaybeFinish();
    MaybeDelete();
  }

  // Writes the answers gathered while no write was in flight, as one message.
  void Flush() {
    if (write_in_flight_ || finish_sent_ || broken_ || out_.answers_size() == 0) return;
    writing_.Swap(&out_);
    out_.Clear();
    write_in_flight_ = true;
    rw_.Write(writing_, &write_tag_);
  }

  void OnWrite(bool ok) {
    write_in_flight_ = false;
    writing_.Clear();
    if (!ok) {
      broken_ = true;
    } else {
      Flush();
    }
    MaybeFinish();
    MaybeDelete();
  }

  void MaybeFinish() {
    if (finish_sent_ || !(stopping_ || reading_done_ || broken_)) return;
    if (calls_in_flight_ != 0 || write_in_flight_) return;
    if (!broken_ && out_.answers_size() != 0) {
      Flush();
      return;
    }
    finish_sent_ = true;
    rw_.Finish(grpc::Status::OK, &finish_tag_);
  }

  void OnFinish(bool /*ok*/) {
    finish_done_ = true;
    MaybeDelete();
  }

  void MaybeDelete() {
    if (!finish_done_ || read_in_flight_ || write_in_flight_ || calls_in_flight_ != 0 ||
        turn_end_scheduled()) {
      return;
    }
    queue_->streams.erase(this);
    delete this;
  }

  KvFrontEnd* const front_end_;
  Queue* const queue_;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReaderWriter<internal::ForwardedAnswers, internal::ForwardedCalls> rw_;
  MemberTag<PeerStream> requested_tag_{this, &PeerStream::OnRequested};
  MemberTag<PeerStream> metadata_tag_{this, &PeerStream::OnMetadataSent};
  MemberTag<PeerStream> read_tag_{this, &PeerStream::OnRead};
  MemberTag<PeerStream> write_tag_{this, &PeerStream::OnWrite};
  MemberTag<PeerStream> finish_tag_{this, &PeerStream::OnFinish};
  internal::ForwardedCalls in_;
  internal::ForwardedAnswers out_;      // answered, not written yet
  internal::ForwardedAnswers writing_;  // the write in flight
  size_t calls_in_flight_ = 0;
  bool read_in_flight_ = false;
  bool read_paused_ = false;      // kStreamCallsMax calls in flight: not reading
  bool reading_done_ = false;     // the sender closed its side or the stream broke
  bool write_in_flight_ = false;  // a message or the initial metadata is being sent
  bool broken_ = false;           // a write failed: answers have nowhere to go
  bool stopping_ = false;
  bool finish_sent_ = false;
  bool finish_done_ = false;
};

grpc::CompletionQueue* KvFrontEnd::StreamCall::completion_queue() {
  return stream_->queue()->cq.get();
}

void KvFrontEnd::StreamCall::Finish(const grpc::Status& status) {
  answer_.set_code(status.error_code());
  answer_.set_message(status.error_message());
  if (status.ok()) {
    grpc::Slice slice;
    const absl::string_view bytes = WireBytes(response_, &slice);
    answer_.set_response(bytes.data(), bytes.size());
  }
  stream_->queue()->Finished(this);
}

void KvFrontEnd::StreamCall::Answer() {
  stream_->Answered(std::move(answer_));  // may delete the stream
  front_end_->live_.fetch_sub(1, std::memory_order_release);
  delete this;
}

void KvFrontEnd::Queue::Proceed(bool /*ok*/) {
  std::vector<Answerable*> calls;
  bool dropping;
  bool stop;
  {
    std::lock_guard<std::mutex> lock(mu);
    calls.swap(finished);
    alarm_set = false;
    dropping = shut_down;
    stop = stop_streams;
  }
  for (Answerable* c : calls) {
    if (dropping) {
      c->Drop();
    } else {
      c->Answer();
    }
  }
  if (stop && !streams_stopped) {
    streams_stopped = true;
    // Stop() may end a stream (and erase it from the set).
    const std::vector<PeerStream*> open(streams.begin(), streams.end());
    for (PeerStream* s : open) s->Stop();
  }
}

KvFrontEnd::KvFrontEnd(grpc::ServerBuilder* builder, int queues, Handler handler)
    : service_(std::make_unique<Service>()),
      peer_service_(std::make_unique<internal::Peer::AsyncService>()),
      handler_(std::move(handler)) {
  builder->RegisterService(service_.get());
  builder->RegisterService(peer_service_.get());
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
    for (int i = 0; i < kStreamRequestsPerQueue; ++i) {
      (new PeerStream(this, q.get()))->Request();
    }
    Queue* queue = q.get();
    queue->thread = std::thread([queue] { RunQueue(queue); });
  }
}

void KvFrontEnd::StopPeerStreams() {
  for (auto& q : queues_) {
    std::lock_guard<std::mutex> lock(q->mu);
    if (q->shut_down) continue;
    q->stop_streams = true;
    q->WakeLocked();
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
