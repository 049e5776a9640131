// One call of a gryadka.v1.KV method as the proposer's handlers see it (KvService, Forwarder):
// its method, request bytes, response buffer, the caller's deadline and metadata, and
// Finish(). The calls come from the KV front end (proposer/server/kv_front_end.h), which
// serves the methods with gRPC's asynchronous API.
//
// Contract: Finish() is called exactly once, from any thread; nothing of the call may be
// touched after it. Until then the call belongs to whoever handles it: the metadata and
// response setters are not thread-safe and must not race with each other (one owner at a
// time: the handler, then the shard or forward that finishes it).
#pragma once

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "proposer/server/metrics.h"

namespace gryadka::server {

// An operation a handler started on its call's completion queue (e.g. a forwarded client
// call): pass a CompletionTag* as the tag; Proceed() then runs on the queue's thread.
class CompletionTag {
 public:
  // `ok` as the completion queue reports it.
  virtual void Proceed(bool ok) = 0;

 protected:
  ~CompletionTag() = default;
};

// A CompletionTag that hands the completion to a member function of `T`: one per operation kind
// of an object with several operations in flight (a stream's read, write, finish).
template <typename T>
class MemberTag final : public CompletionTag {
 public:
  MemberTag(T* object, void (T::*on)(bool)) : object_(object), on_(on) {}
  void Proceed(bool ok) override { (object_->*on_)(ok); }

 private:
  T* const object_;
  void (T::*const on_)(bool);
};

// Work deferred to the end of the current turn of a completion queue's thread: the moment it has
// no event ready and would block. Gathers what one turn produced into one write (the calls for
// one peer stream, the answers on one).
class TurnEndHook {
 public:
  // Runs AtTurnEnd() once, on this thread, when its turn ends (at once on a thread that is no
  // completion queue's; kv_front_end.cc); a call while one is pending does nothing.
  void ScheduleAtTurnEnd();
  // From ScheduleAtTurnEnd() until AtTurnEnd() has run: the object must stay alive.
  bool turn_end_scheduled() const { return scheduled_; }
  // The queue's thread, at the end of the turn.
  void RunTurnEnd() {
    scheduled_ = false;
    AtTurnEnd();
  }

 protected:
  ~TurnEndHook() = default;
  virtual void AtTurnEnd() = 0;

 private:
  bool scheduled_ = false;
};

// `buffer`'s bytes as one contiguous view; `*slice` keeps them alive. Empty when gRPC cannot
// flatten the buffer.
inline absl::string_view WireBytes(const grpc::ByteBuffer& buffer, grpc::Slice* slice) {
  if (!buffer.TrySingleSlice(slice).ok() && !buffer.DumpToSingleSlice(slice).ok()) return {};
  return absl::string_view(reinterpret_cast<const char*>(slice->begin()), slice->size());
}

// A ByteBuffer holding a copy of `bytes`.
inline grpc::ByteBuffer ByteBufferOf(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

class ServerCall {
 public:
  virtual ~ServerCall() = default;

  virtual Method method() const = 0;
  virtual const grpc::ByteBuffer& request() const = 0;
  // Where the handler puts the serialized response (sent only with an OK status).
  virtual grpc::ByteBuffer* response() = 0;
  // The caller's deadline; time_point::max() when it set none.
  virtual std::chrono::system_clock::time_point deadline() const = 0;
  // The time the call may take from now, in milliseconds, as every handler counts it: until the
  // caller's deadline, or `default_ms` when it set none, cut to `max_ms` (--default_deadline_ms
  // and --max_deadline_ms). Zero or less when the deadline has passed.
  int64_t BudgetMs(int64_t default_ms, int64_t max_ms) const {
    const auto d = deadline();
    const int64_t budget_ms = d == std::chrono::system_clock::time_point::max()
                                  ? default_ms
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                        d - std::chrono::system_clock::now())
                                        .count();
    return std::min(budget_ms, max_ms);
  }
  virtual const std::multimap<grpc::string_ref, grpc::string_ref>& client_metadata() const = 0;
  virtual void AddInitialMetadata(const std::string& key, const std::string& value) = 0;
  virtual void AddTrailingMetadata(const std::string& key, const std::string& value) = 0;
  // Sends the response (if `status` is OK) and the status. Thread-safe; exactly once.
  virtual void Finish(const grpc::Status& status) = 0;
  // The completion queue whose thread handles the call. An operation the handler starts on it
  // (with a CompletionTag) must complete before the queue shuts down (KvFrontEnd::Shutdown(),
  // after every call was finished): before the call is finished, or, for operations that outlive
  // calls (a forwarding stream), once the handler is stopped (Forwarder::Stop() cancels them).
  virtual grpc::CompletionQueue* completion_queue() = 0;
};

}  // namespace gryadka::server
