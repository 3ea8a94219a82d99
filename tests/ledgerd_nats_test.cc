// Two ledgerd processes on one log of record (`--log nats`, a JetStream
// stream on three real nats-server processes; docs/design/replication.md):
// what one writes, the other serves; either may write once its copy is
// caught up, and decides as the other would (complaint numbers); a node
// killed and started again catches up. Waits are for conditions, bounded
// only to fail rather than hang.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/nats_cluster.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::NatsCluster;
using ::ledger::testing::TempDir;

// A ledgerd node and its stubs.
struct Node {
  std::unique_ptr<LedgerdProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ComplaintService::Stub> complaints;
  std::unique_ptr<v1::ReferenceDataService::Stub> reference;
  std::unique_ptr<v1::Ledger::Stub> ledger;

  void Start(const TempDir& dir, const NatsCluster& cluster,
             const std::string& id) {
    std::filesystem::create_directories(dir.Sub(id));
    process = std::make_unique<LedgerdProcess>(
        LEDGERD_PATH, dir.Sub(id), dir.Sub(id + "-data"),
        std::vector<std::string>{
            "--log=nats",
            absl::StrCat("--nats_url=", absl::StrJoin(cluster.urls(), ",")),
            absl::StrCat("--node_id=", id), "--nats_connect_s=90"});
    channel = grpc::CreateChannel(process->target(),
                                  grpc::InsecureChannelCredentials());
    complaints = v1::ComplaintService::NewStub(channel);
    reference = v1::ReferenceDataService::NewStub(channel);
    ledger = v1::Ledger::NewStub(channel);
  }

  v1::GetLogHeadResponse Head() const {
    grpc::ClientContext context;
    v1::GetLogHeadResponse head;
    EXPECT_TRUE(ledger->GetLogHead(&context, {}, &head).ok());
    return head;
  }

  // Until this node's copy holds the other's log (its head, hash and all).
  bool CatchUp(const Node& other) const {
    const v1::GetLogHeadResponse target = other.Head();
    for (int i = 0; i < 1200; ++i) {
      const v1::GetLogHeadResponse head = Head();
      if (head.position_last() >= target.position_last()) {
        return head.position_last() == target.position_last() &&
               head.hash_last() == target.hash_last();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  absl::StatusOr<v1::CommandResult> Register(const std::string& id,
                                             v1::Role role) const {
    v1::RegisterAgent agent;
    agent.mutable_context()->set_actor_agent_id("h1");
    agent.mutable_agent()->set_agent_id(id);
    agent.mutable_agent()->set_display_name(id);
    agent.mutable_agent()->add_roles(role);
    agent.mutable_agent()->set_active(true);
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = reference->RegisterAgent(&context, agent, &result);
    if (!s.ok()) return absl::UnknownError(s.error_message());
    return result;
  }

  std::string Receive(int i) const {
    v1::ReceiveComplaint intake;
    intake.mutable_context()->set_actor_agent_id("a17");
    intake.mutable_context()->set_command_id(absl::StrCat("intake-", i));
    intake.set_channel(v1::CHANNEL_PHONE);
    intake.mutable_customer()->set_phone(absl::StrCat("1380000", 1000 + i));
    intake.set_content("complaint");
    intake.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
    intake.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = complaints->ReceiveComplaint(&context, intake, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return result.state().complaint_id();
  }

  std::string Complaint(const std::string& id) const {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    grpc::ClientContext context;
    v1::ComplaintView view;
    grpc::Status s = complaints->GetComplaint(&context, request, &view);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
    return view.SerializeAsString();
  }
};

TEST(LedgerdNatsTest, TwoNodesServeOneLog) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  Node a, b;
  a.Start(dir, cluster, "a");
  b.Start(dir, cluster, "b");
  ASSERT_FALSE(a.process->target().empty());
  ASSERT_FALSE(b.process->target().empty());

  for (const auto& [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                                 std::pair{"a17", v1::ROLE_AGENT}}) {
    ASSERT_TRUE(a.Register(id, role).ok());
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(a.Receive(i));
  ASSERT_TRUE(b.CatchUp(a));
  for (const std::string& id : ids) EXPECT_EQ(b.Complaint(id), a.Complaint(id));

  // b writes now: it numbers as a did (it followed a's intakes), with the
  // agents a registered.
  const std::string from_b = b.Receive(5);
  EXPECT_EQ(from_b.substr(5), "000006") << from_b;
  ASSERT_TRUE(a.CatchUp(b));
  EXPECT_EQ(a.Complaint(from_b), b.Complaint(from_b));
  // A retry of a's first intake on b gets a's result.
  EXPECT_EQ(b.Receive(0), ids[0]);

  // b dies; a goes on; b, started again on its copy, catches up.
  b.process->Kill();
  ids.push_back(a.Receive(6));
  b.Start(dir, cluster, "b");
  ASSERT_FALSE(b.process->target().empty());
  ASSERT_TRUE(b.CatchUp(a));
  EXPECT_EQ(b.Complaint(ids.back()), a.Complaint(ids.back()));
}

}  // namespace
}  // namespace ledger
