// End to end: a real ledgerd process on port 0 in a temporary directory,
// read back through a C++ gRPC stub and through the ledgerctl binary; health
// checking and reflection answer; SIGTERM shuts it down cleanly.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/verify.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"
#include "third_party/grpc/reflection/v1/reflection.grpc.pb.h"
#include "third_party/grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

constexpr int kStreams = 5;
constexpr int kAppendsPerStream = 50;  // 2 events each: 500 events.
// Long enough for any call here; a call held up fails the test, not hangs.
constexpr auto kCallTimeout = std::chrono::seconds(30);

class GrpcEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = dir_.Sub("data");
    {
      // Raw events of any type, as only the store API can write them.
      auto store = EventStore::Open(data_dir_);
      ASSERT_TRUE(store.ok()) << store.status();
      for (int i = 0; i < kAppendsPerStream; ++i) {
        for (int s = 0; s < kStreams; ++s) {
          ASSERT_TRUE(
              (*store)
                  ->Append(testing::Request(absl::StrCat("complaint-", s), 2))
                  .ok());
        }
      }
      auto log = testing::ReadWholeLog(**store);
      ASSERT_TRUE(log.ok());
      expected_ = *std::move(log);
    }
    ledgerd_ = std::make_unique<testing::LedgerdProcess>(
        LEDGERD_PATH, dir_.path(), data_dir_,
        std::vector<std::string>{"--publish_shipped_calendar=false"});
    target_ = ledgerd_->target();
    ASSERT_FALSE(target_.empty()) << "ledgerd did not start";
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    stub_ = v1::Ledger::NewStub(channel_);
  }

  // Sends SIGTERM and returns ledgerd's exit code.
  int Stop() { return ledgerd_->Stop(); }

  testing::ProcessResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {LEDGERCTL_PATH, "--target=" + target_});
    return testing::Run(args);
  }

  testing::TempDir dir_;
  std::string data_dir_;
  std::vector<v1::Event> expected_;
  std::unique_ptr<testing::LedgerdProcess> ledgerd_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

TEST_F(GrpcEndToEndTest, HealthCheckAnswersServing) {
  EXPECT_EQ(ledgerd_->Health(""),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(GrpcEndToEndTest, ReflectionListsTheLedgerService) {
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"ledger.v1.Ledger", "grpc.health.v1.Health"}));
  while (stream->Read(&response)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

// Every service reflection lists has a health status of its own (ledgerd is
// a process of its own: what this test binary links does not help it), and
// reflection describes the health service.
TEST_F(GrpcEndToEndTest, ReflectionV1ListsServicesAndDescribesSymbols) {
  namespace r = grpc::reflection::v1;
  auto reflection = r::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  r::ServerReflectionRequest request;
  r::ServerReflectionResponse response;

  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"ledger.v1.Ledger", "ledger.v1.ComplaintService",
                          "grpc.health.v1.Health",
                          "grpc.reflection.v1.ServerReflection",
                          "grpc.reflection.v1alpha.ServerReflection"}));

  // A method's file, then the files it needs that were not sent yet.
  request.set_file_containing_symbol("ledger.v1.Ledger.ReadAll");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GE(response.file_descriptor_response().file_descriptor_proto_size(),
            2);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "ledger/v1/ledger_service.proto");
  EXPECT_EQ(file.package(), "ledger.v1");
  // A file already sent on this stream comes alone.
  request.set_file_by_filename("ledger/v1/ledger_service.proto");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.file_descriptor_response().file_descriptor_proto_size(),
            1);
  request.set_file_containing_symbol("grpc.health.v1.Health");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.file_descriptor_response().file_descriptor_proto_size(),
            1);

  request.set_file_containing_symbol("ledger.v1.NoSuchThing");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(response.original_request().file_containing_symbol(),
            "ledger.v1.NoSuchThing");
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GrpcEndToEndTest, HealthAnswersForEveryServiceAndReflectionFindsIt) {
  ASSERT_TRUE(ledgerd_->WaitForProjections(expected_.size()));
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  request.set_file_containing_symbol("grpc.health.v1.Health");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse listed, described;
  ASSERT_TRUE(stream->Read(&listed));
  ASSERT_TRUE(stream->Read(&described));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_FALSE(described.has_error_response())
      << described.error_response().error_message();
  EXPECT_GE(described.file_descriptor_response().file_descriptor_proto_size(),
            1);

  std::vector<std::string> ours;
  for (const auto& service : listed.list_services_response().service()) {
    if (service.name().rfind("ledger.", 0) == 0) ours.push_back(service.name());
  }
  EXPECT_THAT(ours, ::testing::IsSupersetOf(
                        {"ledger.v1.Ledger", "ledger.v1.ComplaintService",
                         "ledger.v1.QueryService", "ledger.v1.AuditService"}));
  for (const std::string& name : ours) {
    EXPECT_EQ(ledgerd_->Health(name),
              grpc::health::v1::HealthCheckResponse::SERVING)
        << name;
  }
}

