#include "bench/load/driver.h"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "client/rendezvous.h"
#include "proposer/core/random.h"

namespace gryadka::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCodeNames[kGrpcCodes] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

// A channel argument that differs per channel, so gRPC never merges two of our channels into
// one connection.
constexpr char kChannelIndexArg[] = "gryadka.bench.channel_index";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* GrpcCodeName(int code) {
  return code >= 0 && code < kGrpcCodes ? kCodeNames[code] : "UNKNOWN";
}

uint64_t RunStats::errors() const {
  uint64_t n = 0;
  for (int c = 1; c < kGrpcCodes; ++c) n += errors_by_code[c];
  return n;
}

void RunStats::Merge(const RunStats& o) {
  latency.Merge(o.latency);
  ops += o.ops;
  for (int c = 0; c < kGrpcCodes; ++c) errors_by_code[c] += o.errors_by_code[c];
  conflicts += o.conflicts;
  declined += o.declined;
  prefill_ops += o.prefill_ops;
  prefill_errors += o.prefill_errors;
  warmup_ops += o.warmup_ops;
  warmup_errors += o.warmup_errors;
  timeline.Merge(o.timeline);
  for (int w = 0; w < kFaultWindows; ++w) window_latency[w].Merge(o.window_latency[w]);
}

absl::StatusOr<std::vector<std::unique_ptr<Endpoint>>> ConnectEndpoints(
    const std::vector<std::string>& targets, int channels, int64_t connect_timeout_ms) {
  std::vector<std::unique_ptr<Endpoint>> out;
  int index = 0;
  for (const std::string& target : targets) {
    auto e = std::make_unique<Endpoint>();
    e->target = target;
    for (int c = 0; c < channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt(kChannelIndexArg, index++);
      args.SetMaxReceiveMessageSize(static_cast<int>(2 * kValueBytesMax));
      args.SetMaxSendMessageSize(static_cast<int>(2 * kValueBytesMax));
      auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
      const auto deadline =
          std::chrono::system_clock::now() + std::chrono::milliseconds(connect_timeout_ms);
      if (!channel->WaitForConnected(deadline)) {
        return absl::UnavailableError(absl::StrCat("--target: cannot connect to ", target,
                                                   " within ", connect_timeout_ms, " ms"));
      }
      e->stubs.push_back(v1::KV::NewStub(channel));
      e->channels.push_back(std::move(channel));
    }
    out.push_back(std::move(e));
  }
  return out;
}

// One CompletionQueue, its thread, and the slots it serves.
class Driver::Worker {
 public:
  // Serves slots index, index + threads, index + 2 * threads, ...
  Worker(Driver* driver, int index, int slots, uint64_t seed) : d_(driver), rng_(seed) {
    for (int i = 0; i < slots; ++i) {
      auto s = std::make_unique<Slot>();
      s->index = index + i * d_->options_.threads;  // global slot number
      s->rpc_tag = Tag{s.get(), false};
      s->alarm_tag = Tag{s.get(), true};
      slots_.push_back(std::move(s));
    }
    const BenchOptions& o = d_->options_;
    if (o.fault.kind != FaultKind::kNone) {
      stats_.timeline = Timeline(static_cast<int64_t>(std::ceil(o.duration_s * 1000)));
      fault_at_ms_ = static_cast<int64_t>(o.fault.at_s * 1000);
      fault_end_ms_ = static_cast<int64_t>((o.fault.at_s + o.fault.duration_s) * 1000);
    }
  }

