// ComplaintApp over a real RocksDB store: idempotent retries, expected
// revisions, races on one complaint, and what survives a restart.
#include "app/complaint_app.h"

#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "tests/test_util.h"

namespace ledger::testing {
namespace {

using ::testing::HasSubstr;

absl::Time Wednesday10am() {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  return absl::FromCivil(absl::CivilMinute(2026, 11, 18, 10, 0), shanghai);
}

class ComplaintAppTest : public ::testing::Test {
 protected:
  ComplaintAppTest() : clock_(std::make_shared<FakeClock>(Wednesday10am())) {
    Open();
    Register("h1", v1::ROLE_CENTRE_HEAD);
    Register("a17", v1::ROLE_AGENT);
    Register("a18", v1::ROLE_AGENT);
  }

  void Open() {
    app_.reset();
    store_.reset();
    EventStoreOptions options;
    options.clock = clock_;
    auto store = EventStore::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ComplaintAppOptions app_options;
    app_options.clock = clock_;
    app_options.writes_here = writes_here_;
    auto app = ComplaintApp::Create(store_.get(), app_options);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
  }

  void Register(const std::string& id, v1::Role role) {
    ASSERT_TRUE(app_->Execute(build::Agent(id, {role}), "h1").ok());
  }

  v1::ReceiveComplaint Intake(const std::string& command_id = "") {
    v1::ReceiveComplaint c = build::ComplaintIntake();
    c.mutable_context()->set_command_id(command_id);
    c.set_content("No paper today.");
    return c;
  }

  std::string Receive() {
    auto result = app_->Execute(Intake(), "a17");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->state().complaint_id() : "";
  }

  TempDir dir_;
  std::shared_ptr<FakeClock> clock_;
  std::function<absl::Status()> writes_here_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintApp> app_;
};

TEST_F(ComplaintAppTest, ShippedCalendarIsPublishedOnceIntoTheReferenceStream) {
  auto events = store_->ReadStream(kCalendarStream, std::nullopt,
                                   ReadDirection::kForward, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_TRUE(Is<v1::CalendarPublished>((*events)[0]));
  EXPECT_EQ((*events)[0].actor(), kSystemActor);
  Open();
  events = store_->ReadStream(kCalendarStream, std::nullopt,
                              ReadDirection::kForward, 10);
  EXPECT_EQ(events->size(), 1u);
}

TEST_F(ComplaintAppTest, ReceiveNumbersComplaintsPerYearAndReturnsEvents) {
  auto first = app_->Execute(Intake(), "a17");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state().complaint_id(), "2026-000001");
  ASSERT_EQ(first->events_size(), 2);
  EXPECT_EQ(first->events(0).stream_id(), "complaint-2026-000001");
  EXPECT_GT(first->events(0).position(), 0u);
  EXPECT_EQ(first->events(0).hash().size(), 32u);
  EXPECT_FALSE(first->duplicate());
  EXPECT_EQ(Receive(), "2026-000002");
}

TEST_F(ComplaintAppTest, AGivenIdCannotTakeANumberOfTheNumbering) {
  // Issue 22, finding 4: a client that picked "2026-999999" made the
  // numbering jump (and, past six digits, stop after a restart). Ids of the
  // numbering's form are the ledger's alone; a complaint taken in with an
  // id of its own (a paper form's) uses another form, and the numbering
  // does not move for it.
  v1::ReceiveComplaint given = Intake();
  given.set_complaint_id("2026-999999");
  auto refused = app_->Execute(given, "a17");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("complaint_id"));
  EXPECT_THAT(refused.status().message(), HasSubstr("2026-999999"));
  given.set_complaint_id("paper-2026-17");
  auto taken = app_->Execute(given, "a17");
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(Receive(), "2026-000001");
  EXPECT_EQ(Receive(), "2026-000002");
}

TEST_F(ComplaintAppTest, NumbersAreGapFreeWhenIntakesAreRefusedOrRetried) {
  // Issue 22, finding 4: concurrent intakes burnt 686 numbers for 322
  // complaints. Only a committed intake keeps its number.
  EXPECT_EQ(Receive(), "2026-000001");
  v1::ReceiveComplaint bad = Intake();
  bad.mutable_customer()->set_phone("not a phone");
  EXPECT_FALSE(app_->Execute(bad, "a17").ok());
  auto first = app_->Execute(Intake("desk-1/1"), "a17");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state().complaint_id(), "2026-000002");
  // A retry of it takes none either.
  ASSERT_TRUE(app_->Execute(Intake("desk-1/1"), "a17").ok());
  EXPECT_EQ(Receive(), "2026-000003");
}