// A ledger whose log lost acknowledged events refuses commands (and says
// so in its health), while its readers still serve an auditor.
TEST(GrpcDamageTest, ADamagedLogMakesTheCommandServicesNotServing) {
  testing::TempDir dir;
  const std::string data = dir.Sub("data");
  {
    EventStoreOptions options;
    options.flush_at_close = false;  // Left in the WAL, as a crash leaves it.
    auto store = EventStore::Open(data, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(
          (*store)
              ->Append(testing::Request(absl::StrCat("complaint-", i % 7), 3))
              .ok());
    }
  }
  std::vector<std::filesystem::path> wals;
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    if (entry.path().extension() == ".log" &&
        std::filesystem::file_size(entry.path()) > 0) {
      wals.push_back(entry.path());
    }
  }
  ASSERT_FALSE(wals.empty());
  std::sort(wals.begin(), wals.end());
  std::filesystem::resize_file(wals.back(),
                               std::filesystem::file_size(wals.back()) / 2);

  testing::LedgerdProcess ledgerd(
      LEDGERD_PATH, dir.path(), data,
      std::vector<std::string>{"--publish_shipped_calendar=false"});
  ASSERT_FALSE(ledgerd.target().empty()) << "ledgerd did not start";
  using Response = grpc::health::v1::HealthCheckResponse;
  EXPECT_EQ(ledgerd.Health("ledger.v1.ComplaintService"),
            Response::NOT_SERVING);
  EXPECT_EQ(ledgerd.Health("ledger.v1.ReferenceDataService"),
            Response::NOT_SERVING);
  EXPECT_EQ(ledgerd.Health("ledger.v1.Ledger"), Response::SERVING);
  EXPECT_EQ(ledgerd.Health("ledger.v1.AuditService"), Response::SERVING);
  EXPECT_EQ(ledgerd.Health(""), Response::SERVING);
  // Reads that need the customer index say why they cannot answer.
  auto complaints = v1::ComplaintService::NewStub(grpc::CreateChannel(
      ledgerd.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::FindComplaintsRequest find;
  find.mutable_customer()->set_phone("13800138000");
  v1::FindComplaintsResponse found;
  grpc::Status s = complaints->FindComplaints(&context, find, &found);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("until the log is repaired"));
  EXPECT_EQ(ledgerd.Health(""), Response::SERVING);  // still up
}

