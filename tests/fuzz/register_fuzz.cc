// Fuzz target: decoding of the stored register (gryadka.internal.StoredRegister) from prepare
// replies, through the real proposer core (proposer/core/proposer.h).
// Input (fuzz_inputs.h, "register"): flags, a request, and the register bytes that acceptor 0
// returns with the highest accepted ballot. The core runs prepare -> apply -> accept against
// scripted replies, then a 1-RTT read.
// Properties: a register that does not parse, or is not one (version 0 with a value), fails the
// request with FAILED_PRECONDITION and nothing is sent; otherwise the accept carries the op
// applied to the stored record (version rules of kv.proto), this proposer's writer mark last and
// only once, at most kWriterMarksMax marks, other marks kept in order; the answer matches the
// accepted record; the next round takes the 1-RTT path with the same register.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "gryadka/internal/register.pb.h"
#include "proposer/core/ops.h"
#include "proposer/core/proposer.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_inputs.h"

namespace gryadka::fuzz {
namespace {

using core::AcceptorReply;
using core::AcceptorRequest;
using core::Ballot;
using internal::StoredRegister;

constexpr uint64_t kProposerId = kRegisterProposerId;
constexpr int64_t kDeadlineMs = 1'000'000;
constexpr int kTicksMax = 100;  // backoff wake-ups to wait for the retry's prepare

class Run {
 public:
  Run() : p_(core::ProposerConfig::Majority(3), kProposerId, /*seed=*/1) {}

  // Returns false when the input is not a valid request (the ops target covers those).
  bool Submit(const v1::ChangeQueryRequest& req, uint64_t id) {
    core::ClientRequest r{id, req.key(), req.change(), req.query(), kDeadlineMs};
    p_.Submit(std::move(r), now_);
    auto done = p_.TakeCompletions();
    return done.empty();
  }

  std::vector<AcceptorRequest> Outbox() { return p_.TakeOutbox(); }
  std::vector<core::Completion> Completions() { return p_.TakeCompletions(); }

  void Reply(const AcceptorRequest& m, AcceptorReply::Status status, Ballot ballot = {},
             std::string value = "") {
    AcceptorReply r;
    r.acceptor = m.acceptor;
    r.msg_id = m.msg_id;
    r.status = status;
    r.ballot = ballot;
    r.value = std::move(value);
    r.error = status == AcceptorReply::Status::kError ? "connection reset" : "";
    p_.OnReply(r, now_);
  }

  // Runs a first attempt against an empty register whose accept reaches nobody's quorum, then
  // waits for the retry's prepares. Returns the counter of the failed accept's ballot (0 if the
  // op did not change the register, so nothing was left unresolved).
  uint64_t FailFirstAccept(std::vector<AcceptorRequest>* prepares) {
    for (int i = 0; i < 2; ++i) Reply((*prepares)[i], AcceptorReply::Status::kOk);
    std::vector<AcceptorRequest> accepts = Outbox();
    if (accepts.empty()) return 0;  // a read answered from a chosen value
    for (const auto& m : accepts) Reply(m, AcceptorReply::Status::kError);
    for (int i = 0; i < kTicksMax; ++i) {
      if (auto t = p_.NextWakeupMs()) now_ = *t;
      p_.Tick(now_);
      std::vector<AcceptorRequest> out = Outbox();
      if (!out.empty()) {
        *prepares = std::move(out);
        return accepts[0].ballot.counter;
      }
    }
    FUZZ_CHECK(false, "a failed round is retried with a prepare");
    return 0;
  }


