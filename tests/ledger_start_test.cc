// A ledger serves commands before its projections have loaded their views:
// a restart of a large ledger takes complaints at once, and a query that
// comes meanwhile waits for the views (it is never answered from half of
// them), as QueryService's health says.
#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "services/ledger_server.h"
#include "tests/test_util.h"
#include "third_party/grpc/health/v1/health.grpc.pb.h"

namespace ledger::testing {
namespace {

class LedgerStartTest : public ::testing::Test {
 protected:
  // A ledger whose projections wait for `release_` before they load.
  void Start() {
    LedgerServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_.path();
    options.security.no_auth = true;
    options.while_projections_load = [this] {
      loading_.Notify();
      release_.WaitForNotification();
    };
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    server_.reset();
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& service) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(grpc::health::v1::Health::NewStub(channel_)
                    ->Check(&context, request, &response)
                    .ok());
    return response.status();
  }

  TempDir dir_;
  absl::Notification loading_;
  absl::Notification release_;
  std::unique_ptr<LedgerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(LedgerStartTest, CommandsAreServedWhileTheViewsLoadAndQueriesWait) {
  Start();
  loading_.WaitForNotification();
  auto complaints = v1::ComplaintService::NewStub(channel_);
  auto reference = v1::ReferenceDataService::NewStub(channel_);
  auto registered = [&](const std::string& id, v1::Role role) {
    grpc::ClientContext context;
    v1::RegisterAgent agent = build::Agent(id, {role});
    agent.mutable_context()->set_actor_agent_id("h1");
    v1::CommandResult result;
    return reference->RegisterAgent(&context, agent, &result);
  };
  // The views are held: commands are answered all the same.
  ASSERT_TRUE(registered("h1", v1::ROLE_CENTRE_HEAD).ok());
  ASSERT_TRUE(registered("a17", v1::ROLE_AGENT).ok());
  v1::CommandResult received;
  {
    grpc::ClientContext context;
    v1::ReceiveComplaint intake = build::ComplaintIntake();
    intake.mutable_context()->set_actor_agent_id("a17");
    const grpc::Status s =
        complaints->ReceiveComplaint(&context, intake, &received);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("ledger.v1.QueryService"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  // A query now waits for the views rather than answering from none.
  auto queries = v1::QueryService::NewStub(channel_);
  grpc::ClientContext query_context;
  v1::GetQueueRequest request;
  request.set_kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  request.set_owner_agent_id("a17");
  v1::GetQueueResponse response;
  absl::Notification answered;
  grpc::Status query_status;
  queries->async()->GetQueue(&query_context, &request, &response,
                             [&](grpc::Status s) {
                               query_status = std::move(s);
                               answered.Notify();
                             });
  EXPECT_FALSE(answered.WaitForNotificationWithTimeout(absl::Seconds(1)))
      << "a query was answered before the views had loaded";

  release_.Notify();
  answered.WaitForNotification();
  ASSERT_TRUE(query_status.ok()) << query_status.error_message();
  ASSERT_TRUE(server_->WaitForProjections().ok());
  // Once the views have followed the log to the intake, it is in the queue.
  ASSERT_TRUE(server_->projections().WaitFor(
      server_->store().log_head().position_last, absl::Seconds(60)));
  grpc::ClientContext again;
  ASSERT_TRUE(queries->GetQueue(&again, request, &response).ok());
  ASSERT_EQ(response.items_size(), 1);
  EXPECT_EQ(response.items(0).complaint_id(), received.state().complaint_id());
  EXPECT_EQ(Health("ledger.v1.QueryService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace ledger::testing
