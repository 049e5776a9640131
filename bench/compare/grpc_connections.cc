// The two gRPC clients of connections.h (Gryadka and etcd) on one CompletionQueue loop each.
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/compare/connections.h"
#include "bench/load/driver.h"  // GrpcCodeName
#include "client/rendezvous.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "gryadka/v1/kv.grpc.pb.h"

namespace gryadka::bench::compare {
namespace {

// Differs per channel, so gRPC never merges two workers' channels into one connection.
constexpr char kChannelIndexArg[] = "gryadka.compare.channel_index";

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(kChannelIndexArg, index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// A Connection on one CompletionQueue. Tags: (slot + 1) * 2 for a call, + 1 for a backoff.
class CqConnection : public Connection {
 public:
  CqConnection(int slots, int64_t deadline_ms)
      : deadline_ms_(deadline_ms), alarms_(new grpc::Alarm[static_cast<size_t>(slots)]) {}

  void Backoff(int slot, int64_t ms) override {
    alarms_[static_cast<size_t>(slot)].Set(
        &cq_, std::chrono::system_clock::now() + std::chrono::milliseconds(ms), Tag(slot, true));
  }

  void Run() override {
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      const auto t = reinterpret_cast<intptr_t>(tag);
      const int slot = static_cast<int>(t / 2 - 1);
      if (t % 2 == 1) {
        listener_->OnBackoffDone(slot);
      } else {
        OnCallDone(slot);
      }
    }
  }

  void Shutdown() override { cq_.Shutdown(); }

 protected:
  // The call of `slot` tagged Tag(slot, false) finished.
  virtual void OnCallDone(int slot) = 0;

  static void* Tag(int slot, bool backoff) {
    return reinterpret_cast<void*>(static_cast<intptr_t>((slot + 1) * 2 + (backoff ? 1 : 0)));
  }
  std::unique_ptr<grpc::ClientContext> NewContext() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms_));
    return ctx;
  }
  void Fail(int slot, const grpc::Status& status) {
    listener_->OnDone(slot, false, GrpcCodeName(static_cast<int>(status.error_code())), 0);
  }

  grpc::CompletionQueue cq_;

 private:
  const int64_t deadline_ms_;
  std::unique_ptr<grpc::Alarm[]> alarms_;
};

class GryadkaConnection : public CqConnection {
 public:
  GryadkaConnection(const std::vector<std::string>& targets, int worker, int slots,
                    int64_t deadline_ms)
      : CqConnection(slots, deadline_ms), rendezvous_(targets), calls_(static_cast<size_t>(slots)) {
    for (size_t i = 0; i < targets.size(); ++i) {
      stubs_.push_back(
          v1::KV::NewStub(NewChannel(targets[i], worker * 1000 + static_cast<int>(i))));
    }
  }

  void Begin(int slot, Op op, const std::string& key) override {
    Call& c = calls_[static_cast<size_t>(slot)];
    c.op = op;
    c.ctx = NewContext();
    v1::KV::Stub& stub = *stubs_[stubs_.size() == 1 ? 0 : rendezvous_.Pick(key)];
    switch (op) {
      case Op::kIncrement:
        c.incr_req.set_key(key);
        c.incr_req.set_delta(1);
        c.incr = stub.AsyncIncrement(c.ctx.get(), c.incr_req, &cq_);
        c.incr->Finish(&c.incr_resp, &c.status, Tag(slot, false));
        break;
      case Op::kRead:
        c.get_req.set_key(key);
        c.get = stub.AsyncGet(c.ctx.get(), c.get_req, &cq_);
        c.get->Finish(&c.get_resp, &c.status, Tag(slot, false));
        break;
      case Op::kPrefill:
        c.put_req.set_key(key);
        c.put_req.set_value("0");
        c.put = stub.AsyncPut(c.ctx.get(), c.put_req, &cq_);
        c.put->Finish(&c.put_resp, &c.status, Tag(slot, false));
        break;
    }
  }

 private:
  struct Call {
    Op op = Op::kIncrement;
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::Status status;
    v1::IncrementRequest incr_req;
    v1::IncrementResponse incr_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::IncrementResponse>> incr;
    v1::GetRequest get_req;
    v1::GetResponse get_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetResponse>> get;
    v1::PutRequest put_req;
    v1::PutResponse put_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PutResponse>> put;
  };

  void OnCallDone(int slot) override {
    Call& c = calls_[static_cast<size_t>(slot)];
    if (!c.status.ok()) return Fail(slot, c.status);
    if (c.op == Op::kIncrement && !c.incr_resp.applied()) {
      return listener_->OnDone(slot, false, "increment declined (the value is not an integer)", 0);
    }
    listener_->OnDone(slot, true, "", 0);
  }

  client::Rendezvous rendezvous_;
  std::vector<std::unique_ptr<v1::KV::Stub>> stubs_;
  std::vector<Call> calls_;
};

