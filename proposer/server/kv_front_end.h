// The gryadka.v1.KV methods served with gRPC's asynchronous (completion queue) API: every call
// becomes a ServerCall (proposer/server/server_call.h) handed to one handler.
//
// Why not the callback API (docs/performance.md, "One thread per completion queue"): gRPC
// 1.51 runs callback methods on at least two shared polling threads that wake each other for
// every event. Here each completion queue has exactly one thread, which reads the calls, runs
// the handler, and sends the answers. A call finished on another thread (a shard's event loop)
// is queued, and the queue's thread is woken once, with a gRPC alarm, for all the calls
// finished meanwhile; it sends their answers itself, so an answer's completion needs no further
// wake-up. At low load (at most kAnswerInPlaceCallsMax calls in the whole front end, none queued
// for the queue's thread) the shard's thread sends the answer itself instead: a thread wake-up
// less before the answer leaves, for a few µs more CPU (the completion still wakes the queue's
// thread, after the answer is on its way). The gain holds only while nothing in the process uses
// the callback API (its threads would poll the same sockets): the health service is synchronous
// (health_service.h) and forwards travel on asynchronous client streams (forwarder.h).
//
// It also serves gryadka.internal.Peer/Forward (proto/gryadka/internal/forward.proto), the
// streams over which other proposers forward calls for keys this one owns (forwarder.h): each
// call read from a stream becomes a ServerCall marked as forwarded (so it is never forwarded
// again) handed to the same handler, and its answer goes back on the stream, batched with the
// answers finished meanwhile. A stream keeps at most kStreamCallsMax calls in flight (it stops
// reading until answers go out).
//
// Lifecycle: construct before ServerBuilder::BuildAndStart() (it registers the services and adds
// the queues), Start() after it, StopPeerStreams() before grpc::Server::Shutdown() (the streams
// would otherwise hold the drain until its deadline), and after grpc::Server::Shutdown() has
// returned and every handler has finished its calls (the shards stopped, forwards cancelled),
// Shutdown(): it waits up to kShutdownWaitMs for calls still being finished, then shuts the queues
// down and joins their threads. A call finished after that is dropped unanswered (the server has
// already cancelled it).
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gryadka/internal/forward.grpc.pb.h"
#include "gryadka/v1/kv.grpc.pb.h"
#include "proposer/server/server_call.h"

namespace gryadka::server {

// Every KV method registered "raw" (grpc::ByteBuffer in and out), so a request gRPC could not
// parse still gets a clear INVALID_ARGUMENT (proposer/server/request_wire.h); reflection still
// describes the methods with their gryadka.v1 message types.
using KvRawAsyncService = v1::KV::WithRawMethod_ChangeQuery<
    v1::KV::WithRawMethod_Get<v1::KV::WithRawMethod_Put<v1::KV::WithRawMethod_CompareAndSet<
        v1::KV::WithRawMethod_Increment<v1::KV::WithRawMethod_Delete<v1::KV::Service>>>>>>;

class KvFrontEnd {
 public:
  using Handler = std::function<void(ServerCall* call)>;

  // Calls of each method a queue keeps requested from gRPC (a call arriving when none is
  // requested waits inside gRPC until the queue's thread requests the next).
  static constexpr int kRequestsPerMethodAndQueue = 16;
  // How long Shutdown() waits for calls being finished before it shuts the queues down.
  static constexpr int64_t kShutdownWaitMs = 2000;
  // Calls one peer stream may have in flight here; beyond it the stream is not read until some
  // are answered (the sender's calls wait in gRPC's flow control, then in its own bound).
  static constexpr size_t kStreamCallsMax = 1024;
  // Peer streams each queue keeps requested from gRPC.
  static constexpr int kStreamRequestsPerQueue = 2;
  // Calls in the front end (handled, not yet answered) up to which a call finished on another
  // thread is answered from that thread (see the file comment). 2: one client, or two.
  static constexpr size_t kAnswerInPlaceCallsMax = 2;

  // Registers the service on `builder` with `queues` completion queues (one thread each).
  // `handler` runs on a queue's thread and must not block. REQUIRES: queues >= 1.
  KvFrontEnd(grpc::ServerBuilder* builder, int queues, Handler handler);
  ~KvFrontEnd();  // Shutdown()s if Start()ed
  KvFrontEnd(const KvFrontEnd&) = delete;
  KvFrontEnd& operator=(const KvFrontEnd&) = delete;

  // Requests the first calls and starts the queue threads. REQUIRES: the server was built.
  void Start();
  // Every peer stream stops taking calls; each ends with status OK once the calls it took are
  // answered (calls read after this are answered UNAVAILABLE, nothing written: the sender
  // serves them itself). Thread-safe; for the drain, before grpc::Server::Shutdown().
  void StopPeerStreams();
  // See the file comment.
  void Shutdown();

  // Implementation details (kv_front_end.cc).
  using Tag = CompletionTag;  // what a queue's thread is woken for
  struct Queue;      // a completion queue, its thread, and the calls finished for it to send
  class Answerable;  // a call whose answer a queue's thread sends (Call, StreamCall)

 private:
  class Service;
  class Call;
  class PeerStream;
  class StreamCall;

  std::unique_ptr<Service> service_;
  std::unique_ptr<internal::Peer::AsyncService> peer_service_;
  const Handler handler_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<size_t> live_{0};
  bool started_ = false;
};

}  // namespace gryadka::server