 private:
  core::Proposer p_;
  int64_t now_ = 0;
};

// What the register is by the definition in register.proto: nullopt when it is not one.
std::optional<StoredRegister> ReferenceDecode(const std::string& bytes) {
  StoredRegister reg;
  if (!reg.ParseFromString(bytes)) return std::nullopt;
  if (reg.version() == 0 && !reg.value().empty()) return std::nullopt;
  std::set<uint64_t> writers;
  for (const auto& w : reg.writers()) {
    if (!writers.insert(w.proposer_id()).second) return std::nullopt;  // one mark per proposer
  }
  return reg;
}

v1::Record Public(const StoredRegister& reg) {
  v1::Record r;
  r.set_value(reg.value());
  r.set_version(reg.version());
  return r;
}

void CheckMarks(const StoredRegister& before, const StoredRegister& after, uint64_t counter) {
  FUZZ_CHECK(after.writers_size() >= 1 && after.writers_size() <= core::kWriterMarksMax,
             "a changed register keeps 1..kWriterMarksMax writer marks");
  const auto& last = after.writers(after.writers_size() - 1);
  FUZZ_CHECK(last.proposer_id() == kProposerId && last.counter() == counter,
             "the changing round's mark is last and names its ballot counter");
  std::vector<std::pair<uint64_t, uint64_t>> others;
  for (const auto& w : before.writers()) {
    if (w.proposer_id() != kProposerId) others.emplace_back(w.proposer_id(), w.counter());
  }
  const size_t kept = after.writers_size() - 1;
  FUZZ_CHECK(kept <= others.size(), "no mark is invented");
  for (size_t i = 0; i < kept; ++i) {
    const auto& w = after.writers(static_cast<int>(i));
    FUZZ_CHECK(w.proposer_id() != kProposerId, "this proposer has exactly one mark");
    const auto& o = others[others.size() - kept + i];
    FUZZ_CHECK(w.proposer_id() == o.first && w.counter() == o.second,
               "the other proposers' newest marks are kept, in order");
  }
}

void CheckAnswer(const v1::ChangeQueryRequest& req, const core::ChangeOutcome& outcome,
                 const v1::Record& record, const core::Completion& c) {
  FUZZ_CHECK(c.status.ok(), "an accepted round answers OK");
  FUZZ_CHECK(c.response.applied() == outcome.applied, "the answer says whether the op applied");
  FUZZ_CHECK(c.response.decline_reason() == outcome.decline_reason, "the answer carries the reason");
  v1::QueryResult expected;
  core::ApplyQuery(req.query(), record, &expected);
  FUZZ_CHECK(c.response.result().SerializeAsString() == expected.SerializeAsString(),
             "the query answers from the accepted record");
}

// The 1-RTT read after a successful round must send the accepted register again.
void CheckOneRttRead(Run& run, const StoredRegister& accepted) {
  v1::ChangeQueryRequest read;
  read.set_key("k");
  read.mutable_change()->mutable_read();
  read.mutable_query()->mutable_record();
  FUZZ_CHECK(run.Submit(read, 2), "a read is a valid request");
  std::vector<AcceptorRequest> out = run.Outbox();
  FUZZ_CHECK(out.size() == 3 && out[0].kind == AcceptorRequest::Kind::kAccept,
             "the next round skips prepare");
  StoredRegister again;
  FUZZ_CHECK(again.ParseFromString(out[0].value) && again.value() == accepted.value() &&
                 again.version() == accepted.version(),
             "the 1-RTT round writes the cached register");
}

void RunOne(const RegisterInput& in) {
  v1::ChangeQueryRequest req;
  if (!req.ParseFromString(in.request)) return;
  req.set_key("k");
  Run run;
  if (!run.Submit(req, 1)) return;
  std::vector<AcceptorRequest> prepares = run.Outbox();
  FUZZ_CHECK(prepares.size() == 3, "a round without a cached promise starts with 3 prepares");
  const uint64_t failed_counter =
      (in.flags & kRegisterFirstAcceptFails) ? run.FailFirstAccept(&prepares) : 0;
  if (!run.Completions().empty() || prepares.empty()) return;  // finished in the first attempt

  const bool zero = in.flags & kRegisterZeroBallots;
  run.Reply(prepares[0], AcceptorReply::Status::kOk, zero ? Ballot{} : Ballot{1, 7}, in.stored);
  run.Reply(prepares[1], AcceptorReply::Status::kOk);
  const std::optional<StoredRegister> current = ReferenceDecode(in.stored);
  std::vector<AcceptorRequest> accepts = run.Outbox();
  std::vector<core::Completion> done = run.Completions();
  if (!current) {
    FUZZ_CHECK(accepts.empty() && done.size() == 1 &&
                   done[0].status.code() == absl::StatusCode::kFailedPrecondition,
               "a stored value that is not a register fails the request, nothing written");
    return;
  }
  FUZZ_CHECK(done.empty() || accepts.empty(), "a round either answers or accepts");
  if (!done.empty()) {
    FUZZ_CHECK(done.size() == 1, "one request, one answer");
    FUZZ_CHECK(done[0].status.ok() ||
                   (failed_counter != 0 && done[0].status.code() == absl::StatusCode::kAborted),
               "a decoded register answers OK (read from a chosen value), or ABORTED when an "
               "earlier attempt's mark may have been pushed out");
    FUZZ_CHECK(!done[0].status.message().empty() || done[0].status.ok(), "an error says why");
    return;
  }
  FUZZ_CHECK(accepts.size() == 3, "a decoded register leads to 3 accepts");
  StoredRegister after;
  FUZZ_CHECK(after.ParseFromString(accepts[0].value), "the accepted value is a register");
  bool resolved = false;
  for (const auto& w : current->writers()) {
    resolved |= failed_counter != 0 && w.proposer_id() == kProposerId && w.counter() == failed_counter;
  }
  v1::Record record = Public(*current);
  core::ChangeOutcome outcome{true, false, ""};
  if (resolved) {
    FUZZ_CHECK(after.SerializeAsString() == current->SerializeAsString(),
               "an earlier attempt found applied is not applied again");
  } else {
    outcome = core::ApplyChange(req.change(), core::Limits{}, &record);
    FUZZ_CHECK(after.value() == record.value() && after.version() == record.version(),
               "the accept carries the op applied to the stored record");
    if (outcome.changed) {
      CheckMarks(*current, after, accepts[0].ballot.counter);
    } else {
      FUZZ_CHECK(after.SerializeAsString() == current->SerializeAsString(),
                 "an unchanged register is written back as it was");
    }
  }
  run.Reply(accepts[0], AcceptorReply::Status::kOk);
  run.Reply(accepts[1], AcceptorReply::Status::kOk);
  done = run.Completions();
  FUZZ_CHECK(done.size() == 1, "an accept quorum answers the request");
  if (resolved) {
    FUZZ_CHECK(done[0].status.ok(), "a resolved retry answers OK");
    return;
  }
  CheckAnswer(req, outcome, record, done[0]);
  CheckOneRttRead(run, after);
}

}  // namespace
}  // namespace gryadka::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gryadka::fuzz::RunOne(
      gryadka::fuzz::DecodeRegister(std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
