#include "tests/client/fake_kv_server.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "gryadka/v1/wire.h"

namespace gryadka::testing {
namespace {

constexpr char kServiceName[] = "gryadka.v1.KV";

struct Outcome {
  bool applied = true;
  v1::Record record;  // the state after the change
  std::string decline_reason;
};

v1::Record Present(std::string value, uint64_t previous_version) {
  v1::Record r;
  r.set_value(std::move(value));
  r.set_version(previous_version + 1);
  return r;
}

Outcome Declined(const v1::Record& current, std::string reason) {
  return Outcome{false, current, std::move(reason)};
}

// The registered change ops, as pure functions of the current record. nullopt: op unset.
std::optional<Outcome> ApplyChange(const v1::Record& current, const v1::ChangeOp& change) {
  const uint64_t version = current.version();
  switch (change.op_case()) {
    case v1::ChangeOp::kRead:
      return Outcome{true, current, ""};
    case v1::ChangeOp::kPut:
      return Outcome{true, Present(change.put().value(), version), ""};
    case v1::ChangeOp::kPutIfAbsent:
      if (version != 0) return Declined(current, "the key is present");
      return Outcome{true, Present(change.put_if_absent().value(), 0), ""};
    case v1::ChangeOp::kCompareAndSet:
      if (version != change.compare_and_set().expected_version()) {
        return Declined(current, absl::StrCat("version is ", version));
      }
      return Outcome{true, Present(change.compare_and_set().value(), version), ""};
    case v1::ChangeOp::kIncrement: {
      int64_t number = 0;
      if (version != 0 && !absl::SimpleAtoi(current.value(), &number)) {
        return Declined(current, "not a decimal int64");
      }
      int64_t sum = 0;
      if (__builtin_add_overflow(number, change.increment().delta(), &sum)) {
        return Declined(current, "overflow");
      }
      return Outcome{true, Present(absl::StrCat(sum), version), ""};
    }
    case v1::ChangeOp::kAppend:
      return Outcome{true, Present(current.value() + change.append().suffix(), version), ""};
    case v1::ChangeOp::kDelete:
      if (change.delete_().has_expected_version() &&
          change.delete_().expected_version() != version) {
        return Declined(current, absl::StrCat("version is ", version));
      }
      return Outcome{true, v1::Record(), ""};
    case v1::ChangeOp::OP_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace

class FakeKvServer::Service final : public v1::KV::Service {
 public:
  void FailNext(grpc::StatusCode code, int count, bool marked) {
    absl::MutexLock lock(&mu_);
    fail_code_ = code;
    fail_count_ = count;
    fail_marked_ = marked;
  }
  void SetDelayMs(int64_t delay_ms) {
    absl::MutexLock lock(&mu_);
    delay_ms_ = delay_ms;
  }
  int Calls(const std::string& method) const {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  int TotalCalls() const {
    absl::MutexLock lock(&mu_);
    int total = 0;
    for (const auto& [method, n] : calls_) total += n;
    return total;
  }
  v1::Record Stored(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = records_.find(key);
    return it == records_.end() ? v1::Record() : it->second;
  }

  grpc::Status ChangeQuery(grpc::ServerContext* context, const v1::ChangeQueryRequest* request,
                           v1::ChangeQueryResponse* response) override {
    if (request->query().op_case() == v1::QueryOp::OP_NOT_SET) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "query op unset");
    }
    Outcome outcome;
    if (grpc::Status s = Change("ChangeQuery", context, request->key(), request->change(),
                                &outcome);
        !s.ok()) {
      return s;
    }
    response->set_applied(outcome.applied);
    response->set_decline_reason(outcome.decline_reason);
    switch (request->query().op_case()) {
      case v1::QueryOp::kRecord:
        *response->mutable_result()->mutable_record() = outcome.record;
        break;
      case v1::QueryOp::kVersion:
        response->mutable_result()->set_version(outcome.record.version());
        break;
      default:
        response->mutable_result()->mutable_none();
    }
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override {
    v1::ChangeOp change;
    change.mutable_read();
    Outcome outcome;
    grpc::Status s = Change("Get", context, request->key(), change, &outcome);
    response->set_found(outcome.record.version() != 0);
    *response->mutable_record() = outcome.record;
    return s;
  }

  grpc::Status Put(grpc::ServerContext* context, const v1::PutRequest* request,
                   v1::PutResponse* response) override {
    v1::ChangeOp change;
    change.mutable_put()->set_value(request->value());
    Outcome outcome;
    grpc::Status s = Change("Put", context, request->key(), change, &outcome);
    *response->mutable_record() = outcome.record;
    return s;
  }

  grpc::Status CompareAndSet(grpc::ServerContext* context,
                             const v1::CompareAndSetRequest* request,
                             v1::CompareAndSetResponse* response) override {
    v1::ChangeOp change;
    change.mutable_compare_and_set()->set_expected_version(request->expected_version());
    change.mutable_compare_and_set()->set_value(request->value());
    Outcome outcome;
    grpc::Status s = Change("CompareAndSet", context, request->key(), change, &outcome);
    response->set_applied(outcome.applied);
    *response->mutable_record() = outcome.record;
    return s;
  }

  grpc::Status Increment(grpc::ServerContext* context, const v1::IncrementRequest* request,
                         v1::IncrementResponse* response) override {
    v1::ChangeOp change;
    change.mutable_increment()->set_delta(request->delta());
    Outcome outcome;
    grpc::Status s = Change("Increment", context, request->key(), change, &outcome);
    int64_t number = 0;
    if (outcome.applied && absl::SimpleAtoi(outcome.record.value(), &number)) {
      response->set_value(number);
    }
    response->set_applied(outcome.applied);
    *response->mutable_record() = outcome.record;
    return s;
  }

  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override {
    v1::ChangeOp change;
    if (request->has_expected_version()) {
      change.mutable_delete_()->set_expected_version(request->expected_version());
    } else {
      change.mutable_delete_();
    }
    Outcome outcome;
    grpc::Status s = Change("Delete", context, request->key(), change, &outcome);
    response->set_applied(outcome.applied);
    *response->mutable_record() = outcome.record;
    return s;
  }

 private:
  // Counts the call, applies the injected delay and failure, then the change.
  grpc::Status Change(const std::string& method, grpc::ServerContext* context,
                      const std::string& key, const v1::ChangeOp& change, Outcome* outcome) {
    int64_t delay_ms;
    {
      absl::MutexLock lock(&mu_);
      ++calls_[method];
      delay_ms = delay_ms_;
    }
    const absl::Time until = absl::Now() + absl::Milliseconds(delay_ms);
    while (absl::Now() < until && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    absl::MutexLock lock(&mu_);
    if (fail_count_ > 0) {
      --fail_count_;
      if (fail_code_ == grpc::StatusCode::UNAVAILABLE && fail_marked_) {
        context->AddTrailingMetadata(v1::kNothingWrittenMetadataKey, "1");
      }
      return grpc::Status(fail_code_, absl::StrCat("injected ", method, " failure"));
    }
    if (key.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty key");
    v1::Record& stored = records_[key];
    std::optional<Outcome> result = ApplyChange(stored, change);
    if (!result.has_value()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "change op unset");
    }
    stored = result->record;
    *outcome = *std::move(result);
    return grpc::Status::OK;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, v1::Record> records_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  grpc::StatusCode fail_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
  int fail_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_marked_ ABSL_GUARDED_BY(mu_) = true;
  int64_t delay_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

FakeKvServer::FakeKvServer() : service_(std::make_unique<Service>()) {}

std::unique_ptr<FakeKvServer> FakeKvServer::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  std::unique_ptr<FakeKvServer> fake(new FakeKvServer());
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &fake->port_);
  builder.RegisterService(fake->service_.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || fake->port_ == 0) {
    std::fprintf(stderr, "FakeKvServer: cannot listen on 127.0.0.1\n");
    std::abort();
  }
  fake->target_ = absl::StrCat("127.0.0.1:", fake->port_);
  fake->SetServing(true);
  return fake;
}

FakeKvServer::~FakeKvServer() { Shutdown(); }

void FakeKvServer::FailNext(grpc::StatusCode code, int count, bool marked) {
  service_->FailNext(code, count, marked);
}
void FakeKvServer::SetDelayMs(int64_t delay_ms) { service_->SetDelayMs(delay_ms); }
void FakeKvServer::SetServing(bool serving) {
  server_->GetHealthCheckService()->SetServingStatus(kServiceName, serving);
}
int FakeKvServer::Calls(const std::string& method) const { return service_->Calls(method); }
int FakeKvServer::TotalCalls() const { return service_->TotalCalls(); }
v1::Record FakeKvServer::Stored(const std::string& key) const { return service_->Stored(key); }

void FakeKvServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  server_->Wait();
  server_.reset();
}

}  // namespace gryadka::testing