TEST_F(GrpcEndToEndTest, StubReadsBackEveryEvent) {
  std::vector<v1::Event> read;
  v1::ReadAllRequest request;
  request.set_from_position(1);
  request.set_limit(128);
  while (true) {
    grpc::ClientContext context;
    v1::ReadAllResponse response;
    ASSERT_TRUE(stub_->ReadAll(&context, request, &response).ok());
    EXPECT_EQ(response.log_position_last(), expected_.size());
    if (response.events().empty()) break;
    read.insert(read.end(), response.events().begin(), response.events().end());
    request.set_from_position(read.back().position() + 1);
  }
  ASSERT_EQ(read.size(), expected_.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].SerializeAsString(), expected_[i].SerializeAsString());
  }

  grpc::ClientContext head_context;
  v1::GetHeadRequest head_request;
  head_request.set_stream_id("complaint-3");
  v1::GetHeadResponse head;
  ASSERT_TRUE(stub_->GetHead(&head_context, head_request, &head).ok());
  EXPECT_EQ(head.revision_last(), 2u * kAppendsPerStream - 1);

  grpc::ClientContext log_context;
  v1::GetLogHeadResponse log_head;
  ASSERT_TRUE(stub_->GetLogHead(&log_context, {}, &log_head).ok());
  EXPECT_EQ(log_head.position_last(), expected_.size());
  EXPECT_EQ(log_head.hash_last(), expected_.back().hash());
}

TEST_F(GrpcEndToEndTest, StubReadsStreamsBothWays) {
  v1::ReadStreamRequest request;
  request.set_stream_id("complaint-2");
  request.set_direction(v1::READ_DIRECTION_BACKWARD);
  request.set_from_end(true);
  request.set_limit(3);
  grpc::ClientContext context;
  v1::ReadStreamResponse response;
  ASSERT_TRUE(stub_->ReadStream(&context, request, &response).ok());
  ASSERT_EQ(response.events_size(), 3);
  EXPECT_EQ(response.events(0).revision(), 2u * kAppendsPerStream - 1);
  EXPECT_EQ(response.events(2).revision(), 2u * kAppendsPerStream - 3);
  EXPECT_FALSE(response.end_of_stream());

  request.set_direction(v1::READ_DIRECTION_FORWARD);
  request.set_from_end(false);
  request.set_from_revision(2 * kAppendsPerStream - 2);
  request.set_limit(10);
  grpc::ClientContext forward_context;
  ASSERT_TRUE(stub_->ReadStream(&forward_context, request, &response).ok());
  EXPECT_EQ(response.events_size(), 2);
  EXPECT_TRUE(response.end_of_stream());
}

