// Who may call what, end to end: a real ledgerd over TLS, checking tokens
// of tools/dev_identity.sh's development issuer against the agent registry.
// One table-driven test runs every RPC of the access table (services/
// gate.cc, the README's "Who may call what") anonymously (UNAUTHENTICATED)
// and as each role (let through, or PERMISSION_DENIED, exactly as the table
// says); others cover the first head, impersonation, batches, bad tokens,
// inactive and unregistered agents, a service's client certificate, and a
// listener that is not loopback.
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "ledger/v1/audit_service.grpc.pb.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/simulation_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "rpc/channel.h"
#include "services/gate.h"
#include "services/http_server.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

// Every role, by the agent the test registers for it.
const std::map<std::string, v1::Role>& Agents() {
  static const auto* agents = new std::map<std::string, v1::Role>{
      {"h1", v1::ROLE_CENTRE_HEAD},     {"a1", v1::ROLE_AGENT},
      {"c1", v1::ROLE_CLERK},           {"s1", v1::ROLE_STATION_HEAD},
      {"d1", v1::ROLE_DEPARTMENT_HEAD}, {"p1", v1::ROLE_PROJECT_HEAD},
      {"g1", v1::ROLE_GENERAL_MANAGER}, {"u1", v1::ROLE_AUDITOR},
      {"feed", v1::ROLE_SERVICE},       {"x1", v1::ROLE_AGENT},
  };
  return *agents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class AccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    identity_ = dir_->Sub("identity");
    std::vector<std::string> argv = {
        "/usr/bin/env", "LEDGER_TOKEN_TOOL=" LEDGER_TOKEN_PATH,
        "bash",         LEDGER_SOURCE_DIR "/tools/dev_identity.sh",
        identity_,      "--client",
        "feed",         "--client",
        "stranger"};
    for (const auto& [agent, role] : Agents()) argv.push_back(agent);
    argv.push_back("zz");  // Never registered.
    testing::ProcessResult made = testing::Run(argv);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ledgerd_ = new testing::LedgerdProcess(
        LEDGERD_PATH, dir_->path(), dir_->Sub("data"),
        {"--simulated_clock", "--jwks=" + identity_ + "/jwks.json",
         "--jwt_issuer=urn:complaint-ledger:development-issuer",
         "--bootstrap_head=h1", "--tls_cert=" + identity_ + "/server.pem",
         "--tls_key=" + identity_ + "/server-key.pem",
         "--client_ca=" + identity_ + "/ca.pem",
         "--key_file=" + identity_ + "/site-keys.txt"});
    ASSERT_FALSE(ledgerd_->target().empty()) << "ledgerd did not start";
  }
  static void TearDownTestSuite() {
    delete ledgerd_;
    delete dir_;
  }

  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Bootstrap()); }

  // A channel as `agent` ("": anonymous), over TLS.
  static std::shared_ptr<grpc::Channel> As(const std::string& agent,
                                           std::string target = "") {
    ClientSecurity security;
    security.tls_ca = ReadFile(identity_ + "/ca.pem");
    if (!agent.empty()) {
      security.token = std::string(absl::StripAsciiWhitespace(
          ReadFile(absl::StrCat(identity_, "/tokens/", agent, ".token"))));
    }
    return MakeChannel(target.empty() ? ledgerd_->target() : target, security);
  }
  // A channel with a service's client certificate and no token.
  static std::shared_ptr<grpc::Channel> AsService(const std::string& name) {
    ClientSecurity security;
    security.tls_ca = ReadFile(identity_ + "/ca.pem");
    security.tls_cert =
        ReadFile(absl::StrCat(identity_, "/clients/", name, ".pem"));
    security.tls_key =
        ReadFile(absl::StrCat(identity_, "/clients/", name, "-key.pem"));
    return MakeChannel(ledgerd_->target(), security);
  }

  static grpc::Status Register(const std::string& as, const std::string& agent,
                               v1::Role role, bool active = true) {
    v1::RegisterAgent command = build::Agent(agent, {role});
    command.mutable_agent()->set_active(active);
    command.mutable_context()->set_actor_agent_id("");
    grpc::ClientContext context;
    v1::CommandResult result;
    return v1::ReferenceDataService::NewStub(As(as))->RegisterAgent(
        &context, command, &result);
  }

  // The first time: the first head registers themselves, then everyone.
  static void Bootstrap() {
    if (bootstrapped_) return;
    // Before a head exists, nobody but the bootstrap head gets in.
    grpc::Status early = Register("a1", "a1", v1::ROLE_CENTRE_HEAD);
    EXPECT_EQ(early.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(early.error_message(), HasSubstr("no centre head yet"));
    ASSERT_TRUE(Register("h1", "h1", v1::ROLE_CENTRE_HEAD).ok());
    for (const auto& [agent, role] : Agents()) {
      if (agent == "h1") continue;
      grpc::Status s = Register("h1", agent, role, agent != "x1");
      ASSERT_TRUE(s.ok()) << agent << ": " << s.error_message();
    }
    // s1 heads station st1; st2 is somebody else's.
    for (auto [station, head] :
         {std::pair{"st1", "s1"}, std::pair{"st2", ""}}) {
      v1::RegisterStation command = build::Station(station);
      command.mutable_station()->set_head_agent_id(head);
      grpc::ClientContext context;
      v1::CommandResult result;
      grpc::Status s =
          v1::ReferenceDataService::NewStub(As("h1"))->RegisterStation(
              &context, command, &result);
      ASSERT_TRUE(s.ok()) << station << ": " << s.error_message();
    }
    bootstrapped_ = true;
  }

  // Calls `rpc` (a full name) with an empty request; a server stream is
  // read until its first message.
  static grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel,
                           const google::protobuf::MethodDescriptor& rpc) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    if (rpc.server_streaming()) {
      v1::SubscribeRequest request;
      request.set_from_position(1);
      auto reader =
          v1::Subscriptions::NewStub(channel)->Subscribe(&context, request);
      v1::SubscribeResponse response;
      if (reader->Read(&response)) {
        context.TryCancel();
        while (reader->Read(&response)) {
        }
        reader->Finish();
        return grpc::Status::OK;  // Admitted: it streams.
      }
      return reader->Finish();
    }
    grpc::GenericStub stub(channel);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(
        &context,
        absl::StrCat("/", rpc.service()->full_name(), "/", rpc.name()),
        grpc::StubOptions(), &request, &response,
        [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  static testing::TempDir* dir_;
  static std::string identity_;
  static testing::LedgerdProcess* ledgerd_;
  static bool bootstrapped_;
};

testing::TempDir* AccessTest::dir_ = nullptr;
std::string AccessTest::identity_;
testing::LedgerdProcess* AccessTest::ledgerd_ = nullptr;
bool AccessTest::bootstrapped_ = false;

const google::protobuf::MethodDescriptor& MethodOf(const std::string& rpc) {
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(rpc);
  EXPECT_NE(m, nullptr) << rpc;
  return *m;
}

TEST_F(AccessTest, EveryRpcOfLedgerdHasARow) {
  // Linked in, so that its descriptor is in the pool.
  ASSERT_NE(v1::SetClockRequest::descriptor(), nullptr);
  ASSERT_NE(v1::GetCheckpointRequest::descriptor(), nullptr);
  std::set<std::string> rows;
  for (const AccessRule& rule : AccessTable()) rows.insert(rule.rpc);
  for (const char* service :
       {"ledger.v1.ComplaintService", "ledger.v1.ReferenceDataService",
        "ledger.v1.Ledger", "ledger.v1.AuditService", "ledger.v1.Subscriptions",
        "ledger.v1.QueryService", "ledger.v1.SimulationService"}) {
    const google::protobuf::ServiceDescriptor* s =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service);
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < s->method_count(); ++i) {
      EXPECT_TRUE(rows.erase(s->method(i)->full_name()))
          << s->method(i)->full_name() << " has no row";
    }
  }
  EXPECT_TRUE(rows.empty()) << "rows for no RPC: " << *rows.begin();
}

