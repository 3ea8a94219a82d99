// The complaint lifecycle end to end over gRPC against a real ledgerd
// process: one complaint through each of the four tracks, a reopen, a
// repeat upgrade (after failed revisits and at intake), a green-channel
// case, sign-offs; errors with their codes; ledgerctl as a real client;
// the same state after a restart.
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Wednesday 2026-11-18, 10:00 in Shanghai: a known working day.
constexpr char kStart[] = "2026-11-18T10:00:00+08:00";

class ComplaintEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    Register("h1", v1::ROLE_CENTRE_HEAD, "h1");
    Register("a17", v1::ROLE_AGENT);
    Register("a18", v1::ROLE_AGENT);
    Register("gm", v1::ROLE_GENERAL_MANAGER);
    v1::RegisterStation station;
    station.mutable_station()->set_station_id("s1");
    station.mutable_station()->set_name("East station");
    Must(&v1::ReferenceDataService::Stub::RegisterStation, station, "h1");
    v1::RegisterDepartment dept;
    dept.mutable_department()->set_department_id("eng");
    dept.mutable_department()->set_name("Engineering");
    Must(&v1::ReferenceDataService::Stub::RegisterDepartment, dept, "h1");
  }

  void Start() {
    ledgerd_ = std::make_unique<testing::LedgerdProcess>(
        LEDGERD_PATH, dir_.path(), dir_.Sub("data"),
        std::vector<std::string>{absl::StrCat("--start_time=", kStart)});
    ASSERT_FALSE(ledgerd_->target().empty()) << "ledgerd did not start";
    auto channel = grpc::CreateChannel(ledgerd_->target(),
                                       grpc::InsecureChannelCredentials());
    complaints_ = v1::ComplaintService::NewStub(channel);
    reference_ = v1::ReferenceDataService::NewStub(channel);
  }

  template <typename Stub, typename Request>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&,
                                                 v1::CommandResult*),
                    Request request, const std::string& actor,
                    v1::CommandResult* result) {
    request.mutable_context()->set_actor_agent_id(actor);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    Stub* stub;
    if constexpr (std::is_same_v<Stub, v1::ComplaintService::Stub>) {
      stub = complaints_.get();
    } else {
      stub = reference_.get();
    }
    return (stub->*method)(&context, request, result);
  }

  template <typename Stub, typename Request>
  v1::CommandResult Must(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                      const Request&,
                                                      v1::CommandResult*),
                         const Request& request, const std::string& actor) {
    v1::CommandResult result;
    grpc::Status s = Call(method, request, actor, &result);
    EXPECT_TRUE(s.ok()) << Request::descriptor()->name() << ": "
                        << s.error_message();
    return result;
  }

  void Register(const std::string& id, v1::Role role,
                const std::string& actor = "h1") {
    v1::RegisterAgent agent;
    agent.mutable_agent()->set_agent_id(id);
    agent.mutable_agent()->set_display_name(id);
    agent.mutable_agent()->add_roles(role);
    agent.mutable_agent()->set_active(true);
    Must(&v1::ReferenceDataService::Stub::RegisterAgent, agent, actor);
  }

  // A classified complaint from `phone`, taken by a17 on the phone.
  std::string Receive(const std::string& phone, bool green = false,
                      bool classify = true) {
    v1::ReceiveComplaint intake;
    intake.set_channel(v1::CHANNEL_PHONE);
    intake.mutable_customer()->set_phone(phone);
    intake.set_content("The paper arrives wet.");
    intake.set_green_channel(green);
    if (classify) {
      intake.mutable_classification()->set_kind(v1::INFO_KIND_COMPLAINT);
      intake.mutable_classification()->set_category(
          v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
      intake.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    }
    return Must(&C::ReceiveComplaint, intake, "a17").state().complaint_id();
  }

  v1::ComplaintState Track(const std::string& id, v1::HandlingTrack track) {
    v1::ChooseTrack c;
    c.set_complaint_id(id);
    c.set_track(track);
    return Must(&C::ChooseTrack, c, "a17").state();
  }
  v1::ComplaintState Reply(const std::string& id) {
    v1::Reply c;
    c.set_complaint_id(id);
    c.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
    c.set_reply("Delivered in a sleeve from now on.");
    return Must(&C::Reply, c, "a17").state();
  }
  v1::ComplaintState Revisit(const std::string& id, bool resolved) {
    v1::RecordRevisit c;
    c.set_complaint_id(id);
    c.set_satisfaction(resolved ? v1::SATISFACTION_VERY_SATISFIED
                                : v1::SATISFACTION_VERY_DISSATISFIED);
    c.set_resolved(resolved);
    return Must(&C::RecordRevisit, c, "a17").state();
  }
  v1::ComplaintState SignOff(const std::string& id) {
    v1::SignOff c;
    c.set_complaint_id(id);
    c.set_record_complete(true);
    return Must(&C::SignOff, c, "h1").state();
  }
  v1::ComplaintView Get(const std::string& id) {
    grpc::ClientContext context;
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::ComplaintView view;
    grpc::Status s = complaints_->GetComplaint(&context, request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }
  std::vector<std::string> Types(const v1::ComplaintView& view) {
    std::vector<std::string> types;
    for (const auto& e : view.timeline()) {
      types.push_back(e.event_type().substr(e.event_type().rfind('.') + 1));
    }
    return types;
  }

  // ExecuteBatch, and an intake for it.
  grpc::Status Batch(const v1::CommandBatch& batch, v1::BatchResult* result) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    return complaints_->ExecuteBatch(&context, batch, result);
  }
  static v1::ReceiveComplaint Intake(const std::string& id,
                                     const std::string& phone) {
    v1::ReceiveComplaint c = build::ComplaintIntake(id, phone);
    c.mutable_context()->set_actor_agent_id("a17");
    c.set_content("The paper arrives wet.");
    return c;
  }

  using C = v1::ComplaintService::Stub;
  testing::TempDir dir_;
  std::unique_ptr<testing::LedgerdProcess> ledgerd_;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::ReferenceDataService::Stub> reference_;
};

