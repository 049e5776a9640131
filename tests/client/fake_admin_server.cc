#include "tests/client/fake_admin_server.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gryadka::testing {

class FakeAdminServer::Service final : public v1::Admin::Service {
 public:
  Service(v1::Membership m, FakeFences* fences, uint64_t id)
      : fences_(fences), id_(id), m_(std::move(m)) {}

  grpc::Status GetMembership(grpc::ServerContext*, const v1::GetMembershipRequest*,
                             v1::GetMembershipResponse* out) override {
    absl::MutexLock lock(&mu_);
    *out->mutable_membership() = m_;
    out->set_proposer_id(id_);
    out->set_source(source_);
    return grpc::Status::OK;
  }

  grpc::Status SetMembership(grpc::ServerContext*, const v1::SetMembershipRequest* req,
                             v1::SetMembershipResponse* out) override {
    absl::MutexLock lock(&mu_);
    if (req->expected_epoch() != m_.epoch()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("running epoch is ", m_.epoch()));
    }
    m_ = req->membership();
    source_ = "admin";
    *out->mutable_membership() = m_;
    return grpc::Status::OK;
  }

  grpc::Status FenceAcceptors(grpc::ServerContext*, const v1::FenceAcceptorsRequest* req,
                              v1::FenceAcceptorsResponse* out) override {
    std::vector<std::string> all;
    for (const auto* set : {&req->membership().prepare(), &req->membership().accept()}) {
      all.insert(all.end(), set->acceptors().begin(), set->acceptors().end());
    }
    all.insert(all.end(), req->also().begin(), req->also().end());
    absl::MutexLock lock(&fences_->mu);
    std::map<std::string, bool> done;
    for (const std::string& a : all) {
      if (done[a]) continue;
      done[a] = true;
      uint64_t& e = fences_->min_epoch[a];
      e = std::max(e, req->membership().epoch());
      v1::AcceptorFence* f = out->add_acceptors();
      f->set_acceptor(a);
      f->set_ok(true);
      f->set_min_epoch(e);
    }
    return grpc::Status::OK;
  }

  grpc::Status Rescan(grpc::ServerContext*, const v1::RescanRequest* req,
                      grpc::ServerWriter<v1::RescanProgress>* writer) override {
    bool break_it = false;
    {
      absl::MutexLock lock(&mu_);
      cursors_.push_back(req->cursor());
      if (req->expected_epoch() != 0 && req->expected_epoch() != m_.epoch()) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "another epoch");
      }
      break_it = break_next_rescan_;
      break_next_rescan_ = false;
    }
    v1::RescanProgress p;
    p.set_keys_scanned(5);
    p.set_keys_rewritten(1);
    p.set_acceptors_total(2);
    p.set_acceptors_done(1);
    p.set_cursor(req->cursor() + "c");
    p.set_keys_per_second(req->keys_per_second());
    writer->Write(p);
    if (break_it) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream broken on purpose");
    p.set_acceptors_done(2);
    p.set_done(true);
    writer->Write(p);
    return grpc::Status::OK;
  }

  v1::Membership membership() const {
    absl::MutexLock lock(&mu_);
    return m_;
  }
  void BreakNextRescan() {
    absl::MutexLock lock(&mu_);
    break_next_rescan_ = true;
  }
  std::string RescanCursors() const {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(cursors_, ",");
  }

 private:
  FakeFences* const fences_;
  const uint64_t id_;
  mutable absl::Mutex mu_;
  v1::Membership m_ ABSL_GUARDED_BY(mu_);
  std::string source_ ABSL_GUARDED_BY(mu_) = "flags";
  bool break_next_rescan_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> cursors_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<FakeAdminServer> FakeAdminServer::Start(const v1::Membership& membership,
                                                        FakeFences* fences, uint64_t proposer_id) {
  std::unique_ptr<FakeAdminServer> fake(new FakeAdminServer());
  fake->service_ = std::make_unique<Service>(membership, fences, proposer_id);
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(fake->service_.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || port == 0) {
    std::fprintf(stderr, "FakeAdminServer: cannot listen on 127.0.0.1\n");
    std::abort();
  }
  fake->target_ = absl::StrCat("127.0.0.1:", port);
  return fake;
}

FakeAdminServer::~FakeAdminServer() { Shutdown(); }

v1::Membership FakeAdminServer::membership() const { return service_->membership(); }
void FakeAdminServer::BreakNextRescan() { service_->BreakNextRescan(); }
std::string FakeAdminServer::RescanCursors() const { return service_->RescanCursors(); }

void FakeAdminServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  server_->Wait();
  server_.reset();
}

}  // namespace gryadka::testing
