// Two ledgerd processes on one log of record (`--log nats`, a JetStream
// stream on three real nats-server processes; docs/design/replication.md):
// one writes (it holds the lease), the other serves what it wrote and
// names it to commands; when the writer is killed the other takes over,
// deciding as it would (complaint numbers, retried command ids); a node
// killed and started again catches up and follows; a node stopped hands
// the lease over. Waits are for conditions, bounded only to fail rather
// than hang.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/events/payload.h"
#include "ledger/replication/nats_log.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/nats_cluster.h"
#include "tests/test_util.h"
#include "third_party/grpc/health/v1/health.grpc.pb.h"

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
             const std::string& id, std::vector<std::string> flags = {}) {
    std::filesystem::create_directories(dir.Sub(id));
    for (std::string flag :
         {std::string("--log=nats"),
          absl::StrCat("--nats_url=", absl::StrJoin(cluster.urls(), ",")),
          absl::StrCat("--node_id=", id), std::string("--nats_connect_s=90"),
          std::string("--lease_ms=2000")}) {
      flags.push_back(std::move(flag));
    }
    process = std::make_unique<LedgerdProcess>(LEDGERD_PATH, dir.Sub(id),
                                               dir.Sub(id + "-data"), flags);
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

  // Until this node writes the log (ComplaintService SERVING).
  bool WaitWriting() const {
    auto health = grpc::health::v1::Health::NewStub(channel);
    for (int i = 0; i < 1200; ++i) {
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(v1::ComplaintService::service_full_name());
      grpc::health::v1::HealthCheckResponse response;
      grpc::ClientContext context;
      if (health->Check(&context, request, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // An intake with command id intake-`i`: the complaint's id, or why it
  // was refused (last_writer: the writer the refusal named).
  // (By default from customer 1380000<1000 + i>.)
  absl::StatusOr<std::string> Receive(int i, std::string phone = "") {
    v1::ReceiveComplaint intake;
    intake.mutable_context()->set_actor_agent_id("a17");
    intake.mutable_context()->set_command_id(absl::StrCat("intake-", i));
    intake.set_channel(v1::CHANNEL_PHONE);
    intake.mutable_customer()->set_phone(
        phone.empty() ? absl::StrCat("1380000", 1000 + i) : phone);
    intake.set_content("complaint");
    intake.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
    intake.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = complaints->ReceiveComplaint(&context, intake, &result);
    last_writer.clear();
    if (auto writer = context.GetServerTrailingMetadata().find("ledger-writer");
        writer != context.GetServerTrailingMetadata().end()) {
      last_writer.assign(writer->second.data(), writer->second.size());
    }
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          s.error_message());
    }
    return result.state().complaint_id();
  }
  std::string last_writer;

  // Intake-`i` sent to a node that does not write, until its refusal names
  // the writer (a node just started learns who writes at its lease's first
  // reading); an OK or another refusal ends it.
  absl::StatusOr<std::string> RefusedNamingTheWriter(int i) {
    absl::StatusOr<std::string> refused = Receive(i);
    for (int k = 0; k < 600 && last_writer.empty() &&
                    absl::IsUnavailable(refused.status());
         ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      refused = Receive(i);
    }
    return refused;
  }

  // The intake of complaint `id` as this node shows it (to nobody signed
  // in: all of it).
  v1::ComplaintReceived Intake(const std::string& id) const {
    const v1::ComplaintView view = View(id);
    v1::ComplaintReceived received;
    for (const v1::Event& e : view.timeline()) {
      if (Is<v1::ComplaintReceived>(e)) {
        EXPECT_TRUE(received.ParseFromString(e.payload()));
      }
    }
    return received;
  }

  // The key complaint `id`'s customer data is sealed with, as the log
  // holds it.
  std::string KeyIdOf(const std::string& id) const {
    v1::ReadStreamRequest request;
    request.set_stream_id(absl::StrCat("complaint-", id));
    request.set_limit(1);
    grpc::ClientContext context;
    v1::ReadStreamResponse response;
    grpc::Status s = ledger->ReadStream(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::ComplaintReceived received;
    if (response.events_size() > 0) {
      EXPECT_TRUE(received.ParseFromString(response.events(0).payload()));
    }
    return received.sealed_customer().key_id();
  }

  std::string Complaint(const std::string& id) const {
    return View(id).SerializeAsString();
  }

  // GetComplaint of `id`; a failed call fails the test.
  v1::ComplaintView View(const std::string& id) const {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    grpc::ClientContext context;
    v1::ComplaintView view;
    grpc::Status s = complaints->GetComplaint(&context, request, &view);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
    return view;
  }
};

TEST(LedgerdNatsTest, OneWriterAtATimeAndFailover) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  Node a, b;
  // a alone takes the lease (an empty lease stream: at once).
  a.Start(dir, cluster, "a");
  ASSERT_FALSE(a.process->target().empty());
  ASSERT_TRUE(a.WaitWriting());
  b.Start(dir, cluster, "b");
  ASSERT_FALSE(b.process->target().empty());

  for (const auto& [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                                 std::pair{"a17", v1::ROLE_AGENT}}) {
    ASSERT_TRUE(a.Register(id, role).ok());
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(a.Receive(i).value());
  ASSERT_TRUE(b.CatchUp(a));
  for (const std::string& id : ids) EXPECT_EQ(b.Complaint(id), a.Complaint(id));

  // b follows: a command sent to it names the writer, and nothing is
  // written; the writer's own answer to a retried command id b gives too.
  {
    absl::StatusOr<std::string> refused = b.RefusedNamingTheWriter(5);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
        << refused.status();
    EXPECT_EQ(b.last_writer, a.process->target()) << refused.status();
    EXPECT_EQ(b.Head().position_last(), a.Head().position_last());
    EXPECT_EQ(b.Receive(0).value_or(""), ids[0]);
  }

  // a dies: b takes the lease once it lapses and writes from the log's
  // end. It numbers as a did (it followed a's intakes), and an in-doubt
  // command retried with its id gets its first result.
  a.process->Kill();
  ASSERT_TRUE(b.WaitWriting());
  absl::StatusOr<std::string> from_b = b.Receive(5);
  ASSERT_TRUE(from_b.ok()) << from_b.status();
  EXPECT_EQ(from_b->substr(5), "000006") << *from_b;
  EXPECT_EQ(b.Receive(4).value_or(""), ids[4]);

  // a, started again on its copy, catches up and follows: it sends
  // commands to b.
  a.Start(dir, cluster, "a");
  ASSERT_FALSE(a.process->target().empty());
  ASSERT_TRUE(a.CatchUp(b));
  EXPECT_EQ(a.Complaint(*from_b), b.Complaint(*from_b));
  {
    absl::StatusOr<std::string> refused = a.RefusedNamingTheWriter(6);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(a.last_writer, b.process->target()) << refused.status();
  }

  // b stops (SIGTERM): it hands the lease over, and a writes.
  EXPECT_EQ(b.process->Stop(), 0);
  ASSERT_TRUE(a.WaitWriting());
  absl::StatusOr<std::string> from_a = a.Receive(6);
  ASSERT_TRUE(from_a.ok()) << from_a.status();
  EXPECT_EQ(from_a->substr(5), "000007") << *from_a;
}

TEST(LedgerdNatsTest,
     PersonalDataSealedOnOneNodeOpensOnEveryNodeAndIsErasedEverywhere) {
  // Each node keeps its customers' data keys in its own --key_dir (wrapped
  // by the site's master key, the same --key_file for all); the nodes share
  // them through JetStream (NatsLog's keys stream).
  TempDir dir;
  NatsCluster cluster(dir.path());
  const std::string key_file = dir.Sub("site.keys");
  std::ofstream(key_file) << "master_key " << std::string(64, '1')
                          << "\ncustomer_ref_key " << std::string(64, '2')
                          << "\n";
  const std::vector<std::string> sealing = {
      absl::StrCat("--key_file=", key_file)};
  Node a, b;
  a.Start(dir, cluster, "a", sealing);
  ASSERT_TRUE(a.WaitWriting());
  b.Start(dir, cluster, "b", sealing);
  for (const auto& [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                                 std::pair{"a17", v1::ROLE_AGENT}}) {
    ASSERT_TRUE(a.Register(id, role).ok());
  }
  const std::string phone = "13912345678";
  const std::string first = a.Receive(0, phone).value();
  const std::string key_id = a.KeyIdOf(first);
  ASSERT_FALSE(key_id.empty()) << "the intake is not sealed";
  EXPECT_EQ(a.Intake(first).customer().phone(), phone);
  // b never made that key: it reads it from JetStream.
  ASSERT_TRUE(b.CatchUp(a));
  EXPECT_EQ(b.Intake(first).customer().phone(), phone);

  // a dies; b writes, and seals the customer's next complaint with the
  // same key, which a (started again) opens.
  a.process->Kill();
  ASSERT_TRUE(b.WaitWriting());
  const absl::StatusOr<std::string> second = b.Receive(1, phone);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(b.KeyIdOf(*second), key_id);
  EXPECT_EQ(b.Intake(*second).customer().phone(), phone);
  a.Start(dir, cluster, "a", sealing);
  ASSERT_TRUE(a.CatchUp(b));
  EXPECT_EQ(a.Intake(*second).customer().phone(), phone);

  // The centre head erases the customer's data on b: the key is destroyed
  // in JetStream and on both nodes (a as it follows the erasure), and
  // neither node shows the data again, nor fetches the key back.
  {
    v1::EraseCustomerData erase;
    erase.mutable_context()->set_actor_agent_id("h1");
    erase.mutable_context()->set_command_id("erase-1");
    erase.set_complaint_id(first);
    erase.set_reason("the customer's request");
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = b.complaints->EraseCustomerData(&context, erase, &result);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  ASSERT_TRUE(a.CatchUp(b));
  {
    NatsLogOptions options;
    options.servers = cluster.urls();
    absl::StatusOr<std::unique_ptr<NatsLog>> log = NatsLog::Connect(options);
    ASSERT_TRUE(log.ok()) << log.status();
    absl::StatusOr<std::optional<std::string>> left = (*log)->ReadKey(key_id);
    ASSERT_TRUE(left.ok()) << left.status();
    EXPECT_FALSE(left->has_value()) << "the key is still in JetStream";
  }
  // b destroyed the key before it answered; a destroys its copy once it
  // has folded the erasure, just after its copy holds it.
  for (const Node* node : {&b, &a}) {
    for (const std::string& id : {first, *second}) {
      v1::ComplaintReceived shown = node->Intake(id);
      for (int i = 0; i < 600 && node == &a && shown.has_customer(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        shown = node->Intake(id);
      }
      EXPECT_FALSE(shown.has_customer())
          << (node == &a ? "a " : "b ") << id << ": " << shown.DebugString();
      EXPECT_FALSE(shown.has_sealed_customer());
    }
  }
  if (::testing::Test::HasFailure()) {
    for (const char* node : {"a", "b"}) {
      std::ifstream log(dir.Sub(node) + "/ledgerd.log");
      std::cerr << "--- " << node << "'s log:\n" << log.rdbuf();
    }
  }
  // The customer comes back: a key of the next generation, which a opens.
  const absl::StatusOr<std::string> third = b.Receive(2, phone);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_NE(b.KeyIdOf(*third), key_id);
  ASSERT_TRUE(a.CatchUp(b));
  EXPECT_EQ(a.Intake(*third).customer().phone(), phone);
}

}  // namespace
}  // namespace ledger