TEST_F(ComplaintEndToEndTest, EachTrackFromIntakeToSignOff) {
  // On the spot.
  const std::string spot = Receive("13800000001");
  EXPECT_EQ(spot, "2026-000001");
  Track(spot, v1::HANDLING_TRACK_ON_THE_SPOT);
  EXPECT_TRUE(Reply(spot).replied_within_deadline());
  Revisit(spot, true);
  EXPECT_EQ(SignOff(spot).stage(), v1::STAGE_CLOSED);

  // Internal study: reply by the end of the next working day.
  const std::string study = Receive("13800000002");
  EXPECT_EQ(Track(study, v1::HANDLING_TRACK_INTERNAL_STUDY).reply_due_us(),
            absl::ToUnixMicros(
                absl::FromCivil(absl::CivilMinute(2026, 11, 19, 17, 30),
                                absl::FixedTimeZone(8 * 3600))));
  Reply(study);
  Revisit(study, true);
  SignOff(study);

  // Coordinated: assist requests to a station and a department.
  const std::string coordinated = Receive("13800000003");
  Track(coordinated, v1::HANDLING_TRACK_COORDINATED);
  v1::RequestAssist dispatch;
  dispatch.set_complaint_id(coordinated);
  dispatch.add_targets()->set_station_id("s1");
  dispatch.add_targets()->set_department_id("eng");
  dispatch.set_request("Check the route and the mailbox.");
  v1::CommandResult sent = Must(&C::RequestAssist, dispatch, "a17");
  ASSERT_EQ(sent.events_size(), 1);
  v1::AnswerAssist answer;
  answer.set_complaint_id(coordinated);
  answer.set_assist_request_id("A1");
  answer.mutable_target()->set_station_id("s1");
  answer.set_answer("Route changed.");
  answer.set_answered_immediately(true);
  Must(&C::AnswerAssist, answer, "a18");
  Reply(coordinated);
  Revisit(coordinated, true);
  SignOff(coordinated);

  // Escalated to the general manager.
  const std::string gm = Receive("13800000004");
  v1::EscalateToGm escalate;
  escalate.set_complaint_id(gm);
  escalate.set_proposal("Refund a quarter's subscription.");
  Must(&C::EscalateToGm, escalate, "h1");
  v1::RecordGmDecision decision;
  decision.set_complaint_id(gm);
  decision.set_decision("Approved.");
  Must(&C::RecordGmDecision, decision, "gm");
  Reply(gm);
  Revisit(gm, true);
  SignOff(gm);

  EXPECT_THAT(Types(Get(gm)),
              ElementsAre("ComplaintReceived", "ComplaintClassified",
                          "HandlingTrackChosen", "EscalatedToGm", "GmDecided",
                          "Replied", "RevisitRecorded", "SignedOff"));
  for (const std::string& id : {spot, study, coordinated, gm}) {
    EXPECT_EQ(Get(id).state().stage(), v1::STAGE_CLOSED) << id;
  }
}

