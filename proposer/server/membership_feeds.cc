#include "proposer/server/membership_feeds.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "proposer/core/membership.h"
#include "proposer/server/logging.h"

namespace gryadka::server {
namespace {

LogLimiter& FenceLogLimiter() {
  static LogLimiter limiter(kMembershipIgnoredLogPeriodMs);
  return limiter;
}

LogLimiter& FileLogLimiter() {
  static LogLimiter limiter(kMembershipIgnoredLogPeriodMs);
  return limiter;
}

}  // namespace

void AdoptFenceNotice(RunningMembership* membership, const core::FenceNotice& notice,
                      const std::string& acceptor_address) {
  const std::string source = absl::StrCat("acceptor ", acceptor_address);
  v1::Membership m;
  absl::Status s;
  if (!m.ParseFromString(notice.config)) {
    s = absl::InvalidArgumentError("its stored configuration is not a gryadka.v1.Membership");
  } else if (m.epoch() != notice.epoch) {
    s = absl::InvalidArgumentError(absl::StrCat("its stored configuration has epoch ", m.epoch(),
                                                " but its fence epoch is ", notice.epoch));
  } else {
    s = membership->Adopt(m, source);
  }
  if (s.ok()) return;
  if (FenceLogLimiter().Allow()) {
    Log(LogLevel::kWarning, "fenced by an acceptor; its membership is not adopted",
        {{"source", source},
         {"fence_epoch", absl::StrCat(notice.epoch)},
         {"running_epoch", absl::StrCat(membership->epoch())},
         {"error", std::string(s.message())}});
  }
}

MembershipFilePoller::MembershipFilePoller(MembershipFile file, int64_t poll_ms,
                                           RunningMembership* membership)
    : file_(std::move(file)), poll_ms_(poll_ms), membership_(membership),
      thread_([this] { Loop(); }) {}

MembershipFilePoller::~MembershipFilePoller() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MembershipFilePoller::PollAndAdopt(MembershipFile& file, RunningMembership* membership) {
  MembershipFile::Poll poll = file.PollOnce();
  if (!poll.changed) return;
  absl::Status s = poll.membership.status();
  if (poll.membership.ok()) {
    if (poll.membership->epoch() == membership->epoch() &&
        poll.membership->SerializeAsString() ==
            membership->Current()->membership.SerializeAsString()) {
      return;  // the running membership (e.g. adopted from another source first)
    }
    s = membership->Adopt(*poll.membership, absl::StrCat("file ", file.path()));
  }
  if (s.ok()) return;
  if (FileLogLimiter().Allow()) {
    Log(LogLevel::kWarning, "membership file ignored; the running membership is kept",
        {{"file", file.path()},
         {"running_epoch", absl::StrCat(membership->epoch())},
         {"error", std::string(s.message())}});
  }
}

void MembershipFilePoller::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    PollAndAdopt(file_, membership_);
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [this] { return stop_; });
  }
}

}  // namespace gryadka::server
