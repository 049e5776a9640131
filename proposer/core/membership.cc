#include "proposer/core/membership.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proposer/core/quorum.h"

namespace gryadka::core {
namespace {

bool SameSet(const v1::QuorumSet& x, const std::vector<std::string>& names) {
  std::set<std::string> a(x.acceptors().begin(), x.acceptors().end());
  std::set<std::string> b(names.begin(), names.end());
  return a == b;
}

v1::QuorumSet MakeSet(const std::vector<std::string>& names, int quorum) {
  v1::QuorumSet s;
  for (const auto& n : names) s.add_acceptors(n);
  s.set_quorum(static_cast<uint32_t>(quorum));
  return s;
}

absl::Status CheckSet(const char* what, const v1::QuorumSet& set) {
  if (set.acceptors().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " set is empty"));
  }
  std::set<std::string> seen;
  for (const auto& a : set.acceptors()) {
    if (a.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " set has an empty address"));
    if (!seen.insert(a).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, " set lists ", a, " twice"));
    }
  }
  if (set.quorum() > static_cast<uint32_t>(set.acceptors_size())) {
    return absl::InvalidArgumentError(absl::StrCat(what, " quorum ", set.quorum(), " must be in 1..",
                                                   set.acceptors_size(), " (0 = majority)"));
  }
  return absl::OkStatus();
}

std::string DescribeSet(const v1::QuorumSet& s) {
  return absl::StrCat(EffectiveQuorum(s), " of [", absl::StrJoin(s.acceptors(), ", "), "]");
}

// The smallest quorum q in [at_least, |names|] such that (prepare, names/q) intersect; 0 if none.
int SmallestIntersectingAcceptQuorum(const v1::QuorumSet& prepare,
                                     const std::vector<std::string>& names, int at_least) {
  for (int q = at_least; q <= static_cast<int>(names.size()); ++q) {
    if (QuorumsIntersect(prepare, MakeSet(names, q))) return q;
  }
  return 0;
}

}  // namespace

int EffectiveQuorum(const v1::QuorumSet& set) {
  if (set.quorum() != 0) return static_cast<int>(set.quorum());
  return set.acceptors_size() / 2 + 1;
}

bool QuorumsIntersect(const v1::QuorumSet& prepare, const v1::QuorumSet& accept) {
  std::set<std::string> p(prepare.acceptors().begin(), prepare.acceptors().end());
  std::set<std::string> a(accept.acceptors().begin(), accept.acceptors().end());
  int shared = 0;
  for (const auto& x : p) shared += a.count(x);
  return QuorumsIntersect(static_cast<int>(p.size()) - shared, EffectiveQuorum(prepare),
                          static_cast<int>(a.size()) - shared, EffectiveQuorum(accept), shared);
}

absl::Status ValidateMembership(const v1::Membership& m) {
  if (auto s = CheckSet("prepare", m.prepare()); !s.ok()) return s;
  if (auto s = CheckSet("accept", m.accept()); !s.ok()) return s;
  if (!QuorumsIntersect(m.prepare(), m.accept())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prepare quorum ", DescribeSet(m.prepare()), " and accept quorum ", DescribeSet(m.accept()),
        " do not always intersect; such a configuration can lose acknowledged writes"));
  }
  if (!m.rescan_from().acceptors().empty()) {
    if (auto s = CheckSet("rescan_from", m.rescan_from()); !s.ok()) return s;
    if (!QuorumsIntersect(m.prepare(), m.rescan_from())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prepare quorum ", DescribeSet(m.prepare()), " does not always intersect the accept "
          "quorum ", DescribeSet(m.rescan_from()), " whose keys are not rescanned yet"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> MembershipAcceptors(const v1::Membership& m) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const v1::QuorumSet* s : {&m.prepare(), &m.accept(), &m.rescan_from()}) {
    for (const auto& a : s->acceptors()) {
      if (seen.insert(a).second) out.push_back(a);
    }
  }
  return out;
}

bool FenceBlocks(const v1::Membership& previous, const std::vector<std::string>& fenced) {
  const std::set<std::string> f(fenced.begin(), fenced.end());
  auto blocked = [&f](const v1::QuorumSet& s) {
    int unfenced = 0;
    for (const auto& a : s.acceptors()) unfenced += f.count(a) == 0;
    return unfenced < EffectiveQuorum(s);
  };
  return blocked(previous.prepare()) && blocked(previous.accept());
}