TEST_F(ComplaintEndToEndTest, FailedRevisitsReopenAndUpgradeToRepeat) {
  const std::string id = Receive("13900000001");
  Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY);
  Reply(id);
  v1::ComplaintState s = Revisit(id, false);
  EXPECT_EQ(s.stage(), v1::STAGE_OPEN);
  EXPECT_EQ(s.owner_agent_id(), "a17");
  EXPECT_EQ(s.severity(), v1::SEVERITY_GENERAL);
  Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY);
  Reply(id);
  s = Revisit(id, false);
  EXPECT_EQ(s.severity(), v1::SEVERITY_REPEAT);
  EXPECT_EQ(s.reopen_count(), 2u);
  Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY);
  Reply(id);
  Revisit(id, true);
  EXPECT_EQ(SignOff(id).stage(), v1::STAGE_CLOSED);

  // The same customer again, same category: a repeat at intake.
  const std::string again = Receive("+86 139-0000-0001");
  v1::ComplaintState second = Get(again).state();
  EXPECT_EQ(second.severity(), v1::SEVERITY_REPEAT);
  EXPECT_THAT(second.linked_complaint_ids(), ElementsAre(id));
}

TEST_F(ComplaintEndToEndTest, GreenChannelCaseGoesFirstAndPaperworkFollows) {
  const std::string id = Receive("13700000001", /*green=*/true,
                                 /*classify=*/false);
  Reply(id);  // Before any classification or track.
  Revisit(id, true);
  v1::SignOff sign;
  sign.set_complaint_id(id);
  sign.set_record_complete(true);
  v1::CommandResult result;
  grpc::Status early = Call(&C::SignOff, sign, "h1", &result);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), HasSubstr("paperwork is still pending"));
  v1::Classify classify;
  classify.set_complaint_id(id);
  classify.mutable_classification()->set_kind(v1::INFO_KIND_REPAIR_REQUEST);
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_IMPORTANT);
  EXPECT_TRUE(Must(&C::Classify, classify, "a17").state().flagged_for_head());
  v1::CompletePaperwork paperwork;
  paperwork.set_complaint_id(id);
  EXPECT_FALSE(Must(&C::CompletePaperwork, paperwork, "a17")
                   .state()
                   .paperwork_pending());
  EXPECT_EQ(SignOff(id).stage(), v1::STAGE_CLOSED);
}