TEST_F(ComplaintAppTest, ANodeThatMayNotWriteRefusesNewCommandsUnnumbered) {
  // A replicated log's follower (or a lease holder still catching up):
  // new commands are refused with why before they are decided; they take
  // no number (deciding them against a copy that is behind only collided
  // with the numbers it was about to follow: ABORTED after 8 tries).
  bool may_write = true;
  writes_here_ = [&may_write] {
    return may_write ? absl::OkStatus()
                     : absl::UnavailableError("node b does not write the log");
  };
  Open();
  EXPECT_EQ(Receive(), "2026-000001");
  auto first = app_->Execute(Intake("desk-1/1"), "a17");
  ASSERT_TRUE(first.ok()) << first.status();
  may_write = false;
  for (int i = 0; i < 3; ++i) {
    auto refused = app_->Execute(Intake(absl::StrCat("desk-2/", i)), "a17");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(refused.status().message(), "node b does not write the log");
  }
  auto reference = app_->Execute(build::Agent("a19", {v1::ROLE_AGENT}), "h1");
  EXPECT_EQ(reference.status().code(), absl::StatusCode::kUnavailable);
  // A retried command id is answered all the same.
  auto again = app_->Execute(Intake("desk-1/1"), "a17");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->state().complaint_id(), "2026-000002");
  may_write = true;
  EXPECT_EQ(Receive(), "2026-000003");
}

TEST_F(ComplaintAppTest, RetriesSentAtOnceAllGetTheOriginalResult) {
  // Issue 22, finding 4: 8 clients sending the same Reply with the same
  // command id at once; 1-5% got FAILED_PRECONDITION ("already answered"),
  // those that read the complaint after the first had committed but looked
  // for the command id before. Every one must get the one result.
  constexpr int kRounds = 25;
  constexpr int kClients = 8;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = Receive();
    v1::ChooseTrack track = build::Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
    ASSERT_TRUE(app_->Execute(track, "a17").ok());
    v1::Reply reply = build::ReplyTo(id);
    reply.mutable_context()->set_command_id(absl::StrCat("reply-", id));
    std::vector<absl::StatusOr<v1::CommandResult>> results(kClients);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back(
          [&, i] { results[i] = app_->Execute(reply, "a17"); });
    }
    for (std::thread& t : clients) t.join();
    int originals = 0;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.status();
      ASSERT_GT(r->events_size(), 0);
      EXPECT_EQ(r->events(0).position(), results[0]->events(0).position());
      originals += r->duplicate() ? 0 : 1;
    }
    EXPECT_EQ(originals, 1) << "round " << round;
  }
}

