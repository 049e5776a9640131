#include "proposer/server/admin_service.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "acceptor_adapter/redis_admin.h"
#include "proposer/core/membership.h"
#include "proposer/server/membership_source.h"
#include "proposer/server/rescan.h"
#include "proposer/server/status.h"

namespace gryadka::server {
namespace {

v1::AcceptorFence FenceOne(const std::string& address, uint64_t epoch, const std::string& config,
                           const ServerOptions& options) {
  v1::AcceptorFence out;
  out.set_acceptor(address);
  absl::StatusOr<HostPort> hp = AcceptorHostPort(address);
  if (!hp.ok()) {
    out.set_error(std::string(hp.status().message()));
    return out;
  }
  auto conn = acceptor::RedisAdminConnection::Connect(hp->host, hp->port,
                                                      options.admin_redis_timeout_ms,
                                                      options.redis_prefix,
                                                      options.redis_credentials);
  if (!conn.ok()) {
    out.set_error(std::string(conn.status().message()));
    return out;
  }
  absl::StatusOr<acceptor::FenceState> state = (*conn)->Fence(epoch, config);
  if (!state.ok()) {
    out.set_error(std::string(state.status().message()));
    return out;
  }
  out.set_ok(true);
  out.set_min_epoch(state->min_epoch);
  return out;
}

}  // namespace

AdminService::AdminService(const ServerOptions& options,
                           const std::vector<std::unique_ptr<Shard>>& shards,
                           RunningMembership* membership, Metrics* metrics)
    : options_(options), shards_(shards), membership_(membership), metrics_(metrics) {}

grpc::Status AdminService::GetMembership(grpc::ServerContext*, const v1::GetMembershipRequest*,
                                         v1::GetMembershipResponse* resp) {
  std::shared_ptr<const AppliedMembership> m = membership_->Current();
  uint64_t older = 0;
  for (const auto& s : shards_) {
    Shard::Snapshot snap = s->TakeSnapshot();
    older += snap.rounds_in_older_epochs;
    if (snap.epoch < m->membership.epoch()) ++older;  // not switched yet
  }
  *resp->mutable_membership() = m->membership;
  resp->set_rounds_in_older_epochs(older);
  resp->set_proposer_id(shards_.empty() ? 0 : shards_[0]->ballot_proposer_id());
  resp->set_source(m->source);
  return grpc::Status::OK;
}

grpc::Status AdminService::SetMembership(grpc::ServerContext*, const v1::SetMembershipRequest* req,
                                         v1::SetMembershipResponse* resp) {
  absl::Status s = membership_->Adopt(req->membership(), "admin", req->expected_epoch());
  if (!s.ok()) return ToGrpcStatus(s);
  *resp->mutable_membership() = membership_->Current()->membership;
  return grpc::Status::OK;
}

grpc::Status AdminService::FenceAcceptors(grpc::ServerContext*,
                                          const v1::FenceAcceptorsRequest* req,
                                          v1::FenceAcceptorsResponse* resp) {
  const v1::Membership& m = req->membership();
  if (m.epoch() == 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "membership.epoch must be > 0: epoch 0 is the configuration before any change"));
  }
  if (absl::Status s = ValidateServerMembership(m); !s.ok()) return ToGrpcStatus(s);
  std::vector<std::string> targets = core::MembershipAcceptors(m);
  for (const std::string& a : req->also()) {
    if (auto hp = AcceptorHostPort(a); !hp.ok()) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("also: ", hp.status().message())));
    }
    if (std::find(targets.begin(), targets.end(), a) == targets.end()) targets.push_back(a);
  }
  if (targets.size() > kFenceAcceptorsMax) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "at most ", kFenceAcceptorsMax, " acceptors per call; got ", targets.size())));
  }
  const std::string config = m.SerializeAsString();
  std::vector<v1::AcceptorFence> results(targets.size());
  std::vector<std::thread> threads;
  threads.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = FenceOne(targets[i], m.epoch(), config, options_); });
  }
  for (std::thread& t : threads) t.join();
  for (v1::AcceptorFence& r : results) *resp->add_acceptors() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status AdminService::Rescan(grpc::ServerContext* ctx, const v1::RescanRequest* req,
                                  grpc::ServerWriter<v1::RescanProgress>* writer) {
  RescanDeps deps;
  deps.options = &options_;
  deps.shards = &shards_;
  deps.membership = membership_;
  deps.metrics = metrics_;
  deps.write = [writer](const v1::RescanProgress& p) { return writer->Write(p); };
  deps.cancelled = [ctx] { return ctx->IsCancelled(); };
  return ToGrpcStatus(RunRescan(*req, deps));
}

}  // namespace gryadka::server
