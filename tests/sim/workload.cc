#include "tests/sim/workload.h"

#include "absl/strings/str_cat.h"

namespace gryadka::sim {
namespace {

v1::QueryOp RecordQuery() {
  v1::QueryOp q;
  q.mutable_record();
  return q;
}

// Mostly whole records (the rumor check needs them), some versions, a few empty answers.
v1::QueryOp RandomQuery(core::Random& rng) {
  v1::QueryOp q;
  const uint64_t x = rng.Uniform(10);
  if (x < 6) {
    q.mutable_record();
  } else if (x < 9) {
    q.mutable_version();
  } else {
    q.mutable_none();
  }
  return q;
}

class Base : public ClientWorkload {
 protected:
  Base(int client, int keys) : client_(client), keys_(keys) {}
  std::string RandomKey(core::Random& rng) {
    return KeyName(static_cast<int>(rng.Uniform(static_cast<uint64_t>(keys_))));
  }
  std::string UniqueValue() { return absl::StrCat("c", client_, ".", ++written_); }

  const int client_;
  const int keys_;
  uint64_t written_ = 0;
};

// The original Gryadka's homogeneous client: read a key, then compare_and_set it with the
// version it read and a new value; whatever happens, start over with a read.
class CasLoop : public Base {
 public:
  CasLoop(int client, int keys) : Base(client, keys) {}

  OpRequest Next(core::Random& rng) override {
    OpRequest op;
    op.query = RecordQuery();
    if (!have_read_) {
      key_ = RandomKey(rng);
      op.key = key_;
      op.change.mutable_read();
      return op;
    }
    op.key = key_;
    auto* cas = op.change.mutable_compare_and_set();
    cas->set_expected_version(version_);
    cas->set_value(UniqueValue());
    return op;
  }

  void Observe(const OpRequest& op, Outcome outcome,
               const v1::ChangeQueryResponse& response) override {
    if (op.change.has_read()) {
      have_read_ = outcome == Outcome::kOk;
      if (have_read_) version_ = response.result().record().version();
    } else {
      have_read_ = false;
    }
  }

 private:
  bool have_read_ = false;
  std::string key_;
  uint64_t version_ = 0;
};

class Increments : public Base {
 public:
  Increments(int client, int keys) : Base(client, keys) {}
  OpRequest Next(core::Random& rng) override {
    OpRequest op;
    op.key = RandomKey(rng);
    if (rng.Uniform(8) == 0) {
      op.change.mutable_read();
    } else {
      op.change.mutable_increment()->set_delta(rng.Range(1, 3));
    }
    op.query = RandomQuery(rng);
    return op;
  }
  void Observe(const OpRequest&, Outcome, const v1::ChangeQueryResponse&) override {}
};

// Every change op of kv.proto over all keys, with versions taken from what this client saw.
class Mix : public Base {
 public:
  Mix(int client, int keys) : Base(client, keys) {}

  OpRequest Next(core::Random& rng) override {
    OpRequest op;
    op.key = RandomKey(rng);
    op.query = RandomQuery(rng);
    const uint64_t seen = seen_[op.key];
    // A version this client saw, or (sometimes) one a little off, to exercise declines.
    const uint64_t version =
        rng.Uniform(4) == 0 ? static_cast<uint64_t>(rng.Range(0, static_cast<int64_t>(seen) + 1))
                            : seen;
    const uint64_t x = rng.Uniform(100);
    if (x < 20) {
      op.change.mutable_read();
    } else if (x < 35) {
      op.change.mutable_put()->set_value(UniqueValue());
    } else if (x < 43) {
      op.change.mutable_put_if_absent()->set_value(UniqueValue());
    } else if (x < 63) {
      auto* cas = op.change.mutable_compare_and_set();
      cas->set_expected_version(version);
      cas->set_value(UniqueValue());
    } else if (x < 75) {
      op.change.mutable_increment()->set_delta(rng.Range(-2, 5));
    } else if (x < 88) {
      op.change.mutable_append()->set_suffix(absl::StrCat("+", UniqueValue()));
    } else {
      auto* del = op.change.mutable_delete_();
      if (rng.Uniform(2) == 0) del->set_expected_version(version);
    }
    return op;
  }

  void Observe(const OpRequest& op, Outcome outcome,
               const v1::ChangeQueryResponse& response) override {
    if (outcome != Outcome::kOk) return;
    const v1::QueryResult& r = response.result();
    if (r.has_record()) seen_[op.key] = r.record().version();
    if (r.result_case() == v1::QueryResult::kVersion) seen_[op.key] = r.version();
  }

 private:
  std::map<std::string, uint64_t> seen_;
};

}  // namespace

std::string KeyName(int index) { return absl::StrCat("k", index); }

std::unique_ptr<ClientWorkload> MakeWorkload(Workload kind, int client, int keys) {
  switch (kind) {
    case Workload::kCasLoop:
      return std::make_unique<CasLoop>(client, keys);
    case Workload::kIncrement:
      return std::make_unique<Increments>(client, keys);
    case Workload::kMix:
      return std::make_unique<Mix>(client, keys);
  }
  return nullptr;
}

}  // namespace gryadka::sim