class EtcdConnection : public CqConnection {
 public:
  EtcdConnection(const std::vector<std::string>& targets, int worker, int slots,
                 int64_t deadline_ms)
      : CqConnection(slots, deadline_ms), calls_(static_cast<size_t>(slots)) {
    for (size_t i = 0; i < targets.size(); ++i) {
      stubs_.push_back(
          etcdserverpb::KV::NewStub(NewChannel(targets[i], worker * 1000 + static_cast<int>(i))));
    }
  }

  void Begin(int slot, Op op, const std::string& key) override {
    Call& c = calls_[static_cast<size_t>(slot)];
    c.op = op;
    c.retries = 0;
    c.stub = stubs_[next_member_++ % stubs_.size()].get();  // round robin per operation
    if (op == Op::kPrefill) return Put(slot, key);
    Range(slot, key);
  }

 private:
  enum class Stage { kRange, kTxn, kPut };
  struct Call {
    Op op = Op::kIncrement;
    Stage stage = Stage::kRange;
    int retries = 0;
    etcdserverpb::KV::Stub* stub = nullptr;
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::Status status;
    etcdserverpb::RangeRequest range_req;
    etcdserverpb::RangeResponse range_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> range;
    etcdserverpb::TxnRequest txn_req;
    etcdserverpb::TxnResponse txn_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> txn;
    etcdserverpb::PutRequest put_req;
    etcdserverpb::PutResponse put_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put;
  };

  void Range(int slot, const std::string& key) {
    Call& c = calls_[static_cast<size_t>(slot)];
    c.stage = Stage::kRange;
    c.ctx = NewContext();
    c.range_req.set_key(key);
    c.range = c.stub->AsyncRange(c.ctx.get(), c.range_req, &cq_);
    c.range->Finish(&c.range_resp, &c.status, Tag(slot, false));
  }

  void Put(int slot, const std::string& key) {
    Call& c = calls_[static_cast<size_t>(slot)];
    c.stage = Stage::kPut;
    c.ctx = NewContext();
    c.put_req.set_key(key);
    c.put_req.set_value("0");
    c.put = c.stub->AsyncPut(c.ctx.get(), c.put_req, &cq_);
    c.put->Finish(&c.put_resp, &c.status, Tag(slot, false));
  }

  // The write half of an increment: Put(value + 1) if the key's mod_revision is still the one
  // read (0 when the key does not exist).
  void Txn(int slot) {
    Call& c = calls_[static_cast<size_t>(slot)];
    int64_t value = 0;
    int64_t mod_revision = 0;
    if (c.range_resp.kvs_size() > 0) {
      const mvccpb::KeyValue& kv = c.range_resp.kvs(0);
      mod_revision = kv.mod_revision();
      if (!absl::SimpleAtoi(kv.value(), &value)) {
        return listener_->OnDone(slot, false, "etcd value is not an integer", c.retries);
      }
    }
    c.stage = Stage::kTxn;
    c.ctx = NewContext();
    c.txn_req.Clear();
    etcdserverpb::Compare* cmp = c.txn_req.add_compare();
    cmp->set_result(etcdserverpb::Compare_CompareResult_EQUAL);
    cmp->set_target(etcdserverpb::Compare_CompareTarget_MOD);
    cmp->set_key(c.range_req.key());
    cmp->set_mod_revision(mod_revision);
    etcdserverpb::PutRequest* put = c.txn_req.add_success()->mutable_request_put();
    put->set_key(c.range_req.key());
    put->set_value(absl::StrCat(value + 1));
    c.txn = c.stub->AsyncTxn(c.ctx.get(), c.txn_req, &cq_);
    c.txn->Finish(&c.txn_resp, &c.status, Tag(slot, false));
  }

  void OnCallDone(int slot) override {
    Call& c = calls_[static_cast<size_t>(slot)];
    if (!c.status.ok()) return Fail(slot, c.status);
    switch (c.stage) {
      case Stage::kRange:
        if (c.op == Op::kRead) return listener_->OnDone(slot, true, "", 0);
        return Txn(slot);
      case Stage::kTxn:
        if (c.txn_resp.succeeded()) return listener_->OnDone(slot, true, "", c.retries);
        if (++c.retries > kEtcdCompareRetriesMax) {
          return listener_->OnDone(slot, false, "etcd compare retries exhausted", c.retries);
        }
        return Range(slot, c.range_req.key());
      case Stage::kPut:
        return listener_->OnDone(slot, true, "", 0);
    }
  }

  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
  size_t next_member_ = 0;
  std::vector<Call> calls_;
};

}  // namespace

std::unique_ptr<Connection> NewGryadkaConnection(const std::vector<std::string>& targets,
                                                 int worker, int slots, int64_t deadline_ms) {
  return std::make_unique<GryadkaConnection>(targets, worker, slots, deadline_ms);
}

std::unique_ptr<Connection> NewEtcdConnection(const std::vector<std::string>& targets, int worker,
                                              int slots, int64_t deadline_ms) {
  return std::make_unique<EtcdConnection>(targets, worker, slots, deadline_ms);
}

}  // namespace gryadka::bench::compare
