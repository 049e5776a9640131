#include "tests/sim/network.h"

#include "gryadka/internal/register.pb.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gryadka::sim {
namespace {

// The stored register, decoded for the event log: {"value" v<version> w=<writer marks>}.
std::string DescribeValue(const std::string& bytes) {
  if (bytes.empty()) return "{}";
  internal::StoredRegister reg;
  if (!reg.ParseFromString(bytes)) return "{unparsable}";
  std::string writers;
  for (const internal::WriterMark& w : reg.writers()) {
    absl::StrAppendFormat(&writers, "%x@%x,", w.proposer_id() >> 48, w.counter());
  }
  return absl::StrFormat("{\"%s\" v%d w=%s}", absl::CEscape(reg.value()), reg.version(),
                         writers);
}

const char* ReplyStatusName(core::AcceptorReply::Status s) {
  switch (s) {
    case core::AcceptorReply::Status::kOk:
      return "ok";
    case core::AcceptorReply::Status::kConflict:
      return "conflict";
    case core::AcceptorReply::Status::kError:
      return "error";
    case core::AcceptorReply::Status::kInvalidState:
      return "invalid-state";
    case core::AcceptorReply::Status::kFenced:
      return "fenced";
  }
  return "?";
}

}  // namespace

std::string AddrName(ProposerAddr a) { return absl::StrCat("p", a.slot, ".", a.incarnation); }

std::string DescribeRequest(const core::AcceptorRequest& r) {
  // The epoch only once a membership change raised it (older event logs stay as they were).
  const std::string epoch = r.epoch > 0 ? absl::StrCat(" e=", r.epoch) : "";
  if (r.kind == core::AcceptorRequest::Kind::kPrepare) {
    return absl::StrFormat("prepare m%d %s b=%s%s", r.msg_id, r.key, r.ballot.DebugString(), epoch);
  }
  return absl::StrFormat("accept m%d %s b=%s next=%s %s%s", r.msg_id, r.key,
                         r.ballot.DebugString(), r.next.DebugString(), DescribeValue(r.value),
                         epoch);
}

std::string DescribeReply(const core::AcceptorReply& r) {
  std::string s = absl::StrFormat("%s m%d b=%s", ReplyStatusName(r.status), r.msg_id,
                                  r.ballot.DebugString());
  if (!r.value.empty()) absl::StrAppend(&s, " ", DescribeValue(r.value));
  if (!r.error.empty()) absl::StrAppend(&s, " (", r.error, ")");
  if (r.status == core::AcceptorReply::Status::kFenced) absl::StrAppend(&s, " e>=", r.fence_epoch);
  return s;
}

Network::Network(EventLoop* loop, EventLog* log, uint64_t seed, const NetworkParams& params,
                 int proposers, int acceptors, NetworkSink* sink)
    : loop_(loop),
      log_(log),
      rng_(seed),
      params_(params),
      proposers_(proposers),
      acceptors_(acceptors),
      sink_(sink),
      cut_requests_(static_cast<size_t>(proposers * acceptors), false),
      cut_replies_(static_cast<size_t>(proposers * acceptors), false),
      disconnected_(static_cast<size_t>(proposers * acceptors), false) {}

int64_t Network::SampleDelayUs() {
  if (params_.tail_p > 0 && rng_.Chance(params_.tail_p)) {
    // Pareto(x_m = delay_max_us, shape 1.1): most tails are short, a few are very long.
    const double u = 1.0 - rng_.Unit();  // (0, 1]
    const double d = static_cast<double>(params_.delay_max_us) * std::pow(u, -1.0 / 1.1);
    return std::min<int64_t>(params_.tail_max_us, static_cast<int64_t>(d));
  }
  return rng_.Range(params_.delay_min_us, params_.delay_max_us);
}