  void Run() {
    active_ = static_cast<int>(slots_.size());
    for (auto& s : slots_) Next(*s);
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      const Tag* t = static_cast<const Tag*>(tag);
      if (t->alarm) {
        Next(*t->slot);
      } else {
        OnDone(*t->slot);
      }
    }
    d_->workers_done_.fetch_add(1, std::memory_order_release);
  }

  const RunStats& stats() const { return stats_; }

 private:
  enum class Stage { kIncr, kPut, kGet, kCasGet, kCasSet };
  struct Slot;
  struct Tag {
    Slot* slot;
    bool alarm;
  };
  struct Slot {
    int index = 0;
    Tag rpc_tag{};
    Tag alarm_tag{};
    Stage stage = Stage::kIncr;
    std::string key;
    size_t endpoint = 0;
    int64_t op_start_ns = 0;
    uint64_t cas_version = 0;
    grpc::Alarm alarm;
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::Status status;
    v1::IncrementRequest incr_req;
    v1::IncrementResponse incr_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::IncrementResponse>> incr_call;
    v1::PutRequest put_req;
    v1::PutResponse put_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PutResponse>> put_call;
    v1::GetRequest get_req;
    v1::GetResponse get_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetResponse>> get_call;
    v1::CompareAndSetRequest cas_req;
    v1::CompareAndSetResponse cas_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CompareAndSetResponse>> cas_call;
  };

  // Acquire: pairs with BeginMeasure(), so kMeasure comes with its start time.
  Phase phase() const { return static_cast<Phase>(d_->phase_.load(std::memory_order_acquire)); }

  // The slot stops for good.
  void Retire() {
    if (--active_ == 0) cq_.Shutdown();
  }

  // Starts the slot's next operation, or retires it.
  void Next(Slot& s) {
    if (d_->stopping_.load(std::memory_order_relaxed)) return Retire();
    const RunSpec& spec = d_->spec_;
    uint64_t ticket = 0;
    if (spec.max_ops > 0 || spec.key_order == KeyOrder::kSequential) {
      ticket = d_->issued_.fetch_add(1, std::memory_order_relaxed);
      if (spec.max_ops > 0 && ticket >= spec.max_ops) return Retire();
    }
    const uint64_t key_index = spec.key_order == KeyOrder::kSequential
                                   ? ticket % d_->options_.keys
                                   : rng_.Uniform(d_->options_.keys);
    s.key.assign(d_->key_prefix_);
    absl::StrAppend(&s.key, key_index);
    const size_t targets = d_->endpoints_.size();
    if (targets == 1) {
      s.endpoint = 0;
    } else if (d_->options_.routing == Routing::kRandom) {
      s.endpoint = static_cast<size_t>(rng_.Uniform(targets));
    } else {
      s.endpoint = d_->rendezvous_->Pick(s.key);
    }
    s.op_start_ns = NowNs();
    Stage stage = Stage::kIncr;
    if (spec.prefill) {
      stage = Stage::kPut;
    } else {
      switch (spec.workload.kind) {
        case Workload::Kind::kIncr: stage = Stage::kIncr; break;
        case Workload::Kind::kPut: stage = Stage::kPut; break;
        case Workload::Kind::kRead: stage = Stage::kGet; break;
        case Workload::Kind::kCas: stage = Stage::kCasGet; break;
        case Workload::Kind::kMixed:
          stage = rng_.Uniform(100) < static_cast<uint64_t>(spec.workload.read_percent) ? Stage::kGet
                                                                                        : Stage::kPut;
          break;
      }
    }
    Call(s, stage);
  }

  void Call(Slot& s, Stage stage) {
    s.stage = stage;
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.ctx->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(d_->options_.deadline_ms));
    const Endpoint& e = *d_->endpoints_[s.endpoint];
    v1::KV::Stub& stub = *e.stubs[static_cast<size_t>(s.index) % e.stubs.size()];
    void* tag = &s.rpc_tag;
    switch (stage) {
      case Stage::kIncr:
        s.incr_req.set_key(s.key);
        s.incr_req.set_delta(1);
        s.incr_call = stub.AsyncIncrement(s.ctx.get(), s.incr_req, &cq_);
        s.incr_call->Finish(&s.incr_resp, &s.status, tag);
        break;
      case Stage::kPut:
        s.put_req.set_key(s.key);
        s.put_req.set_value(d_->spec_.prefill && d_->spec_.workload.kind == Workload::Kind::kIncr
                                ? "0"
                                : d_->value_);
        s.put_call = stub.AsyncPut(s.ctx.get(), s.put_req, &cq_);
        s.put_call->Finish(&s.put_resp, &s.status, tag);
        break;
      case Stage::kGet:
      case Stage::kCasGet:
        s.get_req.set_key(s.key);
        s.get_call = stub.AsyncGet(s.ctx.get(), s.get_req, &cq_);
        s.get_call->Finish(&s.get_resp, &s.status, tag);
        break;
      case Stage::kCasSet:
        s.cas_req.set_key(s.key);
        s.cas_req.set_expected_version(s.cas_version);
        s.cas_req.set_value(d_->value_);
        s.cas_call = stub.AsyncCompareAndSet(s.ctx.get(), s.cas_req, &cq_);
        s.cas_call->Finish(&s.cas_resp, &s.status, tag);
        break;
    }
  }

  void OnDone(Slot& s) {
    const Phase p = phase();
    if (!s.status.ok()) {
      d_->completed_.fetch_add(1, std::memory_order_relaxed);
      const int code = std::clamp(static_cast<int>(s.status.error_code()), 0, kGrpcCodes - 1);
      switch (p) {
        case Phase::kPrefill: ++stats_.prefill_errors; break;
        case Phase::kWarmup: ++stats_.warmup_errors; break;
        case Phase::kMeasure:
        case Phase::kDrain: ++stats_.errors_by_code[code]; break;
      }
      if (d_->stopping_.load(std::memory_order_relaxed)) return Retire();
      s.alarm.Set(&cq_, std::chrono::system_clock::now() + std::chrono::milliseconds(kErrorBackoffMs),
                  &s.alarm_tag);
      return;
    }
    bool conflict = false;
    bool declined = false;
    switch (s.stage) {
      case Stage::kCasGet:
        // The read half of a CAS: the op completes with the CAS.
        s.cas_version = s.get_resp.record().version();
        return Call(s, Stage::kCasSet);
      case Stage::kCasSet: conflict = !s.cas_resp.applied(); break;
      case Stage::kIncr: declined = !s.incr_resp.applied(); break;
      case Stage::kPut:
      case Stage::kGet: break;
    }
    d_->completed_.fetch_add(1, std::memory_order_relaxed);
    switch (p) {
      case Phase::kPrefill: ++stats_.prefill_ops; break;
      case Phase::kWarmup: ++stats_.warmup_ops; break;
      case Phase::kMeasure: RecordMeasured(s, conflict, declined); break;
      case Phase::kDrain: break;
    }
    Next(s);
  }

  void RecordMeasured(const Slot& s, bool conflict, bool declined) {
    const int64_t now_ns = NowNs();
    ++stats_.ops;
    stats_.conflicts += conflict;
    stats_.declined += declined;
    stats_.latency.Record(now_ns - s.op_start_ns);
    const int64_t start_ns = d_->measure_start_ns_.load(std::memory_order_relaxed);
    // No timeline, or a completion before BeginMeasure() (--warmup_s=0 starts in kMeasure).
    if (stats_.timeline.length_ms() == 0 || start_ns == 0) return;
    const int64_t offset_ms = (now_ns - start_ns) / 1000000;
    stats_.timeline.Record(offset_ms);
    const FaultWindow w = WindowOf(offset_ms, fault_at_ms_, fault_end_ms_);
    stats_.window_latency[static_cast<int>(w)].Record(now_ns - s.op_start_ns);
  }

  Driver* const d_;
  int64_t fault_at_ms_ = 0;   // --fault: the scheduled stretches, from BeginMeasure()
  int64_t fault_end_ms_ = 0;
  core::Random rng_;
  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int active_ = 0;
  RunStats stats_;
};

