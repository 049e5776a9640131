#include "proposer/server/running_membership.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "proposer/core/membership.h"
#include "proposer/server/logging.h"
#include "proposer/server/membership_source.h"

namespace gryadka::server {

RunningMembership::RunningMembership(core::ProposerConfig base,
                                     const std::vector<std::string>& known,
                                     const v1::Membership& initial, std::string source)
    : base_(std::move(base)) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& a : known) IdOf(a);
  current_ = Build(initial, std::move(source));
}

void RunningMembership::SetListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

std::shared_ptr<const AppliedMembership> RunningMembership::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

uint64_t RunningMembership::epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_->membership.epoch();
}

core::AcceptorId RunningMembership::IdOf(const std::string& address) {
  auto [it, inserted] = ids_.emplace(address, static_cast<core::AcceptorId>(addresses_.size()));
  if (inserted) addresses_.push_back(address);
  return it->second;
}

std::shared_ptr<const AppliedMembership> RunningMembership::Build(const v1::Membership& m,
                                                                  std::string source) {
  auto applied = std::make_shared<AppliedMembership>();
  applied->membership = m;
  applied->source = std::move(source);
  applied->config =
      core::ApplyMembership(base_, m, [this](const std::string& a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return IdOf(a);
      });
  for (const std::string& a : core::MembershipAcceptors(m)) applied->members.push_back(IdOf(a));
  std::sort(applied->members.begin(), applied->members.end());
  // Every known address has a slot, so a shard can keep a retiring acceptor by its id.
  applied->config.num_acceptors = static_cast<int>(addresses_.size());
  applied->addresses = addresses_;
  return applied;
}

absl::Status RunningMembership::Adopt(const v1::Membership& m, const std::string& source,
                                      std::optional<uint64_t> expected_epoch) {
  if (absl::Status s = ValidateServerMembership(m); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t running = current_->membership.epoch();
  if (expected_epoch && *expected_epoch != running) {
    return absl::FailedPreconditionError(
        absl::StrCat("expected_epoch ", *expected_epoch, " is not the running epoch ", running,
                     " (", core::DescribeMembership(current_->membership),
                     "); read it again with GetMembership"));
  }
  if (m.epoch() <= running) {
    return absl::FailedPreconditionError(
        absl::StrCat("the new membership's epoch ", m.epoch(),
                     " must be higher than the running epoch ", running));
  }
  size_t fresh = 0;
  for (const std::string& a : core::MembershipAcceptors(m)) fresh += !ids_.contains(a);
  if (addresses_.size() + fresh > kAcceptorAddressesMax) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "this proposer has known ", addresses_.size(), " acceptor addresses; more than ",
        kAcceptorAddressesMax, " need a restart of the proposer"));
  }
  const std::string previous = core::DescribeMembership(current_->membership);
  current_ = Build(m, source);
  Log(LogLevel::kInfo, "membership changed",
      {{"source", source},
       {"epoch", absl::StrCat(m.epoch())},
       {"previous_epoch", absl::StrCat(running)},
       {"membership", core::DescribeMembership(m)},
       {"previous", previous}});
  if (listener_) listener_(current_);
  return absl::OkStatus();
}

}  // namespace gryadka::server
