// The two automatic feeds of a proposer's running membership (docs/membership.md), besides
// Admin.SetMembership:
//   - MembershipFilePoller: re-reads --membership_file every --membership_file_poll_ms and adopts
//     a valid file with a higher epoch ("file PATH"). The same epoch with other content, a lower
//     epoch or an invalid file is logged (rate-limited) and ignored: the running one is kept.
//   - AdoptFenceNotice: an acceptor refused a round of an older epoch and returned the membership
//     stored with its fence; a valid one with a higher epoch is adopted ("acceptor ADDRESS"),
//     anything else is logged (rate-limited). Only the operator raises an acceptor's epoch, so
//     adopting what it holds is safe.
//
// Thread-safety: AdoptFenceNotice is thread-safe (called from shard threads). The poller owns
// one thread, stopped by its destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "proposer/core/proposer.h"
#include "proposer/server/membership_source.h"
#include "proposer/server/running_membership.h"

namespace gryadka::server {

// Period of the rate-limited "ignored" logs of both feeds.
inline constexpr int64_t kMembershipIgnoredLogPeriodMs = 10000;

void AdoptFenceNotice(RunningMembership* membership, const core::FenceNotice& notice,
                      const std::string& acceptor_address);

class MembershipFilePoller {
 public:
  // Starts polling at once (the first poll only records the content already running).
  // `file` has been read at start: its content is the running membership's.
  MembershipFilePoller(MembershipFile file, int64_t poll_ms, RunningMembership* membership);
  ~MembershipFilePoller();
  MembershipFilePoller(const MembershipFilePoller&) = delete;
  MembershipFilePoller& operator=(const MembershipFilePoller&) = delete;

  // One poll (what the thread does every poll_ms); public for tests.
  static void PollAndAdopt(MembershipFile& file, RunningMembership* membership);

 private:
  void Loop();

  MembershipFile file_;
  const int64_t poll_ms_;
  RunningMembership* const membership_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gryadka::server