Driver::Driver(const BenchOptions& options, const std::vector<std::unique_ptr<Endpoint>>& endpoints)
    : options_(options),
      endpoints_(endpoints),
      key_prefix_(EffectiveKeyPrefix(options)),
      value_(options.value_bytes, 'v') {
  std::vector<std::string> targets;
  for (const auto& e : endpoints_) targets.push_back(e->target);
  rendezvous_ = std::make_unique<client::Rendezvous>(std::move(targets));
}

Driver::~Driver() {
  if (!threads_.empty()) StopAndJoin();
}

void Driver::Start(const RunSpec& spec, Phase phase) {
  spec_ = spec;
  SetPhase(phase);
  stopping_.store(false);
  issued_.store(0);
  measure_start_ns_.store(0);
  completed_.store(0);
  workers_done_.store(0);
  workers_.clear();
  const int threads = std::min(options_.threads, options_.concurrency);
  for (int t = 0; t < threads; ++t) {
    // Slots t, t + threads, t + 2*threads, ... live on worker t.
    const int slots = options_.concurrency / threads + (t < options_.concurrency % threads ? 1 : 0);
    workers_.push_back(std::make_unique<Worker>(this, t, slots, options_.seed * 1000003 + t));
  }
  for (auto& w : workers_) threads_.emplace_back([w = w.get()] { w->Run(); });
}

std::chrono::steady_clock::time_point Driver::BeginMeasure() {
  const Clock::time_point t0 = Clock::now();
  measure_start_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count(),
      std::memory_order_relaxed);
  phase_.store(static_cast<int>(Phase::kMeasure), std::memory_order_release);
  return t0;
}

bool Driver::Finished() const {
  return workers_done_.load(std::memory_order_acquire) == static_cast<int>(workers_.size());
}

RunStats Driver::StopAndJoin() {
  stopping_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
  RunStats total;
  for (const auto& w : workers_) total.Merge(w->stats());
  workers_.clear();
  return total;
}

}  // namespace gryadka::bench