// Every method is a callback method (services/callbacks.h); each Subscribe
// streams from a thread of its own, not from the pool that reads and queries
// share. Three times the pool's threads (LedgerServer::kPoolWorkers) of open
// subscriptions each get the whole log, and reads still answer beside them.
TEST_F(GrpcEndToEndTest, OpenSubscriptionsBeyondThePoolsThreadsAllStream) {
  constexpr int kSubscribers = 48;
  const auto deadline = std::chrono::system_clock::now() + kCallTimeout;
  auto subscriptions = v1::Subscriptions::NewStub(channel_);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>>>
      readers;
  for (int i = 0; i < kSubscribers; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(deadline);
    v1::SubscribeRequest request;
    request.set_from_position(1);
    readers.push_back(subscriptions->Subscribe(contexts.back().get(), request));
  }
  // Each stays open (live) after catching up, holding whatever runs it.
  for (int i = 0; i < kSubscribers; ++i) {
    uint64_t last = 0;
    v1::SubscribeResponse response;
    while (readers[i]->Read(&response) && !response.has_caught_up()) {
      if (response.has_event()) {
        ASSERT_EQ(response.event().position(), last + 1) << "subscriber " << i;
        last = response.event().position();
      }
    }
    ASSERT_EQ(last, expected_.size())
        << "subscriber " << i << ": " << readers[i]->Finish().error_message();
  }

  grpc::ClientContext head_context;
  head_context.set_deadline(deadline);
  v1::GetHeadRequest head_request;
  head_request.set_stream_id("complaint-1");
  v1::GetHeadResponse head;
  grpc::Status s = stub_->GetHead(&head_context, head_request, &head);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(head.revision_last(), 2u * kAppendsPerStream - 1);

  for (int i = 0; i < kSubscribers; ++i) {
    contexts[i]->TryCancel();
    EXPECT_EQ(readers[i]->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(Stop(), 0);
}

TEST_F(GrpcEndToEndTest, BadRequestsGetClearStatusCodes) {
  auto code_of = [&](auto call) {
    grpc::ClientContext context;
    return call(&context).error_code();
  };
  v1::ReadAllResponse all;
  v1::ReadAllRequest too_many;
  too_many.set_limit(kMaxPageSize + 1);
  EXPECT_EQ(code_of([&](auto* c) { return stub_->ReadAll(c, too_many, &all); }),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetHeadResponse head;
  v1::GetHeadRequest unknown;
  unknown.set_stream_id("complaint-404");
  EXPECT_EQ(code_of([&](auto* c) { return stub_->GetHead(c, unknown, &head); }),
            grpc::StatusCode::NOT_FOUND);
  v1::GetHeadRequest bad_id;
  bad_id.set_stream_id("has space");
  EXPECT_EQ(code_of([&](auto* c) { return stub_->GetHead(c, bad_id, &head); }),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ReadStreamResponse stream;
  v1::ReadStreamRequest forward_from_end;
  forward_from_end.set_stream_id("complaint-1");
  forward_from_end.set_from_end(true);
  EXPECT_EQ(code_of([&](auto* c) {
              return stub_->ReadStream(c, forward_from_end, &stream);
            }),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcEndToEndTest, LedgerctlReadsAndVerifies) {
  testing::ProcessResult verify = Ctl({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr(absl::StrCat("chain OK: ", expected_.size(),
                                                 " events")));

  testing::ProcessResult log =
      Ctl({"log", "--from=7", "--limit=3", "--format=json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::vector<std::string> lines =
      absl::StrSplit(log.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("\"position\":7,"));
  EXPECT_THAT(lines[2], HasSubstr("\"position\":9,"));

  // Paging inside ledgerctl: more events than one page.
  testing::ProcessResult read = Ctl({"read", "complaint-4", "--format=json"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  lines = absl::StrSplit(read.out, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 2u * kAppendsPerStream);

  testing::ProcessResult text =
      Ctl({"read", "complaint-4", "--backward", "--limit=2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("POSITION"));
  EXPECT_THAT(text.out, HasSubstr(absl::StrCat("complaint-4@",
                                               2 * kAppendsPerStream - 1)));

  testing::ProcessResult head = Ctl({"head", "complaint-0"});
  EXPECT_EQ(head.exit_code, 0);
  EXPECT_THAT(head.out,
              HasSubstr(absl::StrCat("revision ", 2 * kAppendsPerStream - 1)));
  testing::ProcessResult missing = Ctl({"head", "complaint-404"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);

  // The views: where they read, as a table or a JSON line each.
  testing::ProcessResult views = Ctl({"projections"});
  ASSERT_EQ(views.exit_code, 0) << views.err;
  EXPECT_THAT(views.out, HasSubstr("reading the ledger in process"));
  testing::ProcessResult views_json = Ctl({"projections", "--format=json"});
  ASSERT_EQ(views_json.exit_code, 0) << views_json.err;
  lines = absl::StrSplit(views_json.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << views_json.out;
  EXPECT_THAT(lines[0], HasSubstr("\"name\":\"queues\""));
  EXPECT_THAT(lines[0], HasSubstr("\"source\":\"the ledger in process\""));
}

TEST_F(GrpcEndToEndTest, SigtermShutsDownCleanly) {
  EXPECT_EQ(Stop(), 0);
  // RocksDB was closed: the directory opens again, whole.
  auto store = EventStore::Open(data_dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->log_head().position_last, expected_.size());
  EXPECT_TRUE(VerifyStore(**store).status.ok());
}

TEST_F(GrpcEndToEndTest, VerifyReportsTheBrokenPositionOnlineAndOffline) {
  ASSERT_EQ(Stop(), 0);
  constexpr uint64_t kVictim = 123;
  // One record rewritten with a changed payload but its old hash.
  testing::ProcessResult tamper =
      testing::Run({TAMPER_PATH, data_dir_, absl::StrCat(kVictim)});
  ASSERT_EQ(tamper.exit_code, 0) << tamper.err;

  testing::ProcessResult offline = testing::Run(
      {LEDGERCTL_PATH, "verify", "--data_dir=" + data_dir_, "--format=json"});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_THAT(offline.out, HasSubstr("\"first_broken_position\":123"));
  EXPECT_THAT(offline.out,
              HasSubstr(absl::StrCat("\"events_verified\":", kVictim - 1)));

  ledgerd_ = std::make_unique<testing::LedgerdProcess>(
      LEDGERD_PATH, dir_.path(), data_dir_,
      std::vector<std::string>{"--publish_shipped_calendar=false"});
  target_ = ledgerd_->target();
  ASSERT_FALSE(target_.empty()) << "ledgerd did not start";
  testing::ProcessResult online = Ctl({"verify"});
  EXPECT_EQ(online.exit_code, 1);
  EXPECT_THAT(online.out, HasSubstr("chain BROKEN at position 123"));
}

TEST_F(GrpcEndToEndTest, AReadDirectionOutsideTheEnumIsInvalidArgument) {
  // Issue 22, finding 5: direction 999 was read as forward.
  grpc::ClientContext context;
  v1::ReadStreamRequest request;
  request.set_stream_id("complaint-0");
  request.set_direction(static_cast<v1::ReadDirection>(999));
  v1::ReadStreamResponse response;
  const grpc::Status read = stub_->ReadStream(&context, request, &response);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(read.error_message(), HasSubstr("direction 999"));
}

TEST_F(GrpcEndToEndTest, StreamReadsRefuseARecordChangedWithItsHashRecomputed) {
  // Issue 22, finding 2: with one payload changed and its own hash
  // recomputed, ReadAll and verify said DATA_LOSS, but ReadStream (and so
  // GetComplaint) served the altered event with OK.
  ASSERT_EQ(Stop(), 0);
  constexpr uint64_t kVictim = 123;
  const v1::Event& victim = expected_[kVictim - 1];
  testing::ProcessResult tamper =
      testing::Run({TAMPER_PATH, data_dir_, absl::StrCat(kVictim), "--rehash"});
  ASSERT_EQ(tamper.exit_code, 0) << tamper.err;
  ledgerd_ = std::make_unique<testing::LedgerdProcess>(
      LEDGERD_PATH, dir_.path(), data_dir_,
      std::vector<std::string>{"--publish_shipped_calendar=false"});
  target_ = ledgerd_->target();
  ASSERT_FALSE(target_.empty()) << "ledgerd did not start";
  channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  stub_ = v1::Ledger::NewStub(channel_);

  grpc::ClientContext context;
  v1::ReadStreamRequest request;
  request.set_stream_id(victim.stream_id());
  v1::ReadStreamResponse response;
  const grpc::Status read = stub_->ReadStream(&context, request, &response);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::DATA_LOSS)
      << read.error_message();
  EXPECT_THAT(read.error_message(), HasSubstr("123"));
  // A stream the damage does not touch still reads.
  const std::string other =
      victim.stream_id() == "complaint-0" ? "complaint-1" : "complaint-0";
  grpc::ClientContext other_context;
  request.set_stream_id(other);
  EXPECT_TRUE(stub_->ReadStream(&other_context, request, &response).ok());
  testing::ProcessResult online = Ctl({"verify"});
  EXPECT_EQ(online.exit_code, 1);
}

}  // namespace
}  // namespace ledger