absl::StatusOr<std::vector<std::string>> RescanSources(const v1::Membership& m,
                                                       const std::vector<std::string>& reachable) {
  const v1::QuorumSet& from = m.rescan_from();
  if (from.acceptors().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no rescan is pending in the running configuration (", DescribeMembership(m), ")"));
  }
  const size_t need = from.acceptors_size() - EffectiveQuorum(from) + 1;
  std::vector<std::string> out;
  for (const auto& r : reachable) {
    if (out.size() == need) break;
    const bool member = std::find(from.acceptors().begin(), from.acceptors().end(), r) !=
                        from.acceptors().end();
    if (member && std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  if (out.size() < need) {
    return absl::UnavailableError(absl::StrCat(
        "a rescan must SCAN ", need, " of [", absl::StrJoin(from.acceptors(), ", "),
        "] to find every key; only ", out.size(), " reachable: [", absl::StrJoin(out, ", "), "]"));
  }
  return out;
}

ProposerConfig ApplyMembership(ProposerConfig base, const v1::Membership& m,
                               const std::function<AcceptorId(const std::string&)>& id_of) {
  int max_id = -1;
  auto ids = [&](const v1::QuorumSet& s) {
    std::vector<AcceptorId> out;
    for (const auto& a : s.acceptors()) {
      out.push_back(id_of(a));
      max_id = std::max(max_id, out.back());
    }
    return out;
  };
  base.prepare_set = ids(m.prepare());
  base.accept_set = ids(m.accept());
  base.prepare_quorum = EffectiveQuorum(m.prepare());
  base.accept_quorum = EffectiveQuorum(m.accept());
  base.num_acceptors = max_id + 1;
  base.epoch = m.epoch();
  return base;
}

v1::Membership MajorityMembership(const std::vector<std::string>& acceptors, uint64_t epoch) {
  v1::Membership m;
  m.set_epoch(epoch);
  const int majority = static_cast<int>(acceptors.size()) / 2 + 1;
  *m.mutable_prepare() = MakeSet(acceptors, majority);
  *m.mutable_accept() = MakeSet(acceptors, majority);
  return m;
}

absl::StatusOr<std::vector<MembershipStep>> PlanMembershipChange(
    const v1::Membership& current, const std::vector<std::string>& target) {
  if (auto s = ValidateMembership(current); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("running configuration: ", s.message()));
  }
  v1::QuorumSet target_set = MakeSet(target, 0);
  if (auto s = CheckSet("target", target_set); !s.ok()) return s;
  const int majority = static_cast<int>(target.size()) / 2 + 1;

  std::vector<MembershipStep> plan;
  v1::Membership m = current;
  auto configure = [&](std::string why) {
    m.set_epoch(m.epoch() + 1);
    plan.push_back({MembershipStep::Kind::kConfigure, m,
                    absl::StrCat(why, " -> ", DescribeMembership(m))});
  };

  // 1. Accept on the target set.
  if (!SameSet(m.accept(), target) && m.rescan_from().acceptors().empty()) {
    const int q = SmallestIntersectingAcceptQuorum(m.prepare(), target, majority);
    if (q == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the target [", absl::StrJoin(target, ", "), "] keeps too few of the prepare set [",
          absl::StrJoin(m.prepare().acceptors(), ", "),
          "]: no accept quorum on it intersects every prepare quorum; change fewer acceptors "
          "at a time"));
    }
    *m.mutable_rescan_from() = m.accept();
    m.mutable_rescan_from()->set_quorum(EffectiveQuorum(m.accept()));
    *m.mutable_accept() = MakeSet(target, q);
    configure("accept on the target set");
  }
  // 2. Rescan what the previous accept set may hold alone.
  if (!m.rescan_from().acceptors().empty()) {
    plan.push_back({MembershipStep::Kind::kRescan, m,
                    absl::StrCat("rescan: rewrite every key found on [",
                                 absl::StrJoin(m.rescan_from().acceptors(), ", "),
                                 "] through accept ", DescribeSet(m.accept()))});
  }
  // 3. Prepare on the target set.
  if (!SameSet(m.prepare(), target) || EffectiveQuorum(m.prepare()) != majority ||
      !m.rescan_from().acceptors().empty()) {
    *m.mutable_prepare() = MakeSet(target, majority);
    m.clear_rescan_from();
    if (!QuorumsIntersect(m.prepare(), m.accept())) {
      // Unreachable with accept on the target at >= majority; kept as a guard.
      return absl::InternalError("planned prepare and accept quorums do not intersect");
    }
    configure("prepare on the target set");
  }
  // 4. Majority accept quorum.
  if (!SameSet(m.accept(), target) || EffectiveQuorum(m.accept()) != majority) {
    *m.mutable_accept() = MakeSet(target, majority);
    configure("majority accept quorum");
  }
  return plan;
}

std::string DescribeMembership(const v1::Membership& m) {
  std::string s = absl::StrCat("epoch ", m.epoch(), ": prepare ", DescribeSet(m.prepare()),
                               ", accept ", DescribeSet(m.accept()));
  if (!m.rescan_from().acceptors().empty()) {
    absl::StrAppend(&s, ", rescan pending from ", DescribeSet(m.rescan_from()));
  }
  return s;
}

}  // namespace gryadka::core