void Network::SendRequest(ProposerAddr from, const core::AcceptorRequest& request) {
  const int a = request.acceptor;
  if (disconnected_[from.slot * acceptors_ + a]) {
    ReportNotSent(from, request, "not connected");
    return;
  }
  if (params_.not_sent_p > 0 && rng_.Chance(params_.not_sent_p)) {
    ReportNotSent(from, request, "too many requests in flight");
    return;
  }
  ++sent_;
  const bool accept = request.kind == core::AcceptorRequest::Kind::kAccept;
  const int copies = 1 + (params_.dup_p > 0 && rng_.Chance(params_.dup_p) ? 1 : 0);
  int delivered = 0;
  for (int i = 0; i < copies; ++i) {
    const bool lost = (params_.loss_p > 0 && rng_.Chance(params_.loss_p)) ||
                      (accept && params_.accept_loss_p > 0 && rng_.Chance(params_.accept_loss_p));
    if (lost || RequestCut(from.slot, a)) {
      log_->Add(loop_->now_us(), absl::StrCat("send ", AddrName(from), ">a", a, " ",
                                              DescribeRequest(request),
                                              lost ? " LOST" : " CUT"));
      continue;
    }
    ++delivered;
    const int64_t delay = SampleDelayUs();
    log_->Add(loop_->now_us(), absl::StrCat("send ", AddrName(from), ">a", a, " ",
                                            DescribeRequest(request), " +", delay, "us",
                                            i > 0 ? " DUP" : ""));
    const bool duplicated = copies > 1;
    const uint64_t epoch = sink_->AcceptorEpoch(a);
    loop_->After(delay, [this, from, request, duplicated, epoch] {
      if (sink_->AcceptorEpoch(request.acceptor) != epoch) {
        ++lost_;
        log_->Add(loop_->now_us(), absl::StrCat("drop ", AddrName(from), ">a", request.acceptor,
                                                " m", request.msg_id,
                                                " connection broken by a crash"));
        RequestFailed(from, request, "connection reset", /*maybe_applied=*/duplicated);
        return;
      }
      if (RequestCut(from.slot, request.acceptor)) {
        ++lost_;
        log_->Add(loop_->now_us(), absl::StrCat("drop ", AddrName(from), ">a", request.acceptor,
                                                " m", request.msg_id, " CUT on arrival"));
        return;
      }
      sink_->DeliverRequest(from, request, duplicated);
    });
  }
  if (delivered == 0) {
    ++lost_;
    RequestFailed(from, request, "request lost", /*maybe_applied=*/false);
  }
}

void Network::SendReply(ProposerAddr to, const core::AcceptorReply& reply) {
  ++sent_;
  const int a = reply.acceptor;
  const int copies = 1 + (params_.dup_p > 0 && rng_.Chance(params_.dup_p) ? 1 : 0);
  int delivered = 0;
  for (int i = 0; i < copies; ++i) {
    const bool lost = params_.reply_loss_p > 0 && rng_.Chance(params_.reply_loss_p);
    if (lost || ReplyCut(to.slot, a)) {
      log_->Add(loop_->now_us(), absl::StrCat("reply a", a, ">", AddrName(to), " ",
                                              DescribeReply(reply), lost ? " LOST" : " CUT"));
      continue;
    }
    ++delivered;
    const int64_t delay = SampleDelayUs();
    log_->Add(loop_->now_us(), absl::StrCat("reply a", a, ">", AddrName(to), " ",
                                            DescribeReply(reply), " +", delay, "us",
                                            i > 0 ? " DUP" : ""));
    const uint64_t epoch = sink_->AcceptorEpoch(a);
    loop_->After(delay, [this, to, reply, epoch] {
      if (sink_->AcceptorEpoch(reply.acceptor) != epoch) {
        ++lost_;
        log_->Add(loop_->now_us(), absl::StrCat("drop a", reply.acceptor, ">", AddrName(to), " m",
                                                reply.msg_id, " connection broken by a crash"));
        return;
      }
      if (ReplyCut(to.slot, reply.acceptor)) {
        ++lost_;
        log_->Add(loop_->now_us(), absl::StrCat("drop a", reply.acceptor, ">", AddrName(to), " m",
                                                reply.msg_id, " CUT on arrival"));
        return;
      }
      sink_->DeliverReply(to, reply);
    });
  }
  if (delivered == 0) {
    ++lost_;
    // The acceptor applied the request, the proposer may hear only "connection broken".
    core::AcceptorRequest stub;
    stub.acceptor = a;
    stub.msg_id = reply.msg_id;
    RequestFailed(to, stub, "reply lost", /*maybe_applied=*/true);
  }
}