TEST_F(ComplaintAppTest, ValuesOutsideTheirLimitsAreRefusedNamingTheField) {
  // Issue 22, finding 5: a penalty of INT64_MAX overflowed the station
  // table; a volume of INT64_MAX was accepted; expected_revision was
  // ignored by reference-data commands; an actor id of any length was
  // taken and echoed whole in the error.
  ASSERT_TRUE(app_->Execute(build::Station("s1"), "h1").ok());
  v1::PublishPenaltySchedule schedule;
  schedule.mutable_schedule()->mutable_effective_from()->set_year(2026);
  schedule.mutable_schedule()->mutable_effective_from()->set_month(1);
  v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
  rate->set_severity(v1::SEVERITY_REPEAT);
  rate->mutable_amount_per_complaint()->set_currency_code("CNY");
  rate->mutable_amount_per_complaint()->set_minor_units(
      std::numeric_limits<int64_t>::max());
  auto penalty = app_->Execute(schedule, "h1");
  EXPECT_EQ(penalty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(penalty.status().message(), HasSubstr("minor_units"));

  v1::RecordStationVolume volume;
  volume.mutable_volume()->set_station_id("s1");
  volume.mutable_volume()->mutable_month()->set_year(2026);
  volume.mutable_volume()->mutable_month()->set_month(10);
  volume.mutable_volume()->set_copies(std::numeric_limits<int64_t>::max());
  auto copies = app_->Execute(volume, "h1");
  EXPECT_EQ(copies.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(copies.status().message(), HasSubstr("volume.copies"));

  volume.mutable_volume()->set_copies(1000);
  volume.mutable_context()->set_expected_revision(99);
  EXPECT_EQ(app_->Execute(volume, "h1").status().code(),
            absl::StatusCode::kAborted);

  const std::string long_actor(10'000, 'a');
  auto actor = app_->Execute(Intake(), long_actor);
  EXPECT_EQ(actor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(actor.status().message(), HasSubstr("actor_agent_id"));
  EXPECT_LT(actor.status().message().size(), 200u);
}

TEST_F(ComplaintAppTest, RetryWithTheSameCommandIdGetsTheOriginalResult) {
  auto first = app_->Execute(Intake("desk-7/1"), "a17");
  ASSERT_TRUE(first.ok());
  clock_->Advance(absl::Seconds(3));  // The retry is decided later.
  auto retry = app_->Execute(Intake("desk-7/1"), "a17");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->state().complaint_id(), first->state().complaint_id());
  ASSERT_EQ(retry->events_size(), first->events_size());
  EXPECT_EQ(retry->events(0).position(), first->events(0).position());
  EXPECT_EQ(retry->state().SerializeAsString(),
            first->state().SerializeAsString());
  EXPECT_EQ(Receive(), "2026-000002");  // The retry took no number.

  // Once the complaint moved on, the retry still gets its original result.
  v1::ChooseTrack track;
  track.set_complaint_id("2026-000001");
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  track.mutable_context()->set_command_id("desk-7/2");
  ASSERT_TRUE(app_->Execute(track, "a17").ok());
  track.mutable_context()->set_command_id("desk-7/3");
  track.set_track(v1::HANDLING_TRACK_ON_THE_SPOT);
  ASSERT_TRUE(app_->Execute(track, "a17").ok());
  track.mutable_context()->set_command_id("desk-7/2");
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  auto late_retry = app_->Execute(track, "a17");
  ASSERT_TRUE(late_retry.ok()) << late_retry.status();
  EXPECT_TRUE(late_retry->duplicate());
  EXPECT_EQ(late_retry->state().track(), v1::HANDLING_TRACK_INTERNAL_STUDY);
}

TEST_F(ComplaintAppTest, CommandFingerprintsAreStable) {
  // The store keeps a digest of each command's fingerprint with its id, so a
  // retry after an upgrade is recognised only if the fingerprint of the same
  // command by the same actor is computed as it always was: the command with
  // its context reduced to the actor, serialized deterministically, SHA-256.
  v1::ReceiveComplaint intake = Intake("desk-9/1");
  intake.mutable_context()->set_correlation_id("call-31");
  ASSERT_TRUE(app_->Execute(intake, "a17").ok());
  const std::string golden =
      "ledger.v1.ReceiveComplaint:"
      "4dc6eccf13b1f428eba238183cf5594f283fd33c1bec3ce311062940babe4a57";
  absl::StatusOr<std::optional<AppendResult>> found =
      store_->FindCommand("desk-9/1", golden);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->duplicate);
  EXPECT_EQ((*found)->stream_id, ComplaintStream("2026-000001"));
  // The correlation id, which the fingerprint leaves out, reached the event.
  auto view = app_->Get("2026-000001");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->timeline(0).correlation_id(), "call-31");
  EXPECT_EQ(store_->FindCommand("desk-9/1", golden + "0").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(ComplaintAppTest, SameCommandIdForAnotherCommandIsAlreadyExists) {
  ASSERT_TRUE(app_->Execute(Intake("desk-7/1"), "a17").ok());
  v1::ReceiveComplaint other = Intake("desk-7/1");
  other.set_content("Something else.");
  auto result = app_->Execute(other, "a17");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(result.status().message(), HasSubstr("desk-7/1"));
  // Another actor is another command too.
  EXPECT_EQ(app_->Execute(Intake("desk-7/1"), "a18").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(ComplaintAppTest, StaleExpectedRevisionIsAbortedNamingTheCurrent) {
  const std::string id = Receive();  // Revisions 0 and 1.
  v1::ChooseTrack track;
  track.set_complaint_id(id);
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  track.mutable_context()->set_expected_revision(0);
  auto stale = app_->Execute(track, "a17");
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("at revision 1"));
  track.mutable_context()->set_expected_revision(1);
  auto fresh = app_->Execute(track, "a17");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->state().revision(), 2u);
}

TEST_F(ComplaintAppTest, AComplaintAsItWasAtAnyPositionOfTheLog) {
  const uint64_t before = store_->log_head().position_last;
  const std::string id = Receive();  // Revisions 0 and 1.
  const uint64_t received = store_->log_head().position_last;
  v1::ChooseTrack track;
  track.set_complaint_id(id);
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  ASSERT_TRUE(app_->Execute(track, "a17").ok());
  const uint64_t now = store_->log_head().position_last;

  auto then = app_->Get(id, received);
  ASSERT_TRUE(then.ok()) << then.status();
  EXPECT_EQ(then->state().revision(), 1u);
  EXPECT_EQ(then->timeline_size(), 2);
  EXPECT_EQ(then->state().track(), v1::HANDLING_TRACK_UNSPECIFIED);
  auto latest = app_->Get(id, now);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->state().revision(), 2u);
  EXPECT_EQ(latest->state().track(), v1::HANDLING_TRACK_INTERNAL_STUDY);
  EXPECT_EQ(latest->SerializeAsString(), app_->Get(id)->SerializeAsString());

  auto early = app_->Get(id, before);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(early.status().message(), HasSubstr("not yet received"));
  auto future = app_->Get(id, now + 1);
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(future.status().message(), HasSubstr("past the end of the log"));
}

TEST_F(ComplaintAppTest, UnknownComplaintIsNotFound) {
  EXPECT_EQ(app_->Get("2026-999999").status().code(),
            absl::StatusCode::kNotFound);
  v1::Reply reply;
  reply.set_complaint_id("2026-999999");
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("ok");
  EXPECT_EQ(app_->Execute(reply, "a17").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ComplaintAppTest, RefusedCommandAppendsNothing) {
  const std::string id = Receive();
  const uint64_t head = store_->log_head().position_last;
  v1::SignOff sign;
  sign.set_complaint_id(id);
  sign.set_record_complete(true);
  EXPECT_EQ(app_->Execute(sign, "h1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->log_head().position_last, head);
}

TEST_F(ComplaintAppTest, AMessageThatIsNoCommandIsInvalidAndAppendsNothing) {
  const uint64_t head = store_->log_head().position_last;
  absl::StatusOr<v1::CommandResult> result =
      app_->Execute(v1::GetComplaintRequest(), "h1");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("ledger.v1.GetComplaintRequest is not a command"));
  v1::CommandBatch batch;
  batch.add_commands()->mutable_reply();
  batch.add_commands();
  absl::StatusOr<v1::BatchResult> batched = app_->ExecuteBatch(
      batch, [](const v1::CommandContext&) { return std::string("h1"); });
  EXPECT_EQ(batched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(batched.status().message(), HasSubstr("command 1 of the batch"));
  EXPECT_EQ(store_->log_head().position_last, head);
}

TEST_F(ComplaintAppTest, RacingCommandsOnOneComplaintAreDecidedOnFreshState) {
  const std::string id = Receive();
  // Eight agents chase the same assist request at once: every chase counts.
  v1::ChooseTrack track;
  track.set_complaint_id(id);
  track.set_track(v1::HANDLING_TRACK_COORDINATED);
  ASSERT_TRUE(app_->Execute(track, "a17").ok());
  v1::RegisterStation station;
  station.mutable_station()->set_station_id("s1");
  station.mutable_station()->set_name("s1");
  ASSERT_TRUE(app_->Execute(station, "h1").ok());
  v1::RequestAssist request;
  request.set_complaint_id(id);
  request.add_targets()->set_station_id("s1");
  request.set_request("check");
  ASSERT_TRUE(app_->Execute(request, "a17").ok());

  std::vector<std::thread> threads;
  std::vector<absl::Status> results(8);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      v1::ChaseAssist chase;
      chase.set_complaint_id(id);
      chase.set_assist_request_id("A1");
      chase.mutable_target()->set_station_id("s1");
      chase.set_kind(v1::CHASE_KIND_CHASE);
      results[i] = app_->Execute(chase, i % 2 ? "a17" : "h1").status();
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  auto view = app_->Get(id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state().assist_requests(0).targets(0).chases(), 8u);
  EXPECT_EQ(view->timeline_size(), 12);
}

TEST_F(ComplaintAppTest, RestartKeepsReferenceDataNumbersAndRepeatDetection) {
  const std::string first = Receive();
  Open();
  // Agents are still known, numbering continues, and the customer's
  // earlier complaint still makes this one a repeat.
  auto second = app_->Execute(Intake(), "a18");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->state().complaint_id(), "2026-000002");
  EXPECT_EQ(second->state().severity(), v1::SEVERITY_REPEAT);
  EXPECT_THAT(second->state().linked_complaint_ids(),
              ::testing::ElementsAre(first));
}

TEST_F(ComplaintAppTest, ReferenceChangesNeedACentreHeadOnceThereIsOne) {
  v1::RegisterAgent command;
  command.mutable_agent()->set_agent_id("a99");
  command.mutable_agent()->set_display_name("a99");
  command.mutable_agent()->add_roles(v1::ROLE_CENTRE_HEAD);
  command.mutable_agent()->set_active(true);
  EXPECT_EQ(app_->Execute(command, "a17").status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::PublishCalendar calendar;
  calendar.mutable_calendar()->set_calendar_version("broken");
  auto bad = app_->Execute(calendar, "h1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("calendar"));
}

}  // namespace
}  // namespace ledger::testing
