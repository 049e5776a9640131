// Server reflection works the way grpcurl uses it: `grpcurl list` and `grpcurl describe` of the
// KV service and of the health service (whose descriptors gRPC does not register by itself).
#include <grpcpp/grpcpp.h>

#include <set>

#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace gryadka::integration {
namespace {

namespace refl = grpc::reflection::v1alpha;

class ReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Cluster::Start();
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    stub_ = refl::ServerReflection::NewStub(
        grpc::CreateChannel(cluster_->target(0), grpc::InsecureChannelCredentials()));
  }

  refl::ServerReflectionResponse Ask(const refl::ServerReflectionRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub_->ServerReflectionInfo(&ctx);
    EXPECT_TRUE(stream->Write(req));
    stream->WritesDone();
    refl::ServerReflectionResponse resp;
    EXPECT_TRUE(stream->Read(&resp));
    EXPECT_TRUE(stream->Finish().ok());
    return resp;
  }

  // The names of the services the descriptor files for `symbol` define.
  std::set<std::string> DescribedServices(const std::string& symbol) {
    refl::ServerReflectionRequest req;
    req.set_file_containing_symbol(symbol);
    refl::ServerReflectionResponse resp = Ask(req);
    EXPECT_FALSE(resp.has_error_response())
        << symbol << ": " << resp.error_response().error_message();
    std::set<std::string> services;
    for (const std::string& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      for (const auto& s : file.service()) services.insert(file.package() + "." + s.name());
    }
    return services;
  }

  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<refl::ServerReflection::Stub> stub_;
};

TEST_F(ReflectionTest, ListsTheKvAdminAndHealthServices) {
  refl::ServerReflectionRequest req;
  req.set_list_services("");
  refl::ServerReflectionResponse resp = Ask(req);
  std::set<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.insert(s.name());
  EXPECT_TRUE(names.count("gryadka.v1.KV"));
  EXPECT_TRUE(names.count("gryadka.v1.Admin"));
  EXPECT_TRUE(names.count("grpc.health.v1.Health"));
}

TEST_F(ReflectionTest, DescribesTheAdminServiceWithGetMembership) {
  EXPECT_TRUE(DescribedServices("gryadka.v1.Admin").count("gryadka.v1.Admin"));
  EXPECT_TRUE(DescribedServices("gryadka.v1.Admin.GetMembership").count("gryadka.v1.Admin"));
}

TEST_F(ReflectionTest, DescribesTheKvService) {
  EXPECT_TRUE(DescribedServices("gryadka.v1.KV").count("gryadka.v1.KV"));
}

TEST_F(ReflectionTest, DescribesTheHealthService) {
  EXPECT_TRUE(DescribedServices("grpc.health.v1.Health").count("grpc.health.v1.Health"));
}

}  // namespace
}  // namespace gryadka::integration