void Network::RequestFailed(ProposerAddr from, const core::AcceptorRequest& request,
                            const char* why, bool maybe_applied) {
  if (params_.error_reply_p > 0 && rng_.Chance(params_.error_reply_p)) {
    ReportError(from, request, why, maybe_applied);
  }
}

void Network::ReportNotSent(ProposerAddr from, const core::AcceptorRequest& request,
                            const char* why) {
  ++not_sent_;
  core::AcceptorReply r;
  r.acceptor = request.acceptor;
  r.msg_id = request.msg_id;
  r.status = core::AcceptorReply::Status::kError;
  r.error = absl::StrCat("acceptor ", request.acceptor, ": ", why, " (not sent)");
  r.maybe_applied = false;
  log_->Add(loop_->now_us(), absl::StrCat("send ", AddrName(from), ">a", request.acceptor, " ",
                                          DescribeRequest(request), " NOT SENT (", why, ")"));
  // As RedisAcceptor::Defer: answered on the proposer's next loop turn, never from inside Send.
  loop_->After(0, [this, from, r] { sink_->DeliverReply(from, r); });
}

void Network::ReportError(ProposerAddr to, const core::AcceptorRequest& request,
                          const std::string& why, bool maybe_applied) {
  core::AcceptorReply r;
  r.acceptor = request.acceptor;
  r.msg_id = request.msg_id;
  r.status = core::AcceptorReply::Status::kError;
  r.error = absl::StrCat("acceptor ", request.acceptor, ": connection error (", why, ")");
  r.maybe_applied = maybe_applied;
  // The proposer's side of the connection notices; no partition stands in the way.
  const int64_t delay = rng_.Range(params_.delay_min_us, 4 * params_.delay_max_us);
  log_->Add(loop_->now_us(),
            absl::StrCat("error a", request.acceptor, ">", AddrName(to), " m", request.msg_id,
                         " (", why, maybe_applied ? "" : ", not applied", ") +", delay, "us"));
  loop_->After(delay, [this, to, r] { sink_->DeliverReply(to, r); });
}

void Network::Cut(int proposer, int acceptor, bool requests, bool replies) {
  if (requests) cut_requests_[proposer * acceptors_ + acceptor] = true;
  if (replies) cut_replies_[proposer * acceptors_ + acceptor] = true;
}

void Network::SetDisconnected(int proposer, int acceptor, bool down) {
  disconnected_[proposer * acceptors_ + acceptor] = down;
}

void Network::ClearPartitions() {
  std::fill(cut_requests_.begin(), cut_requests_.end(), false);
  std::fill(cut_replies_.begin(), cut_replies_.end(), false);
}

std::string Network::DescribePartitions() const {
  std::vector<std::string> cuts;
  for (int p = 0; p < proposers_; ++p) {
    for (int a = 0; a < acceptors_; ++a) {
      if (RequestCut(p, a)) cuts.push_back(absl::StrCat("p", p, ">a", a));
      if (ReplyCut(p, a)) cuts.push_back(absl::StrCat("a", a, ">p", p));
    }
  }
  return cuts.empty() ? "none" : absl::StrJoin(cuts, " ");
}

void Network::Heal() {
  ClearPartitions();
  params_.loss_p = 0;
  params_.reply_loss_p = 0;
  params_.accept_loss_p = 0;
  params_.dup_p = 0;
  params_.tail_p = 0;
  params_.error_reply_p = 0;
  params_.not_sent_p = 0;
  std::fill(disconnected_.begin(), disconnected_.end(), false);
}

}  // namespace gryadka::sim