TEST_F(ComplaintEndToEndTest, ErrorsCarryTheirCodesAndSayWhatWasWrong) {
  v1::CommandResult result;
  v1::Reply reply;
  reply.set_complaint_id("2026-999999");
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("ok");
  grpc::Status s = Call(&C::Reply, reply, "a17", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string id = Receive("13600000001");
  reply.set_complaint_id(id);
  s = Call(&C::Reply, reply, "a17", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(
      s.error_message(),
      HasSubstr(absl::StrCat("complaint ", id, " is open; cannot reply")));

  v1::ReceiveComplaint bad;
  bad.set_channel(v1::CHANNEL_PHONE);
  bad.set_content("no phone");
  s = Call(&C::ReceiveComplaint, bad, "a17", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("customer.phone is required"));

  v1::ChooseTrack track;
  track.set_complaint_id(id);
  track.set_track(v1::HANDLING_TRACK_ON_THE_SPOT);
  track.mutable_context()->set_expected_revision(0);
  s = Call(&C::ChooseTrack, track, "a17", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(s.error_message(), HasSubstr("at revision 1"));

  v1::SignOff sign;
  sign.set_complaint_id(id);
  s = Call(&C::SignOff, sign, "a17", &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Retried with its command id: the original result, nothing appended.
  track.mutable_context()->clear_expected_revision();
  track.mutable_context()->set_command_id("desk-1/42");
  v1::CommandResult first = Must(&C::ChooseTrack, track, "a17");
  v1::CommandResult retry = Must(&C::ChooseTrack, track, "a17");
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.events(0).position(), first.events(0).position());
  EXPECT_EQ(Get(id).timeline_size(), 3);
}

TEST_F(ComplaintEndToEndTest, LedgerctlActsAndShowsTheTimeline) {
  auto ctl = [this](std::vector<std::string> args) {
    args.insert(args.begin(),
                {LEDGERCTL_PATH, "--target=" + ledgerd_->target()});
    return testing::Run(args);
  };
  testing::ProcessResult received =
      ctl({"receive", "--agent", "a17", "--channel", "visit",
           "--customer-phone", "13500000001", "--content", "Mailbox broken",
           "--kind", "repair-request", "--importance", "general"});
  ASSERT_EQ(received.exit_code, 0) << received.err;
  EXPECT_THAT(received.out,
              HasSubstr("complaint 2026-000001: open, owner a17"));
  ASSERT_EQ(ctl({"choose-track", "2026-000001", "--agent", "a17", "--track",
                 "coordinated"})
                .exit_code,
            0);
  testing::ProcessResult dispatched =
      ctl({"dispatch", "2026-000001", "--agent", "a17", "--targets",
           "department:eng", "--request", "Replace the mailbox"});
  ASSERT_EQ(dispatched.exit_code, 0) << dispatched.err;

  testing::ProcessResult refused =
      ctl({"sign-off", "2026-000001", "--agent", "h1", "--record-complete"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err,
              HasSubstr("FAILED_PRECONDITION: complaint "
                        "2026-000001 is open; cannot sign it off"));
  EXPECT_EQ(
      ctl({"reply", "2026-000001", "--agent", "a17", "--bogus", "x"}).exit_code,
      2);

  testing::ProcessResult shown = ctl({"show", "2026-000001"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("owner_rule=visit-first-receiver"));
  EXPECT_THAT(shown.out, HasSubstr("assist_request_due_us=2026-11-18 17:30"));
  EXPECT_THAT(shown.out, HasSubstr("AssistRequested"));
  EXPECT_THAT(shown.out, HasSubstr("targets=[department:eng]"));
}

TEST_F(ComplaintEndToEndTest, LedgerctlFindsListsAndKeepsItsFormats) {
  auto ctl = [this](std::vector<std::string> args) {
    args.insert(args.begin(),
                {LEDGERCTL_PATH, "--target=" + ledgerd_->target()});
    return testing::Run(args);
  };
  // An e-mail with no phone, whose content starts with "--" and whose
  // address a spreadsheet would run: taken in as given.
  testing::ProcessResult mail =
      ctl({"receive", "--agent", "a17", "--channel", "email",
           "--customer-email", "Wang@Example.cn", "--content",
           "--wet paper again", "--green-channel", "--kind", "complaint",
           "--category", "service-quality", "--importance", "general"});
  ASSERT_EQ(mail.exit_code, 0) << mail.err;
  const std::string phoned = Receive("13800000077");
  testing::ProcessResult found =
      ctl({"find", "--email", "wang@example.cn", "--format", "csv"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr("2026-000001,2026-11-18 10:00,complaint,"
                                   "service-quality"));
  EXPECT_THAT(found.out, Not(HasSubstr(phoned)));
  found = ctl({"find", "--phone", "+86 138 0000 0077"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr(phoned));
  EXPECT_THAT(found.out, HasSubstr("1 complaint by this customer"));
  EXPECT_EQ(ctl({"find", "--email", "no address"}).exit_code, 1);

  testing::ProcessResult shown = ctl({"show", "2026-000001"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("content=\"--wet paper again\""));
  // Its paperwork was due days before today's clock: flagged.
  EXPECT_THAT(shown.out, HasSubstr("OVERDUE"));

  testing::ProcessResult agents = ctl({"list", "agents"});
  ASSERT_EQ(agents.exit_code, 0) << agents.err;
  EXPECT_THAT(agents.out, HasSubstr("general-manager"));
  testing::ProcessResult stations =
      ctl({"list", "stations", "--format", "csv", "--csv_bom"});
  ASSERT_EQ(stations.exit_code, 0) << stations.err;
  EXPECT_EQ(stations.out.rfind("\xEF\xBB\xBFstation_id,name,", 0), 0u);
  EXPECT_THAT(stations.out, HasSubstr("\ns1,East station,"));

  // The log's last two events in their one JSON form: the stored bytes
  // beside the decoded payload.
  testing::ProcessResult last = ctl({"log", "--last", "2", "--format", "json"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  std::vector<std::string> lines =
      absl::StrSplit(last.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_THAT(line, HasSubstr("\"payload\":{"));
    EXPECT_THAT(line, HasSubstr("\"payload_base64\":\""));
    EXPECT_THAT(line, HasSubstr("+08:00\""));
  }
  testing::ProcessResult missing = ctl({"read", "complaint-404"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));

  // Reports: a month still running is pending; an unknown agent has no
  // scorecard; a month must be a month.
  testing::ProcessResult running =
      ctl({"analysis", "--month", "2026-11", "--now", "2026-11-20T12:00"});
  ASSERT_EQ(running.exit_code, 0) << running.err;
  EXPECT_THAT(running.out, HasSubstr("pending"));
  EXPECT_THAT(running.out, Not(HasSubstr("FAIL")));
  testing::ProcessResult ended =
      ctl({"analysis", "--month", "2026-11", "--now", "2026-12-01 00:00"});
  ASSERT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_THAT(ended.out, Not(HasSubstr("pending")));
  EXPECT_THAT(ended.out, HasSubstr("n/a"));  // November 2025 had nothing
  testing::ProcessResult stranger =
      ctl({"scorecard", "x9", "--month", "2026-11"});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_THAT(stranger.err, HasSubstr("NOT_FOUND"));
  EXPECT_EQ(ctl({"stations", "--month", "2026-1x"}).exit_code, 2);
}

TEST_F(ComplaintEndToEndTest, QueriesOverGrpcAndLedgerctlShowTheQueues) {
  const std::string id = Receive("13800000011");
  Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY);
  auto query = v1::QueryService::NewStub(grpc::CreateChannel(
      ledgerd_->target(), grpc::InsecureChannelCredentials()));
  v1::GetQueueRequest request;
  request.set_kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  request.set_owner_agent_id("a17");
  v1::GetQueueResponse queue;
  // The projection runner follows the log asynchronously: ask until it has
  // read this far (bounded).
  for (int i = 0; i < 600; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(query->GetQueue(&context, request, &queue).ok());
    if (queue.items_size() == 1 && queue.items(0).due_what() == "reply") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(queue.items_size(), 1);
  EXPECT_EQ(queue.items(0).complaint_id(), id);
  EXPECT_EQ(queue.items(0).due_what(), "reply");
  const uint64_t then = queue.position();

  Reply(id);
  // As of the earlier position: still the reply that was due.
  request.set_as_of_position(then);
  grpc::ClientContext past_context;
  v1::GetQueueResponse past;
  ASSERT_TRUE(query->GetQueue(&past_context, request, &past).ok());
  ASSERT_EQ(past.items_size(), 1);
  EXPECT_EQ(past.items(0).due_what(), "reply");
  request.set_as_of_position(1000000);
  grpc::ClientContext bad_context;
  EXPECT_EQ(query->GetQueue(&bad_context, request, &past).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Live, once the runner has read the reply.
  v1::GetQueueRequest revisits;
  revisits.set_kind(v1::QUEUE_KIND_REVISITS_DUE);
  for (int i = 0; i < 600; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(query->GetQueue(&context, revisits, &queue).ok());
    if (queue.items_size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  testing::ProcessResult shown =
      testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd_->target(), "queue",
                    "revisits-due", "--format=csv"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr(absl::StrCat(",revisit,", id, ",a17,")));
  testing::ProcessResult analysis =
      testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd_->target(),
                    "analysis", "--month=2026-11"});
  ASSERT_EQ(analysis.exit_code, 0) << analysis.err;
  EXPECT_THAT(analysis.out, HasSubstr("timely acceptance"));
}

TEST_F(ComplaintEndToEndTest, RestartGivesTheSameStateAndKeepsNumbering) {
  const std::string id = Receive("13800000009");
  Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
  const std::string before = Get(id).SerializeAsString();
  ASSERT_EQ(ledgerd_->Stop(), 0);
  Start();
  EXPECT_EQ(Get(id).SerializeAsString(), before);
  EXPECT_EQ(Receive("13800000010"), "2026-000002");
}

// ExecuteBatch: the commands in order, each decided as its own RPC would be.

TEST_F(ComplaintEndToEndTest, DamagedViewsAreRebuiltFromTheLogAtStart) {
  // Issue 22, finding 3: a flipped bit in a view row or a view's file made
  // ledgerd refuse to start, though the log was intact. Views are derived:
  // dropped and rebuilt from the log, and commands go on.
  const std::string id = Receive("13800000001");
  Receive("13800000002");
  ASSERT_EQ(ledgerd_->Stop(), 0);
  int damaged = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_.Sub("data") + "/views")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name == "LOCK" || name.starts_with("LOG")) {
      continue;
    }
    const auto size = std::filesystem::file_size(entry.path());
    if (size == 0) continue;
    std::fstream f(entry.path(),
                   std::ios::in | std::ios::out | std::ios::binary);
    for (uint64_t offset = 0; offset < size; offset += 13) {
      f.seekp(static_cast<std::streamoff>(offset));
      f.put('\x5a');
    }
    ++damaged;
  }
  ASSERT_GT(damaged, 0) << "no views' files to damage";
  Start();
  auto query = v1::QueryService::NewStub(grpc::CreateChannel(
      ledgerd_->target(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(ledgerd_->WaitForProjections(1));
  grpc::ClientContext context;
  v1::ListProjectionsResponse list;
  ASSERT_TRUE(
      query->ListProjections(&context, v1::ListProjectionsRequest(), &list)
          .ok());
  ASSERT_FALSE(list.projections().empty());
  EXPECT_THAT(list.projections(0).rebuilt_after(), HasSubstr("DATA_LOSS"));
  // The log is whole: the complaints read back and commands go on.
  EXPECT_EQ(Get(id).state().complaint_id(), id);
  EXPECT_EQ(Receive("13800000003"), "2026-000003");
}

TEST_F(ComplaintEndToEndTest, AnOversizeFieldIsTheLedgersInvalidArgument) {
  // Issue 22, finding 5: a 10 MB content got RESOURCE_EXHAUSTED from
  // gRPC's 4 MiB cap, which clients read as "busy, retry".
  v1::ReceiveComplaint c = Intake("", "13800000001");
  c.set_content(std::string(10 << 20, 'x'));
  grpc::ClientContext context;
  v1::CommandResult result;
  const grpc::Status s = complaints_->ReceiveComplaint(&context, c, &result);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("content"));
}

TEST_F(ComplaintEndToEndTest, BatchDecidesInOrderWithAResultForEachCommand) {
  v1::CommandBatch batch;
  *batch.add_commands()->mutable_receive_complaint() =
      Intake("desk-100001", "13800000001");
  // The same customer, same category, in the same batch: a repeat of the
  // one before, which it can only see if that one was decided first.
  *batch.add_commands()->mutable_receive_complaint() =
      Intake("desk-100002", "+86 138 0000 0001");
  v1::ChooseTrack track;
  track.mutable_context()->set_actor_agent_id("a17");
  track.mutable_context()->set_command_id("track-1");
  track.set_complaint_id("desk-100001");
  track.set_track(v1::HANDLING_TRACK_ON_THE_SPOT);
  *batch.add_commands()->mutable_choose_track() = track;
  // Refused by the rules: a reply to a complaint never received.
  v1::Reply reply;
  reply.mutable_context()->set_actor_agent_id("a17");
  reply.set_complaint_id("2026-100099");
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("Done.");
  *batch.add_commands()->mutable_reply() = reply;
  // A retry of the track command inside the same batch: answered, not
  // applied twice.
  *batch.add_commands()->mutable_choose_track() = track;
  // Refused: an agent without the role cannot sign off.
  v1::SignOff sign;
  sign.mutable_context()->set_actor_agent_id("a18");
  sign.set_complaint_id("desk-100001");
  sign.set_record_complete(true);
  *batch.add_commands()->mutable_sign_off() = sign;
  // Numbered by the ledger.
  v1::ReceiveComplaint numbered = Intake("", "13800000003");
  *batch.add_commands()->mutable_receive_complaint() = numbered;

  batch.set_with_events(true);
  const uint64_t head_before = ledgerd_->LogHead();
  v1::BatchResult result;
  grpc::Status s = Batch(batch, &result);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(result.results_size(), batch.commands_size());
  std::vector<int> codes;
  for (const auto& r : result.results()) codes.push_back(r.code());
  EXPECT_THAT(codes, ElementsAre(grpc::OK, grpc::OK, grpc::OK, grpc::NOT_FOUND,
                                 grpc::OK, grpc::PERMISSION_DENIED, grpc::OK));
  EXPECT_THAT(result.results(3).message(), HasSubstr("2026-100099"));
  EXPECT_FALSE(result.results(5).message().empty());
  EXPECT_FALSE(result.results(2).result().duplicate());
  EXPECT_TRUE(result.results(4).result().duplicate());
  EXPECT_EQ(result.results(4).result().events(0).position(),
            result.results(2).result().events(0).position());
  // Appended in batch order; nothing but what the results name.
  uint64_t last = head_before;
  uint64_t appended = 0;
  for (int i : {0, 1, 2, 6}) {
    for (const v1::Event& e : result.results(i).result().events()) {
      EXPECT_GT(e.position(), last) << "command " << i;
      last = e.position();
      ++appended;
    }
  }
  EXPECT_EQ(ledgerd_->LogHead(), head_before + appended);
  // Each result also says where its events went, duplicates included.
  for (int i : {0, 1, 2, 4, 6}) {
    const v1::CommandResult& full = result.results(i).result();
    const v1::Appended& where = result.results(i).appended();
    ASSERT_GT(full.events_size(), 0) << "command " << i;
    EXPECT_EQ(where.stream_id(), full.events(0).stream_id()) << i;
    EXPECT_EQ(where.position_first(), full.events(0).position()) << i;
    EXPECT_EQ(where.position_last(),
              full.events(full.events_size() - 1).position())
        << i;
    EXPECT_EQ(where.revision_first(), full.events(0).revision()) << i;
    EXPECT_EQ(where.duplicate(), full.duplicate()) << i;
  }
  EXPECT_FALSE(result.results(3).has_appended());

  // What the commands did, read back as any client would.
  v1::ComplaintState first = Get("desk-100001").state();
  EXPECT_EQ(first.track(), v1::HANDLING_TRACK_ON_THE_SPOT);
  EXPECT_EQ(first.stage(), v1::STAGE_OPEN);
  v1::ComplaintState second = Get("desk-100002").state();
  EXPECT_EQ(second.severity(), v1::SEVERITY_REPEAT);
  EXPECT_THAT(second.linked_complaint_ids(), ElementsAre("desk-100001"));
  const std::string& stream = result.results(6).result().events(0).stream_id();
  EXPECT_EQ(Get(stream.substr(stream.find('-') + 1)).state().owner_agent_id(),
            "a17");
}

TEST_F(ComplaintEndToEndTest, BatchABadBatchIsRefusedWholeAndChangesNothing) {
  const uint64_t head_before = ledgerd_->LogHead();
  v1::BatchResult result;
  grpc::Status empty = Batch(v1::CommandBatch(), &result);
  EXPECT_EQ(empty.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("no commands"));

  v1::CommandBatch hole;
  *hole.add_commands()->mutable_receive_complaint() =
      Intake("desk-100001", "13800000001");
  hole.add_commands();  // Nothing set.
  grpc::Status unset = Batch(hole, &result);
  EXPECT_EQ(unset.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(unset.error_message(), HasSubstr("command 1 of the batch"));

  v1::CommandBatch too_long;
  for (int i = 0; i < 1001; ++i) {
    *too_long.add_commands()->mutable_receive_complaint() =
        Intake("", absl::StrCat("1380000", 1000 + i));
  }
  grpc::Status over = Batch(too_long, &result);
  EXPECT_EQ(over.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(over.error_message(), HasSubstr("1001 commands; at most 1000"));
  EXPECT_EQ(ledgerd_->LogHead(), head_before);
}

TEST_F(ComplaintEndToEndTest, BatchMoreBatchesAtOnceThanWorkersAllComplete) {
  // Batches run on a fixed set of threads; those beyond it wait their turn
  // and still get their results.
  constexpr int kBatches = 3 * 8;
  constexpr int kPerBatch = 5;
  const uint64_t head_before = ledgerd_->LogHead();
  std::vector<v1::BatchResult> results(kBatches);
  std::vector<grpc::Status> statuses(kBatches);
  std::vector<std::thread> threads;
  for (int b = 0; b < kBatches; ++b) {
    threads.emplace_back([&, b] {
      v1::CommandBatch batch;
      for (int i = 0; i < kPerBatch; ++i) {
        *batch.add_commands()->mutable_receive_complaint() =
            Intake("", absl::StrCat("139", 10000000 + b * 100 + i));
      }
      statuses[b] = Batch(batch, &results[b]);
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> streams;
  uint64_t appended = 0;
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_TRUE(statuses[b].ok()) << b << ": " << statuses[b].error_message();
    ASSERT_EQ(results[b].results_size(), kPerBatch);
    for (const auto& r : results[b].results()) {
      ASSERT_EQ(r.code(), grpc::OK) << r.message();
      // Not asked for: where the events went, not the events.
      EXPECT_FALSE(r.has_result());
      EXPECT_FALSE(r.appended().duplicate());
      EXPECT_EQ(r.appended().revision_first(), 0u);
      streams.insert(r.appended().stream_id());
      appended +=
          r.appended().position_last() - r.appended().position_first() + 1;
    }
  }
  EXPECT_EQ(streams.size(), size_t{kBatches * kPerBatch});
  EXPECT_EQ(ledgerd_->LogHead(), head_before + appended);
}

TEST_F(ComplaintEndToEndTest,
       BatchARetriedIntakeIsAnsweredWithItsFirstComplaint) {
  // Numbered by the ledger: the retry must not be numbered again.
  v1::ReceiveComplaint intake = Intake("", "13800000005");
  intake.mutable_context()->set_command_id("intake-5");
  v1::CommandBatch batch;
  *batch.add_commands()->mutable_receive_complaint() = intake;
  v1::BatchResult first;
  ASSERT_TRUE(Batch(batch, &first).ok());
  ASSERT_EQ(first.results(0).code(), grpc::OK) << first.results(0).message();
  EXPECT_FALSE(first.results(0).appended().duplicate());
  const uint64_t head = ledgerd_->LogHead();

  for (bool with_events : {false, true}) {
    batch.set_with_events(with_events);
    v1::BatchResult again;
    ASSERT_TRUE(Batch(batch, &again).ok());
    ASSERT_EQ(again.results(0).code(), grpc::OK) << again.results(0).message();
    const v1::Appended& where = again.results(0).appended();
    EXPECT_TRUE(where.duplicate()) << with_events;
    EXPECT_EQ(where.stream_id(), first.results(0).appended().stream_id());
    EXPECT_EQ(where.position_first(),
              first.results(0).appended().position_first());
    EXPECT_EQ(again.results(0).result().events_size(),
              with_events ? first.results(0).appended().position_last() -
                                first.results(0).appended().position_first() + 1
                          : 0);
  }
  EXPECT_EQ(ledgerd_->LogHead(), head);
}

}  // namespace
}  // namespace ledger