TEST_F(AccessTest, TheReadmeShowsTheTableTheGateKeeps) {
  // The README's "Who may call what": a column per role, a row per RPC.
  const std::vector<v1::Role> columns = {
      v1::ROLE_AGENT,           v1::ROLE_CLERK,           v1::ROLE_CENTRE_HEAD,
      v1::ROLE_STATION_HEAD,    v1::ROLE_DEPARTMENT_HEAD, v1::ROLE_PROJECT_HEAD,
      v1::ROLE_GENERAL_MANAGER, v1::ROLE_AUDITOR,         v1::ROLE_SERVICE};
  std::map<std::string, std::set<v1::Role>> readme, readme_http;
  std::istringstream lines(ReadFile(LEDGER_SOURCE_DIR "/README.md"));
  bool in_table = false;
  for (std::string line; std::getline(lines, line);) {
    if (absl::StartsWith(line, "### "))
      in_table = line == "### Who may call what";
    if (!in_table || !absl::StartsWith(line, "| `")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    ASSERT_EQ(cells.size(), columns.size() + 3) << line;
    const std::string name(
        absl::StripAsciiWhitespace(absl::StrReplaceAll(cells[1], {{"`", ""}})));
    // The HTTP side's paths ("GET /metrics") have a table of their own.
    const bool http = absl::StrContains(name, " /");
    std::set<v1::Role>& roles =
        http ? readme_http[name] : readme[absl::StrCat("ledger.v1.", name)];
    for (size_t i = 0; i < columns.size(); ++i) {
      if (absl::StrContains(cells[i + 2], "✓")) roles.insert(columns[i]);
    }
  }
  std::map<std::string, std::set<v1::Role>> code;
  for (const AccessRule& rule : AccessTable()) {
    code[rule.rpc] = std::set<v1::Role>(rule.roles.begin(), rule.roles.end());
  }
  EXPECT_EQ(readme, code);
  std::map<std::string, std::set<v1::Role>> http;
  for (const HttpAccessRule& rule : HttpAccessTable()) {
    http[rule.path] = std::set<v1::Role>(rule.roles.begin(), rule.roles.end());
  }
  EXPECT_EQ(readme_http, http);
  EXPECT_FALSE(http.empty());
}

TEST_F(AccessTest, EachRoleGetsExactlyWhatTheTableSays) {
  const auto anonymous = As("");
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [agent, role] : Agents()) {
    if (agent != "x1" && agent != "feed") channels[agent] = As(agent);
  }
  channels["feed"] = AsService("feed");
  for (const AccessRule& rule : AccessTable()) {
    SCOPED_TRACE(rule.rpc);
    const google::protobuf::MethodDescriptor& rpc = MethodOf(rule.rpc);
    grpc::Status nobody = Call(anonymous, rpc);
    EXPECT_EQ(nobody.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << nobody.error_message();
    for (const auto& [agent, channel] : channels) {
      const v1::Role role = Agents().at(agent);
      const bool allowed = std::find(rule.roles.begin(), rule.roles.end(),
                                     role) != rule.roles.end();
      grpc::Status s = Call(channel, rpc);
      SCOPED_TRACE(absl::StrCat(agent, " (", v1::Role_Name(role),
                                "): ", s.error_code(), " ", s.error_message()));
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      if (allowed) {
        // Through the gate; the service may still refuse the empty request
        // (INVALID_ARGUMENT, NOT_FOUND), never for who is asking.
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
        EXPECT_THAT(s.error_message(), HasSubstr(rule.rpc));
      }
    }
  }
}

TEST_F(AccessTest, TheActorIsTheCaller) {
  auto complaints = v1::ComplaintService::NewStub(As("a1"));
  v1::ReceiveComplaint intake = build::Intake("", "13800138000");
  intake.mutable_context()->set_actor_agent_id("h1");
  grpc::ClientContext c1;
  v1::CommandResult result;
  grpc::Status s = complaints->ReceiveComplaint(&c1, intake, &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("nobody acts for another"));
  intake.mutable_context()->clear_actor_agent_id();
  grpc::ClientContext c2;
  s = complaints->ReceiveComplaint(&c2, intake, &result);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(result.events_size(), 0);
  EXPECT_EQ(result.events(0).actor(), "a1");
  // An agent cannot sign off, alone or inside a batch.
  v1::CommandBatch batch;
  batch.add_commands()->mutable_sign_off()->set_complaint_id(
      result.state().complaint_id());
  grpc::ClientContext c3;
  v1::BatchResult batched;
  s = complaints->ExecuteBatch(&c3, batch, &batched);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("commands[0] (SignOff)"));
}

TEST_F(AccessTest, BadTokensAndUnknownCallersAreRefused) {
  const auto& read_all = MethodOf("ledger.v1.Ledger.ReadAll");
  ClientSecurity security;
  security.tls_ca = ReadFile(identity_ + "/ca.pem");
  security.token = "not.a.token";
  grpc::Status s = Call(MakeChannel(ledgerd_->target(), security), read_all);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("bearer token"));
  // A good token of someone the registry does not know, or who left.
  s = Call(As("zz"), read_all);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("not a registered agent"));
  s = Call(As("x1"), MethodOf("ledger.v1.QueryService.GetQueue"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("not an active agent"));
  // A certificate of the site's CA whose name is nobody's.
  s = Call(AsService("stranger"), read_all);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Without TLS the server is not reached at all.
  ClientSecurity plain;
  plain.token = ReadFile(identity_ + "/tokens/u1.token");
  s = Call(MakeChannel(ledgerd_->target(), plain), read_all);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AccessTest, DurableSubscriptionsAndGroupsAreTheirOwners) {
  auto ack = [](const std::shared_ptr<grpc::Channel>& channel,
                uint64_t position) {
    grpc::ClientContext context;
    v1::AckRequest request;
    request.set_durable_name("orders");
    request.set_position(position);
    v1::AckResponse response;
    grpc::Status s =
        v1::Subscriptions::NewStub(channel)->Ack(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.position();
  };
  // The first event a durable subscription named "orders" delivers.
  auto first = [](const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    request.set_durable_name("orders");
    auto reader =
        v1::Subscriptions::NewStub(channel)->Subscribe(&context, request);
    v1::SubscribeResponse response;
    uint64_t position = 0;
    while (position == 0 && reader->Read(&response)) {
      if (response.has_event()) position = response.event().position();
    }
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    reader->Finish();
    return position;
  };
  const auto feed = AsService("feed");
  const auto auditor = As("u1");
  EXPECT_EQ(ack(feed, 2), 2u);
  // The auditor's "orders" is the auditor's own: acknowledging 5 there
  // skips nothing of the feed's.
  EXPECT_EQ(ack(auditor, 5), 5u);
  EXPECT_EQ(first(feed), 3u);
  EXPECT_EQ(first(auditor), 6u);
  // Joining a group of the same name as another identity joins one's own:
  // alone in it, the head gets all 32 partitions, and the feed's member
  // keeps its own.
  auto join = [](const std::shared_ptr<grpc::Channel>& channel,
                 const std::string& member) {
    auto context = std::make_unique<grpc::ClientContext>();
    v1::SubscribeRequest request;
    request.set_durable_name("workers");
    request.set_member_id(member);
    auto stub = v1::Subscriptions::NewStub(channel);
    auto reader = stub->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    EXPECT_TRUE(reader->Read(&response));
    return std::make_tuple(std::move(context), std::move(stub),
                           std::move(reader), response.assignment());
  };
  auto [feed_context, feed_stub, feed_reader, feed_share] = join(feed, "m1");
  auto [head_context, head_stub, head_reader, head_share] =
      join(As("h1"), "m2");
  EXPECT_EQ(feed_share.partitions_size(), 32);
  EXPECT_EQ(head_share.partitions_size(), 32);
  for (auto* context : {feed_context.get(), head_context.get()}) {
    context->TryCancel();
  }
  v1::SubscribeResponse drain;
  while (feed_reader->Read(&drain)) {
  }
  while (head_reader->Read(&drain)) {
  }
  // Still the feed's generation 1: nobody joined its group.
  EXPECT_EQ(feed_share.generation(), head_share.generation());
  EXPECT_TRUE(feed_reader->Finish().error_code() ==
              grpc::StatusCode::CANCELLED);
  head_reader->Finish();
}

// The intake's customer in GetComplaint as `agent` sees it; "" when absent.
std::string CustomerSeenBy(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& complaint_id) {
  grpc::ClientContext context;
  v1::GetComplaintRequest request;
  request.set_complaint_id(complaint_id);
  v1::ComplaintView view;
  grpc::Status s = v1::ComplaintService::NewStub(channel)->GetComplaint(
      &context, request, &view);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (!s.ok() || view.timeline_size() == 0) return "<none>";
  v1::ComplaintReceived received;
  EXPECT_TRUE(received.ParseFromString(view.timeline(0).payload()));
  EXPECT_FALSE(received.has_sealed_customer());
  if (!received.has_customer()) return "";
  return absl::StrCat(received.customer().name(), " ",
                      received.customer().phone());
}

TEST_F(AccessTest, PersonalDataAsEachRoleMaySeeItThenErased) {
  v1::ReceiveComplaint intake = build::Intake("", "13966665555");
  intake.mutable_customer()->set_name("Situ Lanfang");
  intake.mutable_context()->clear_actor_agent_id();
  grpc::ClientContext c1;
  v1::CommandResult received;
  ASSERT_TRUE(v1::ComplaintService::NewStub(As("a1"))
                  ->ReceiveComplaint(&c1, intake, &received)
                  .ok());
  const std::string id = received.state().complaint_id();
  EXPECT_EQ(CustomerSeenBy(As("a1"), id), "Situ Lanfang 13966665555");  // owner
  EXPECT_EQ(CustomerSeenBy(As("h1"), id), "Situ Lanfang 13966665555");
  EXPECT_EQ(CustomerSeenBy(As("c1"), id), "S** 139****5555");
  EXPECT_EQ(CustomerSeenBy(As("g1"), id), "S** 139****5555");
  EXPECT_EQ(CustomerSeenBy(As("u1"), id), "");
  // Found by the number before it is erased.
  {
    grpc::ClientContext context;
    v1::FindComplaintsRequest find;
    find.mutable_customer()->set_phone("+86 139 6666 5555");
    v1::FindComplaintsResponse found;
    ASSERT_TRUE(v1::ComplaintService::NewStub(As("a1"))
                    ->FindComplaints(&context, find, &found)
                    .ok());
    ASSERT_EQ(found.complaints_size(), 1);
    EXPECT_EQ(found.complaints(0).complaint_id(), id);
  }
  // The log an auditor reads holds only the sealed form.
  {
    grpc::ClientContext context;
    v1::ReadStreamRequest request;
    request.set_stream_id("complaint-" + id);
    v1::ReadStreamResponse response;
    ASSERT_TRUE(v1::Ledger::NewStub(As("u1"))
                    ->ReadStream(&context, request, &response)
                    .ok());
    v1::ComplaintReceived stored;
    ASSERT_TRUE(stored.ParseFromString(response.events(0).payload()));
    EXPECT_TRUE(stored.has_sealed_customer());
    EXPECT_FALSE(absl::StrContains(response.SerializeAsString(), "Situ"));
  }
  v1::EraseCustomerData erase;
  erase.set_complaint_id(id);
  erase.set_reason("Asked to be forgotten.");
  grpc::ClientContext c2;
  v1::CommandResult erased;
  grpc::Status s = v1::ComplaintService::NewStub(As("h1"))->EraseCustomerData(
      &c2, erase, &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const char* agent : {"a1", "h1", "c1"}) {
    EXPECT_EQ(CustomerSeenBy(As(agent), id), "") << agent;
  }
  // Nor does the number find the complaint any more (the keyed ref stays,
  // for repeat detection only).
  {
    grpc::ClientContext context;
    v1::FindComplaintsRequest find;
    find.mutable_customer()->set_phone("13966665555");
    v1::FindComplaintsResponse found;
    ASSERT_TRUE(v1::ComplaintService::NewStub(As("h1"))
                    ->FindComplaints(&context, find, &found)
                    .ok());
    EXPECT_EQ(found.complaints_size(), 0);
  }
  // Nowhere on disk, and the log still verifies.
  testing::ProcessResult grep = testing::Run(
      {"/bin/grep", "-rlaE", "Situ Lanfang|13966665555", dir_->path()});
  EXPECT_EQ(grep.exit_code, 1) << grep.out;
  testing::ProcessResult verify = testing::Run(
      {LEDGERCTL_PATH, "verify", "--data_dir=" + dir_->Sub("data")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(AccessTest, AnAgentReadsOnlyTheirOwnMonthEndSample) {
  auto sample = [](const std::string& as, const std::string& agent) {
    grpc::ClientContext context;
    v1::GetSecondRevisitSampleRequest request;
    request.mutable_month()->set_year(2026);
    request.mutable_month()->set_month(11);
    request.set_agent_id(agent);
    v1::GetSecondRevisitSampleResponse response;
    grpc::Status s = v1::QueryService::NewStub(As(as))->GetSecondRevisitSample(
        &context, request, &response);
    return std::make_pair(s, response);
  };
  // Their own, named or not.
  for (const std::string& named : {std::string("a1"), std::string()}) {
    auto [status, response] = sample("a1", named);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.agents_size(), 1);
    EXPECT_EQ(response.agents(0).agent_id(), "a1");
  }
  // Another agent's: refused, and says why.
  auto [refused, nothing] = sample("a1", "x1");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("an agent reads their own month-end sample only"));
  // The head, the manager and the auditor read anyone's.
  for (const char* reader : {"h1", "g1", "u1"}) {
    EXPECT_TRUE(sample(reader, "x1").first.ok()) << reader;
  }
}

TEST_F(AccessTest, AgentReadsOnlyOwnPublishedAssessment) {
  // June 2025: ended whatever the server's clock says.
  v1::YearMonth june;
  june.set_year(2025);
  june.set_month(6);
  // Read as of the last command's events (the views may not have folded
  // them yet).
  uint64_t written = 0;
  auto assessment = [&](const std::string& as, const std::string& agent) {
    grpc::ClientContext context;
    v1::GetAssessmentRequest request;
    *request.mutable_month() = june;
    request.set_agent_id(agent);
    request.set_as_of_position(written);
    v1::GetAssessmentResponse response;
    grpc::Status s = v1::QueryService::NewStub(As(as))->GetAssessment(
        &context, request, &response);
    return std::make_pair(s, response);
  };
  auto reference = v1::ReferenceDataService::NewStub(As("h1"));
  for (const char* agent : {"a1", "x1"}) {
    v1::EnterAssessmentPoints points;
    points.set_agent_id(agent);
    *points.mutable_month() = june;
    points.set_part(v1::ASSESSMENT_PART_TEAMWORK);
    points.set_points_tenths(70);
    points.set_reason("the rota");
    grpc::ClientContext context;
    v1::CommandResult result;
    ASSERT_TRUE(
        reference->EnterAssessmentPoints(&context, points, &result).ok());
    written = result.events(0).position();
  }
  // The draft: the head's, not the agent's.
  auto [draft, none] = assessment("a1", "a1");
  EXPECT_EQ(draft.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(draft.error_message(), HasSubstr("not published yet"));
  EXPECT_EQ(assessment("h1", "").second.agents_size(), 2);
  {
    v1::PublishAssessment publish;
    *publish.mutable_month() = june;
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = reference->PublishAssessment(&context, publish, &result);
    ASSERT_TRUE(s.ok()) << s.error_message();
    written = result.events(0).position();
  }
  // Their own, named or not.
  for (const std::string& named : {std::string("a1"), std::string()}) {
    auto [status, response] = assessment("a1", named);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.agents_size(), 1);
    EXPECT_EQ(response.agents(0).agent_id(), "a1");
  }
  auto [refused, nothing] = assessment("a1", "x1");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("an agent reads their own assessment only"));
  for (const char* reader : {"h1", "g1", "u1"}) {
    EXPECT_TRUE(assessment(reader, "x1").first.ok()) << reader;
  }
  // An agent appeals (as themselves); a head cannot.
  v1::AppealAssessment appeal;
  *appeal.mutable_month() = june;
  appeal.set_part(v1::ASSESSMENT_PART_TEAMWORK);
  appeal.set_reason("I covered three shifts");
  for (const auto& [as, code] :
       {std::pair{"h1", grpc::StatusCode::PERMISSION_DENIED},
        std::pair{"a1", grpc::StatusCode::OK}}) {
    grpc::ClientContext context;
    v1::CommandResult result;
    EXPECT_EQ(v1::ReferenceDataService::NewStub(As(as))
                  ->AppealAssessment(&context, appeal, &result)
                  .error_code(),
              code)
        << as;
    if (result.events_size() > 0) written = result.events(0).position();
  }
  EXPECT_EQ(assessment("a1", "").second.appeals_size(), 1);
}

TEST_F(AccessTest, AStationHeadSeesOnlyTheirStation) {
  uint64_t written = 0;  // The last intake's last event.
  int64_t received_us = 0;
  auto receive = [&written, &received_us](const std::string& station) {
    v1::ReceiveComplaint intake = build::ComplaintIntake("", "13611112222");
    intake.set_station_id(station);
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = v1::ComplaintService::NewStub(As("a1"))->ReceiveComplaint(
        &context, intake, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (result.events_size() > 0) {
      written = result.events(result.events_size() - 1).position();
    }
    received_us = result.state().received_time_us();
    return result.state().complaint_id();
  };
  const std::string ours = receive("st1");
  const std::string theirs = receive("st2");
  const auto head = As("s1");
  auto get = [&](const std::string& id) {
    grpc::ClientContext context;
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::ComplaintView view;
    return v1::ComplaintService::NewStub(head)->GetComplaint(&context, request,
                                                             &view);
  };
  EXPECT_TRUE(get(ours).ok());
  // Reference data: their own station, nobody's names.
  {
    grpc::ClientContext context;
    v1::ListReferenceDataResponse data;
    ASSERT_TRUE(
        v1::ReferenceDataService::NewStub(head)
            ->ListReferenceData(&context, v1::ListReferenceDataRequest(), &data)
            .ok());
    ASSERT_EQ(data.stations_size(), 1);
    EXPECT_EQ(data.stations(0).station_id(), "st1");
    EXPECT_EQ(data.agents_size(), 0);
    EXPECT_EQ(data.departments_size(), 0);
  }
  grpc::Status other = get(theirs);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(), HasSubstr("does not concern"));
  // Queues: theirs by default, another station's refused.
  {
    grpc::ClientContext context;
    v1::GetQueueRequest request;
    request.set_kind(v1::QUEUE_KIND_IMPORTANT);
    request.set_station_id("st2");
    v1::GetQueueResponse response;
    grpc::Status s =
        v1::QueryService::NewStub(head)->GetQueue(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(), HasSubstr("heads station(s) st1"));
  }
  // The station table: their own row only.
  {
    grpc::ClientContext context;
    v1::GetStationTableRequest request;
    request.mutable_month()->set_year(2026);
    request.mutable_month()->set_month(12);
    v1::GetStationTableResponse response;
    grpc::Status s = v1::QueryService::NewStub(head)->GetStationTable(
        &context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    // Every registered station has a row; the head gets theirs alone.
    ASSERT_EQ(response.stations_size(), 1);
    EXPECT_EQ(response.stations(0).station_id(), "st1");
  }
  // The day the intakes were received on, in the ledger's time zone: the
  // ledger's clock stands at the time it started.
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::CivilDay received_day =
      absl::ToCivilDay(absl::FromUnixMicros(received_us), shanghai);
  // The penalty table of that month: the second intake repeats the first
  // customer, so it is a line of st2's; the centre head sees it, s1 does
  // not.
  auto penalty_lines = [&](const std::string& as) {
    grpc::ClientContext context;
    v1::GetPenaltyTableRequest request;
    request.mutable_month()->set_year(
        static_cast<int32_t>(received_day.year()));
    request.mutable_month()->set_month(received_day.month());
    request.set_as_of_position(
        std::numeric_limits<uint64_t>::max());  // Refused: past the end.
    v1::GetPenaltyTableResponse response;
    EXPECT_EQ(v1::QueryService::NewStub(As(as))
                  ->GetPenaltyTable(&context, request, &response)
                  .error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    grpc::ClientContext again;
    request.set_as_of_position(written);  // Whether or not folded yet.
    grpc::Status s = v1::QueryService::NewStub(As(as))->GetPenaltyTable(
        &again, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::set<std::string> stations;
    for (const v1::PenaltyLine& line : response.lines()) {
      stations.insert(line.station_id());
    }
    return stations;
  };
  EXPECT_TRUE(penalty_lines("h1").contains("st2"));
  EXPECT_FALSE(penalty_lines("s1").contains("st2"));
  // The digest of the half the intakes fell in: the head sees both, s1
  // their station's alone.
  auto digest_entries = [&](const std::string& as) {
    grpc::ClientContext context;
    v1::GetDigestRequest request;
    request.mutable_month()->set_year(
        static_cast<int32_t>(received_day.year()));
    request.mutable_month()->set_month(received_day.month());
    request.set_half(received_day.day() <= 15 ? v1::DIGEST_HALF_FIRST
                                              : v1::DIGEST_HALF_SECOND);
    request.set_as_of_position(written);
    v1::GetDigestResponse response;
    grpc::Status s = v1::QueryService::NewStub(As(as))->GetDigest(
        &context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::set<std::string> ids;
    for (const v1::DigestEntry& e : response.entries()) {
      ids.insert(e.complaint_id());
    }
    return ids;
  };
  EXPECT_TRUE(digest_entries("h1").contains(theirs));
  EXPECT_TRUE(digest_entries("h1").contains(ours));
  EXPECT_TRUE(digest_entries("s1").contains(ours));
  EXPECT_FALSE(digest_entries("s1").contains(theirs));
  // An assist answer for another unit is refused before the rules see it.
  {
    v1::AnswerAssist answer;
    answer.set_complaint_id(theirs);
    answer.mutable_target()->set_station_id("st2");
    answer.set_answer("Done.");
    grpc::ClientContext context;
    v1::CommandResult result;
    grpc::Status s = v1::ComplaintService::NewStub(head)->AnswerAssist(
        &context, answer, &result);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(AccessTest, AProjectionProcessAdmitsTheLedgersAgentsAsItsRegistrySays) {
  // It follows the ledger as the service "feed" (its client certificate),
  // and checks its own callers' tokens against the ledger's registry.
  std::filesystem::create_directories(dir_->Sub("projections-work"));
  testing::LedgerdProcess projections(
      LEDGERD_PATH, dir_->Sub("projections-work"), dir_->Sub("projections"),
      {"--projections_only", "--ledger=" + ledgerd_->target(),
       "--ledger_ca=" + identity_ + "/ca.pem",
       "--ledger_cert=" + identity_ + "/clients/feed.pem",
       "--ledger_key=" + identity_ + "/clients/feed-key.pem",
       "--jwks=" + identity_ + "/jwks.json",
       "--jwt_issuer=urn:complaint-ledger:development-issuer",
       "--tls_cert=" + identity_ + "/server.pem",
       "--tls_key=" + identity_ + "/server-key.pem"});
  ASSERT_FALSE(projections.target().empty()) << "projections did not start";
  auto queue = [&](const std::string& agent, const std::string& station = "",
                   v1::QueueKind kind = v1::QUEUE_KIND_IMPORTANT) {
    grpc::ClientContext context;
    v1::GetQueueRequest request;
    request.set_kind(kind);
    request.set_station_id(station);
    v1::GetQueueResponse response;
    return v1::QueryService::NewStub(As(agent, projections.target()))
        ->GetQueue(&context, request, &response);
  };
  // Until the registry is read, nobody can be told apart: UNAVAILABLE.
  // Then each caller is who the ledger says.
  auto settled = [&](const std::string& agent, grpc::StatusCode while_code) {
    grpc::Status s;
    for (int i = 0; i < 3000; ++i) {
      s = queue(agent);
      if (s.error_code() != while_code) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return s;
  };
  grpc::Status agent = settled("a1", grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(agent.ok()) << agent.error_message();
  EXPECT_EQ(queue("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(queue("zz").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(queue("x1").error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "an inactive agent";
  grpc::Status other = queue("s1", "st2");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(), HasSubstr("heads station(s) st1"));
  EXPECT_TRUE(queue("s1", "st1", v1::QUEUE_KIND_ASSISTS_PENDING).ok());
  // The other queues hold every station's complaints: not a station head's.
  grpc::Status important = queue("s1", "st1");
  EXPECT_EQ(important.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(important.error_message(),
              HasSubstr("sees the assists-pending queue of theirs only"));
  {
    grpc::ClientContext context;
    v1::RebuildRequest request;
    request.set_name("queues");
    v1::RebuildResponse response;
    grpc::Status s = v1::QueryService::NewStub(As("u1", projections.target()))
                         ->Rebuild(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << "an auditor does not rebuild views";
  }
  // The registry is followed: an agent the ledger registers now is let in,
  // and let go once the ledger deactivates them.
  testing::ProcessResult minted =
      testing::Run({LEDGER_TOKEN_PATH, "mint", identity_, "pp1"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  std::ofstream(identity_ + "/tokens/pp1.token") << minted.out;
  {
    // An event the registry's follow (of "ref-" streams) skips: it must
    // carry on past the gap, not start over.
    grpc::ClientContext context;
    v1::CommandResult result;
    ASSERT_TRUE(
        v1::ComplaintService::NewStub(As("a1"))
            ->ReceiveComplaint(
                &context, build::ComplaintIntake("", "13900001111"), &result)
            .ok());
  }
  ASSERT_TRUE(Register("h1", "pp1", v1::ROLE_AGENT).ok());
  grpc::Status joined = settled("pp1", grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(joined.ok()) << joined.error_message();
  ASSERT_TRUE(Register("h1", "pp1", v1::ROLE_AGENT, /*active=*/false).ok());
  grpc::Status left = settled("pp1", grpc::StatusCode::OK);
  EXPECT_EQ(left.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(left.error_message(), HasSubstr("not an active agent"));
  // Followed throughout: the registry never had to be read again.
  EXPECT_THAT(ReadFile(dir_->Sub("projections-work") + "/ledgerd.log"),
              ::testing::Not(HasSubstr("agent registry of")));
}

// Subscribes from position 1 as `channel`'s caller with `filter` and reads
// until caught up: the events delivered, or the refusal.
absl::StatusOr<std::vector<v1::Event>> SubscribeAll(
    const std::shared_ptr<grpc::Channel>& channel,
    const v1::SubscriptionFilter& filter) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  v1::SubscribeRequest request;
  request.set_from_position(1);
  *request.mutable_filter() = filter;
  auto reader =
      v1::Subscriptions::NewStub(channel)->Subscribe(&context, request);
  std::vector<v1::Event> events;
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    if (response.has_event()) events.push_back(response.event());
    if (response.has_caught_up()) {
      context.TryCancel();
      while (reader->Read(&response)) {
      }
      reader->Finish();
      return events;
    }
  }
  const grpc::Status s = reader->Finish();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

TEST_F(AccessTest, AServiceReadsWhatItsGrantAllowsAndAStationHeadNoMore) {
  // A service granted the intakes of station st1 (with a token: services
  // may have those too).
  testing::ProcessResult minted =
      testing::Run({LEDGER_TOKEN_PATH, "mint", identity_, "svc1"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  std::ofstream(identity_ + "/tokens/svc1.token") << minted.out;
  auto register_service = [](const v1::ServiceGrant& grant,
                             v1::Role role = v1::ROLE_SERVICE) {
    v1::RegisterAgent command = build::Agent("svc1", {role});
    *command.mutable_agent()->mutable_service_grant() = grant;
    grpc::ClientContext context;
    v1::CommandResult result;
    return v1::ReferenceDataService::NewStub(As("h1"))->RegisterAgent(
        &context, command, &result);
  };
  v1::ServiceGrant grant;
  grant.add_station_ids("st1");
  grant.add_event_types("ComplaintReceived");
  v1::ServiceGrant elsewhere = grant;
  elsewhere.add_station_ids("nowhere");
  grpc::Status unknown = register_service(elsewhere);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("nowhere"));
  grpc::Status person = register_service(grant, v1::ROLE_AGENT);
  EXPECT_EQ(person.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(person.error_message(), HasSubstr("only role is SERVICE"));
  ASSERT_TRUE(register_service(grant).ok());

  for (const char* station : {"st1", "st2", "st1"}) {
    v1::ReceiveComplaint intake = build::ComplaintIntake("", "13711112222");
    intake.set_station_id(station);
    grpc::ClientContext context;
    v1::CommandResult result;
    ASSERT_TRUE(v1::ComplaintService::NewStub(As("a1"))
                    ->ReceiveComplaint(&context, intake, &result)
                    .ok());
  }
  // Asking for nothing, it gets its grant: st1's intakes, nothing else.
  absl::StatusOr<std::vector<v1::Event>> got =
      SubscribeAll(As("svc1"), v1::SubscriptionFilter());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_GE(got->size(), 2u);
  for (const v1::Event& e : *got) {
    ASSERT_EQ(e.event_type(), "ledger.v1.ComplaintReceived");
    v1::ComplaintReceived received;
    ASSERT_TRUE(received.ParseFromString(e.payload()));
    EXPECT_EQ(received.station_id(), "st1") << "position " << e.position();
  }
  // Past it, refused.
  v1::SubscriptionFilter other;
  other.set_station_id("st2");
  EXPECT_EQ(SubscribeAll(As("svc1"), other).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::SubscriptionFilter tagged;
  tagged.add_tags("station:st2");
  EXPECT_EQ(SubscribeAll(As("svc1"), tagged).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::SubscriptionFilter replies;
  replies.add_event_types("Replied");
  EXPECT_EQ(SubscribeAll(As("svc1"), replies).status().code(),
            absl::StatusCode::kPermissionDenied);
  {
    grpc::ClientContext context;
    v1::ReadAllRequest request;
    v1::ReadAllResponse response;
    grpc::Status s =
        v1::Ledger::NewStub(As("svc1"))->ReadAll(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(), HasSubstr("not reading the log"));
  }
  // A station head subscribes to their stations only: by default theirs,
  // and no tag reaches past them.
  absl::StatusOr<std::vector<v1::Event>> theirs =
      SubscribeAll(As("s1"), v1::SubscriptionFilter());
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  ASSERT_GE(theirs->size(), 2u);
  for (const v1::Event& e : *theirs) {
    if (e.event_type() != "ledger.v1.ComplaintReceived") continue;
    v1::ComplaintReceived received;
    ASSERT_TRUE(received.ParseFromString(e.payload()));
    EXPECT_EQ(received.station_id(), "st1") << "position " << e.position();
  }
  EXPECT_EQ(SubscribeAll(As("s1"), tagged).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(SubscribeAll(As("s1"), other).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessLimitsTest, EachIdentityHasItsOwnCallsThenResourceExhausted) {
  testing::TempDir dir;
  const std::string identity = dir.Sub("identity");
  testing::ProcessResult made = testing::Run(
      {"/usr/bin/env", "LEDGER_TOKEN_TOOL=" LEDGER_TOKEN_PATH, "bash",
       LEDGER_SOURCE_DIR "/tools/dev_identity.sh", identity, "h1", "a1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // Five calls each, then one every 1,000 s: nothing refills during the test.
  testing::LedgerdProcess ledgerd(
      LEDGERD_PATH, dir.path(), dir.Sub("data"),
      {"--jwks=" + identity + "/jwks.json",
       "--jwt_issuer=urn:complaint-ledger:development-issuer",
       "--bootstrap_head=h1", "--tls_cert=" + identity + "/server.pem",
       "--tls_key=" + identity + "/server-key.pem", "--calls_per_second=0.001",
       "--call_burst=5"});
  ASSERT_FALSE(ledgerd.target().empty());
  auto as = [&](const std::string& agent) {
    ClientSecurity security;
    security.tls_ca = ReadFile(identity + "/ca.pem");
    security.token =
        ReadFile(absl::StrCat(identity, "/tokens/", agent, ".token"));
    return MakeChannel(ledgerd.target(), security);
  };
  auto reference = v1::ReferenceDataService::NewStub(as("h1"));
  for (auto [agent, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                             std::pair{"a1", v1::ROLE_AGENT}}) {
    grpc::ClientContext context;
    v1::CommandResult result;
    ASSERT_TRUE(
        reference->RegisterAgent(&context, build::Agent(agent, {role}), &result)
            .ok());
  }
  auto queue = [](const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    v1::GetQueueRequest request;
    request.set_kind(v1::QUEUE_KIND_IMPORTANT);
    v1::GetQueueResponse response;
    return v1::QueryService::NewStub(channel)->GetQueue(&context, request,
                                                        &response);
  };
  const auto head = as("h1");
  for (int call = 3; call <= 5; ++call) {
    grpc::Status s = queue(head);
    EXPECT_TRUE(s.ok()) << call << ": " << s.error_message();
  }
  grpc::Status sixth = queue(head);
  EXPECT_EQ(sixth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(sixth.error_message(),
              HasSubstr("at most 0.001 a second, 5 at once"));
  // The agent's calls are the agent's: a batch of 6 commands is more than
  // its 5, one call is not.
  v1::CommandBatch batch;
  for (int i = 0; i < 6; ++i) {
    *batch.add_commands()->mutable_receive_complaint() = build::Intake();
  }
  grpc::ClientContext context;
  v1::BatchResult batched;
  grpc::Status big = v1::ComplaintService::NewStub(as("a1"))->ExecuteBatch(
      &context, batch, &batched);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(big.error_message(), HasSubstr("this one needs 6"));
  EXPECT_TRUE(queue(as("a1")).ok());
}

TEST(AccessFlagsTest, NoAuthenticationOnlyByNameWithoutTlsOnlyLoopback) {
  testing::TempDir dir;
  const std::string identity = dir.Sub("identity");
  testing::ProcessResult made = testing::Run(
      {"/usr/bin/env", "LEDGER_TOKEN_TOOL=" LEDGER_TOKEN_PATH, "bash",
       LEDGER_SOURCE_DIR "/tools/dev_identity.sh", identity});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // Secure by default: no identity provider, no start.
  testing::ProcessResult bare = testing::Run(
      {LEDGERD_PATH, "--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("a")});
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_THAT(bare.err, HasSubstr("ledgerd authenticates its callers"));
  // No authentication must be asked for by name, and is loopback only,
  // even with TLS.
  testing::ProcessResult plain =
      testing::Run({LEDGERD_PATH, "--listen=0.0.0.0:0", "--insecure_no_auth",
                    "--data_dir=" + dir.Sub("a")});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, HasSubstr("loopback only"));
  testing::ProcessResult open_tls = testing::Run(
      {LEDGERD_PATH, "--listen=0.0.0.0:0", "--insecure_no_auth",
       "--data_dir=" + dir.Sub("a"), "--tls_cert=" + identity + "/server.pem",
       "--tls_key=" + identity + "/server-key.pem"});
  EXPECT_EQ(open_tls.exit_code, 1);
  EXPECT_THAT(open_tls.err, HasSubstr("loopback only"));
  testing::ProcessResult both = testing::Run(
      {LEDGERD_PATH, "--listen=127.0.0.1:0", "--insecure_no_auth",
       "--data_dir=" + dir.Sub("a"), "--jwks=" + identity + "/jwks.json",
       "--jwt_issuer=urn:complaint-ledger:development-issuer"});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("contradict"));
  testing::ProcessResult dev = testing::Run(
      {LEDGERD_PATH, "--listen=0.0.0.0:0", "--data_dir=" + dir.Sub("b"),
       "--jwks=" + identity + "/jwks.json",
       "--jwt_issuer=urn:complaint-ledger:development-issuer",
       "--tls_cert=" + identity + "/server.pem",
       "--tls_key=" + identity + "/server-key.pem"});
  EXPECT_EQ(dev.exit_code, 2);
  EXPECT_THAT(dev.err, HasSubstr("development issuer"));
}

}  // namespace
}  // namespace ledger
