// Handling tracks and deadlines, assist requests, reply, revisit, reopen,
// sign-off and the green channel (docs/rules.md §4–§9), one test per rule.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/v1/complaint_events.pb.h"
#include "tests/lifecycle_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::HasSubstr;

class ComplaintLifecycleTest : public LifecycleTest {
 protected:
  // Receives and classifies `id` at now_ (a17, phone).
  void Open(const std::string& id) {
    v1::ReceiveComplaint intake = Intake(id);
    *intake.mutable_classification() = Complaint();
    Must("a17", intake);
  }
  v1::HandlingTrackChosen Choose(const std::string& id, v1::HandlingTrack t) {
    auto track = For<v1::ChooseTrack>(id);
    track.set_track(t);
    return EventAt<v1::HandlingTrackChosen>(Must("a17", track), 0);
  }
  v1::AssistTarget Station(const std::string& id) {
    v1::AssistTarget t;
    t.set_station_id(id);
    return t;
  }
  v1::AssistTarget Department(const std::string& id) {
    v1::AssistTarget t;
    t.set_department_id(id);
    return t;
  }
  absl::StatusOr<Decision> Reply(const std::string& id,
                                 const std::string& actor = "a17") {
    auto reply = For<v1::Reply>(id);
    reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
    reply.set_reply("Fixed.");
    return Do(actor, reply);
  }
  absl::StatusOr<Decision> Revisit(const std::string& id, bool resolved) {
    auto revisit = For<v1::RecordRevisit>(id);
    revisit.set_satisfaction(resolved ? v1::SATISFACTION_SATISFIED
                                      : v1::SATISFACTION_DISSATISFIED);
    revisit.set_resolved(resolved);
    return Do("a17", revisit);
  }
  absl::StatusOr<Decision> SignOff(const std::string& id,
                                   const std::string& actor = "h1") {
    auto sign = For<v1::SignOff>(id);
    sign.set_record_complete(true);
    return Do(actor, sign);
  }
};

// --- Tracks and deadlines ----------------------------------------------

TEST_F(ComplaintLifecycleTest, OnTheSpotAnswerIsDueFiveMinutesAfterIntake) {
  Open("c-1");
  const int64_t received = state("c-1").received_time_us();
  now_ += absl::Minutes(2);
  auto chosen = Choose("c-1", v1::HANDLING_TRACK_ON_THE_SPOT);
  EXPECT_EQ(chosen.reply_due_us(), received + 5 * 60 * 1000000LL);
  EXPECT_EQ(chosen.assist_request_due_us(), 0);
}

TEST_F(ComplaintLifecycleTest, InternalStudyIsAnsweredWithinOneWorkingDay) {
  now_ = At(2026, 11, 20, 10, 0);  // Friday.
  Open("c-1");
  auto chosen = Choose("c-1", v1::HANDLING_TRACK_INTERNAL_STUDY);
  EXPECT_EQ(chosen.reply_due_us(), Us(2026, 11, 23, 17, 30));  // Monday.
  EXPECT_EQ(state("c-1").reply_due_us(), chosen.reply_due_us());
}

TEST_F(ComplaintLifecycleTest, CoordinatedReplyIsDueWithinTwoWorkingDays) {
  Open("c-1");  // Wednesday 10:00.
  auto chosen = Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  EXPECT_EQ(chosen.reply_due_us(), Us(2026, 11, 20, 17, 30));
}

TEST_F(ComplaintLifecycleTest, DayIntakeAssistDeadlineIs1730SameDay) {
  Open("c-1");
  now_ += absl::Hours(1);  // Choosing later does not move it.
  auto chosen = Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  EXPECT_EQ(chosen.assist_request_due_us(), Us(2026, 11, 18, 17, 30));
}

TEST_F(ComplaintLifecycleTest, NightIntakeAssistDeadlineIs0930NextWorkingDay) {
  now_ = At(2026, 11, 18, 20, 0);  // Wednesday evening.
  Open("c-1");
  EXPECT_EQ(state("c-1").shift(), v1::SHIFT_NIGHT_DUTY);
  EXPECT_EQ(
      Choose("c-1", v1::HANDLING_TRACK_COORDINATED).assist_request_due_us(),
      Us(2026, 11, 19, 9, 30));
}

TEST_F(ComplaintLifecycleTest, NightIntakeAfterMidnightIsDue0930ThatMorning) {
  now_ = At(2026, 11, 19, 1, 30);  // Thursday, small hours.
  Open("c-1");
  EXPECT_EQ(
      Choose("c-1", v1::HANDLING_TRACK_COORDINATED).assist_request_due_us(),
      Us(2026, 11, 19, 9, 30));
}

TEST_F(ComplaintLifecycleTest, FridayNightIntakeBeforeLongHolidayIsDueAfterIt) {
  now_ = At(2026, 4, 30, 21, 0);  // Thursday before Labour Day (May 1-5).
  Open("c-1");
  auto chosen = Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  EXPECT_EQ(chosen.assist_request_due_us(), Us(2026, 5, 6, 9, 30));
  // Two working days: May 6 and 7.
  EXPECT_EQ(chosen.reply_due_us(), Us(2026, 5, 7, 17, 30));
}

TEST_F(ComplaintLifecycleTest, MakeUpSaturdayCountsAsAWorkingDay) {
  now_ = At(2026, 10, 9, 10, 0);  // Friday; Saturday Oct 10 is worked.
  Open("c-1");
  EXPECT_EQ(Choose("c-1", v1::HANDLING_TRACK_INTERNAL_STUDY).reply_due_us(),
            Us(2026, 10, 10, 17, 30));
}

TEST_F(ComplaintLifecycleTest, ChoosingATrackNeedsAClassification) {
  Must("a17", Intake("c-1"));
  auto track = For<v1::ChooseTrack>("c-1");
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  absl::StatusOr<Decision> d = Do("a17", track);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("complaint c-1 is open"));
  EXPECT_THAT(d.status().message(), HasSubstr("classify it first"));
}

TEST_F(ComplaintLifecycleTest, EscalationIsTheHeadsCommand) {
  Open("c-1");
  auto track = For<v1::ChooseTrack>("c-1");
  track.set_track(v1::HANDLING_TRACK_ESCALATED_TO_GM);
  EXPECT_THAT(Do("a17", track).status().message(), HasSubstr("EscalateToGm"));
}

TEST_F(ComplaintLifecycleTest,
       DeadlinesAreStampedAndNeverMoveWithANewCalendar) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  const int64_t due = state("c-1").reply_due_us();
  // A new calendar declares Thursday and Friday off.
  absl::StatusOr<v1::CalendarPublished> calendar = BusinessCalendar::Shipped();
  ASSERT_TRUE(calendar.ok());
  calendar->set_calendar_version("cn-2026.2");
  for (int day : {19, 20}) {
    v1::Date* d = calendar->add_public_holidays();
    d->set_year(2026);
    d->set_month(11);
    d->set_day(day);
  }
  Publish(*calendar);
  EXPECT_EQ(state("c-1").reply_due_us(), due);
  // Later decisions use the new calendar.
  Open("c-2");
  EXPECT_EQ(Choose("c-2", v1::HANDLING_TRACK_COORDINATED).reply_due_us(),
            Us(2026, 11, 24, 17, 30));
}

// --- Assist requests ----------------------------------------------------

TEST_F(ComplaintLifecycleTest,
       AssistRequestGoesToSeveralUnitsEachAnsweringItsOwnWay) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  auto request = For<v1::RequestAssist>("c-1");
  *request.add_targets() = Station("s1");
  *request.add_targets() = Department("eng");
  request.set_request("Check the delivery route and the mailbox.");
  auto requested = EventAt<v1::AssistRequested>(Must("a17", request), 0);
  EXPECT_EQ(requested.assist_request_id(), "A1");
  EXPECT_TRUE(requested.sent_within_deadline());
  EXPECT_EQ(requested.answer_due_us(), state("c-1").reply_due_us());

  auto at_once = For<v1::AnswerAssist>("c-1");
  at_once.set_assist_request_id("A1");
  *at_once.mutable_target() = Station("s1");
  at_once.set_answer("Route changed from tomorrow.");
  at_once.set_answered_immediately(true);
  Must("a18", at_once);
  EXPECT_EQ(Do("a18", at_once).status().code(),
            absl::StatusCode::kFailedPrecondition);  // Already answered.

  auto later = For<v1::AnswerAssist>("c-1");
  later.set_assist_request_id("A1");
  *later.mutable_target() = Department("eng");
  later.set_answer("Mailbox replaced by Friday.");
  later.set_promised_due_us(Us(2026, 11, 20, 12, 0));
  later.set_answered_by("Engineer Li");
  auto answered = EventAt<v1::AssistAnswered>(Must("a17", later), 0);
  EXPECT_EQ(answered.answered_by(), "Engineer Li");

  const auto& targets = state("c-1").assist_requests(0).targets();
  ASSERT_EQ(targets.size(), 2);
  EXPECT_TRUE(targets[0].answered_immediately());
  EXPECT_EQ(targets[1].promised_due_us(), Us(2026, 11, 20, 12, 0));
}

TEST_F(ComplaintLifecycleTest, AssistAnswerNeedsEitherAtOnceOrAFutureDeadline) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  auto request = For<v1::RequestAssist>("c-1");
  *request.add_targets() = Station("s1");
  request.set_request("help");
  Must("a17", request);
  auto answer = For<v1::AnswerAssist>("c-1");
  answer.set_assist_request_id("A1");
  *answer.mutable_target() = Station("s1");
  answer.set_answer("later");
  EXPECT_EQ(Do("a17", answer).status().code(),
            absl::StatusCode::kInvalidArgument);
  answer.set_promised_due_us(absl::ToUnixMicros(now_ - absl::Hours(1)));
  EXPECT_THAT(Do("a17", answer).status().message(),
              HasSubstr("not in the future"));
  *answer.mutable_target() = Department("svc");
  answer.set_promised_due_us(absl::ToUnixMicros(now_ + absl::Hours(1)));
  EXPECT_THAT(Do("a17", answer).status().message(),
              HasSubstr("was not sent to department svc"));
}

TEST_F(ComplaintLifecycleTest, AssistRequestAfterTheCutOffIsMarkedLate) {
  Open("c-1");  // Wednesday 10:00, day shift: due 17:30.
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  now_ = At(2026, 11, 18, 17, 45);
  auto request = For<v1::RequestAssist>("c-1");
  *request.add_targets() = Station("s1");
  request.set_request("please check");
  EXPECT_FALSE(EventAt<v1::AssistRequested>(Must("a17", request), 0)
                   .sent_within_deadline());
  EXPECT_FALSE(state("c-1").assist_requests(0).sent_within_deadline());
}

TEST_F(ComplaintLifecycleTest, AssistRequestsBelongToTheCoordinatedTrack) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_INTERNAL_STUDY);
  auto request = For<v1::RequestAssist>("c-1");
  *request.add_targets() = Station("s1");
  request.set_request("please check");
  EXPECT_THAT(Do("a17", request).status().message(),
              HasSubstr("choose the coordinated track first"));
}

TEST_F(ComplaintLifecycleTest, AssistTargetsMustBeRegisteredAndDistinct) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  auto request = For<v1::RequestAssist>("c-1");
  request.set_request("please check");
  EXPECT_THAT(Do("a17", request).status().message(), HasSubstr("at least one"));
  *request.add_targets() = Station("s9");
  EXPECT_THAT(Do("a17", request).status().message(),
              HasSubstr("station s9 is not registered"));
  request.clear_targets();
  *request.add_targets() = Station("s1");
  *request.add_targets() = Station("s1");
  EXPECT_THAT(Do("a17", request).status().message(), HasSubstr("twice"));
}

TEST_F(ComplaintLifecycleTest, ChasesAndSupervisionsAreRecorded) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  auto request = For<v1::RequestAssist>("c-1");
  *request.add_targets() = Station("s1");
  request.set_request("please check");
  Must("a17", request);
  auto chase = For<v1::ChaseAssist>("c-1");
  chase.set_assist_request_id("A1");
  *chase.mutable_target() = Station("s1");
  chase.set_kind(v1::CHASE_KIND_CHASE);
  Must("a17", chase);
  Must("a17", chase);
  chase.set_kind(v1::CHASE_KIND_SUPERVISE);
  chase.set_note("head supervising");
  Must("h1", chase);
  const auto& target = state("c-1").assist_requests(0).targets(0);
  EXPECT_EQ(target.chases(), 2u);
  EXPECT_EQ(target.supervisions(), 1u);
}

// --- General manager ----------------------------------------------------

TEST_F(ComplaintLifecycleTest, EscalationNeedsTheHeadAndTheReplyWaitsForTheGm) {
  Open("c-1");
  auto escalate = For<v1::EscalateToGm>("c-1");
  escalate.set_proposal("Compensate three months' subscription.");
  EXPECT_EQ(Do("a17", escalate).status().code(),
            absl::StatusCode::kPermissionDenied);
  Decision d = Must("h1", escalate);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(EventAt<v1::HandlingTrackChosen>(d, 0).track(),
            v1::HANDLING_TRACK_ESCALATED_TO_GM);
  EXPECT_EQ(EventAt<v1::EscalatedToGm>(d, 1).proposal(),
            "Compensate three months' subscription.");

  absl::StatusOr<Decision> early = Reply("c-1");
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("general manager"));

  auto decision = For<v1::RecordGmDecision>("c-1");
  decision.set_decision("Approved.");
  EXPECT_EQ(Do("a17", decision).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto decided = EventAt<v1::GmDecided>(Must("gm", decision), 0);
  EXPECT_EQ(decided.decided_by(), "gm");
  EXPECT_EQ(decided.reply_due_us(), Us(2026, 11, 19, 17, 30));
  ASSERT_TRUE(Reply("c-1").ok());
  EXPECT_TRUE(state("c-1").replied_within_deadline());
}

// --- Reply and revisit --------------------------------------------------

TEST_F(ComplaintLifecycleTest, ReplyNeedsATrackAndIsStampedOnTimeOrLate) {
  Open("c-1");
  EXPECT_THAT(Reply("c-1").status().message(),
              HasSubstr("choose a handling track first"));
  Choose("c-1", v1::HANDLING_TRACK_ON_THE_SPOT);
  now_ += absl::Minutes(6);
  auto replied = EventAt<v1::Replied>(*Reply("c-1"), 0);
  EXPECT_FALSE(replied.within_deadline());
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_REPLIED);
  EXPECT_EQ(Reply("c-1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ComplaintLifecycleTest, CoordinatedReplyNeedsAnAssistRequestSent) {
  Open("c-1");
  Choose("c-1", v1::HANDLING_TRACK_COORDINATED);
  EXPECT_THAT(Reply("c-1").status().message(),
              HasSubstr("send an assist request first"));
}

TEST_F(ComplaintLifecycleTest, RevisitIsDueOnTheSecondWorkingDayAfterTheReply) {
  now_ = At(2026, 11, 20, 11, 0);  // Friday.
  ReceiveAndReply("c-1");
  EXPECT_EQ(state("c-1").revisit_due_us(), Us(2026, 11, 24, 17, 30));
  now_ = At(2026, 11, 24, 16, 0);
  auto revisit = EventAt<v1::RevisitRecorded>(*Revisit("c-1", true), 0);
  EXPECT_TRUE(revisit.within_deadline());
  EXPECT_EQ(revisit.revisit_kind(), v1::REVISIT_KIND_FIRST);
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_REVISITED);
}

TEST_F(ComplaintLifecycleTest, RevisitBeforeAReplyIsRejected) {
  Open("c-1");
  absl::StatusOr<Decision> d = Revisit("c-1", true);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("a revisit follows a reply"));
}

TEST_F(ComplaintLifecycleTest, UnresolvedRevisitReopensWithTheSameOwner) {
  ReceiveAndReply("c-1");
  now_ += absl::Hours(24);
  Decision d = *Revisit("c-1", false);
  ASSERT_EQ(d.size(), 2u);  // One failure: no rise yet.
  auto reopened = EventAt<v1::Reopened>(d, 1);
  EXPECT_TRUE(reopened.after_failed_revisit());
  EXPECT_EQ(reopened.reopen_count(), 1u);
  EXPECT_EQ(reopened.shift(), v1::SHIFT_DAY);
  const v1::ComplaintState& s = state("c-1");
  EXPECT_EQ(s.stage(), v1::STAGE_OPEN);
  EXPECT_EQ(s.owner_agent_id(), "a17");
  EXPECT_EQ(s.track(), v1::HANDLING_TRACK_UNSPECIFIED);
  EXPECT_EQ(s.flow_started_us(), absl::ToUnixMicros(now_));
  EXPECT_EQ(s.failed_revisits(), 1u);
  // The flow starts again: a track, with deadlines from the reopen.
  EXPECT_EQ(Choose("c-1", v1::HANDLING_TRACK_INTERNAL_STUDY).reply_due_us(),
            Us(2026, 11, 20, 17, 30));
}

TEST_F(ComplaintLifecycleTest, SecondFailedRevisitRaisesSeverityToRepeat) {
  ReceiveAndReply("c-1");
  ASSERT_TRUE(Revisit("c-1", false).ok());
  Choose("c-1", v1::HANDLING_TRACK_INTERNAL_STUDY);
  ASSERT_TRUE(Reply("c-1").ok());
  Decision d = *Revisit("c-1", false);
  ASSERT_EQ(d.size(), 3u);
  auto raised = EventAt<v1::SeverityRaised>(d, 2);
  EXPECT_EQ(raised.severity(), v1::SEVERITY_REPEAT);
  EXPECT_TRUE(raised.automatic());
  EXPECT_THAT(raised.reason(), HasSubstr("2 revisits"));
  EXPECT_EQ(state("c-1").severity(), v1::SEVERITY_REPEAT);
  EXPECT_EQ(state("c-1").reopen_count(), 2u);
}

TEST_F(ComplaintLifecycleTest, FailedRevisitsBeforeRepeatAreConfigurable) {
  policy_.failed_revisits_for_repeat = 1;
  ReceiveAndReply("c-1");
  Decision d = *Revisit("c-1", false);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(EventAt<v1::SeverityRaised>(d, 2).severity(), v1::SEVERITY_REPEAT);
}

TEST_F(ComplaintLifecycleTest,
       MonthEndSecondRevisitIsItsOwnKindEvenAfterSignOff) {
  ReceiveAndReply("c-1");
  auto second = For<v1::RecordRevisit>("c-1");
  second.set_kind(v1::REVISIT_KIND_MONTH_END_SECOND);
  second.set_satisfaction(v1::SATISFACTION_VERY_SATISFIED);
  second.set_resolved(true);
  EXPECT_EQ(Do("a17", second).status().code(),
            absl::StatusCode::kFailedPrecondition);  // No first revisit yet.
  ASSERT_TRUE(Revisit("c-1", true).ok());
  ASSERT_TRUE(SignOff("c-1").ok());
  auto revisit = EventAt<v1::RevisitRecorded>(Must("a17", second), 0);
  EXPECT_EQ(revisit.revisit_kind(), v1::REVISIT_KIND_MONTH_END_SECOND);
  EXPECT_TRUE(state("c-1").month_end_revisit_done());
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_CLOSED);
  EXPECT_EQ(Do("a17", second).status().code(),
            absl::StatusCode::kFailedPrecondition);  // Only one.
}

// --- Sign-off -------------------------------------------------------------

TEST_F(ComplaintLifecycleTest, SignOffBeforeRevisitIsRejected) {
  ReceiveAndReply("c-1");
  absl::StatusOr<Decision> d = SignOff("c-1");
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(),
              HasSubstr("complaint c-1 is replied (waiting for the revisit)"));
  EXPECT_THAT(d.status().message(), HasSubstr("cannot sign it off"));
}

TEST_F(ComplaintLifecycleTest, SignOffBeforeReplyIsRejected) {
  Open("c-1");
  EXPECT_THAT(SignOff("c-1").status().message(),
              HasSubstr("has not been answered"));
}

TEST_F(ComplaintLifecycleTest, SignOffIsTheCentreHeadsOnly) {
  ReceiveAndReply("c-1");
  ASSERT_TRUE(Revisit("c-1", true).ok());
  EXPECT_EQ(SignOff("c-1", "a17").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto sign = For<v1::SignOff>("c-1");
  EXPECT_THAT(Do("h1", sign).status().message(), HasSubstr("incomplete"));
  auto signed_off = EventAt<v1::SignedOff>(*SignOff("c-1"), 0);
  EXPECT_TRUE(signed_off.verified_with_customer());
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_CLOSED);
  EXPECT_EQ(state("c-1").signed_off_by_agent_id(), "h1");
}

TEST_F(ComplaintLifecycleTest,
       ClosedComplaintRefusesEveryActionButTheHeadsReopen) {
  ReceiveAndReply("c-1");
  ASSERT_TRUE(Revisit("c-1", true).ok());
  ASSERT_TRUE(SignOff("c-1").ok());

  auto classify = For<v1::Classify>("c-1");
  *classify.mutable_classification() =
      Complaint(v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY);
  auto handover = For<v1::HandOver>("c-1");
  handover.set_to_agent_id("a18");
  handover.set_handover_note("n");
  auto repeat = For<v1::RaiseSeverity>("c-1");
  repeat.set_severity(v1::SEVERITY_REPEAT);
  repeat.set_reason("r");
  const absl::Status refused[] = {
      Do("a17", classify).status(),  Do("a17", handover).status(),
      Do("h1", repeat).status(),     Reply("c-1").status(),
      Revisit("c-1", true).status(), SignOff("c-1").status(),
  };
  for (const absl::Status& s : refused) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr("complaint c-1 is closed"));
  }
  auto reopen = For<v1::Reopen>("c-1");
  reopen.set_reason("Customer called: wet again.");
  EXPECT_EQ(Do("a17", reopen).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto reopened = EventAt<v1::Reopened>(Must("h1", reopen), 0);
  EXPECT_FALSE(reopened.after_failed_revisit());
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_OPEN);
  EXPECT_EQ(state("c-1").owner_agent_id(), "a17");
}

TEST_F(ComplaintLifecycleTest, OnlyANonComplaintRevisitMayBeWaivedByTheHead) {
  Must("a17", Intake("c-1"));
  auto classify = For<v1::Classify>("c-1");
  classify.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  Must("a17", classify);
  Choose("c-1", v1::HANDLING_TRACK_ON_THE_SPOT);
  ASSERT_TRUE(Reply("c-1").ok());
  auto waive = For<v1::WaiveRevisit>("c-1");
  waive.set_reason("Inquiry answered; within the 10% quota.");
  EXPECT_EQ(Do("a17", waive).status().code(),
            absl::StatusCode::kPermissionDenied);
  Must("h1", waive);
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_REVISITED);
  auto signed_off = EventAt<v1::SignedOff>(*SignOff("c-1"), 0);
  EXPECT_FALSE(signed_off.verified_with_customer());

  ReceiveAndReply("c-2");  // A complaint.
  absl::StatusOr<Decision> d = Do("h1", For<v1::WaiveRevisit>("c-2"));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);  // Reason.
  waive.set_complaint_id("c-2");
  d = Do("h1", waive);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("quota 100%"));
}

// --- Green channel --------------------------------------------------------

TEST_F(ComplaintLifecycleTest,
       GreenChannelActsFirstAndFlagsPaperworkUntilItArrives) {
  now_ = At(2026, 11, 20, 22, 0);  // Friday night: an urgent leak.
  v1::ReceiveComplaint intake = Intake("c-1");
  intake.set_green_channel(true);
  auto received = EventAt<v1::ComplaintReceived>(Must("a17", intake), 0);
  // Due within 1 working day: Monday's close.
  EXPECT_EQ(received.paperwork_due_us(), Us(2026, 11, 23, 17, 30));
  EXPECT_TRUE(state("c-1").paperwork_pending());

  // Out of the normal order: a reply with no classification or track.
  ASSERT_TRUE(Reply("c-1").ok());
  ASSERT_TRUE(Revisit("c-1", true).ok());
  absl::StatusOr<Decision> early = SignOff("c-1");
  EXPECT_THAT(early.status().message(),
              HasSubstr("paperwork is still pending"));

  auto paperwork = For<v1::CompletePaperwork>("c-1");
  EXPECT_THAT(Do("a17", paperwork).status().message(),
              HasSubstr("classify it first"));
  auto classify = For<v1::Classify>("c-1");
  *classify.mutable_classification() = Complaint();
  Must("a17", classify);
  now_ = At(2026, 11, 24, 9, 0);  // Tuesday: late.
  auto completed = EventAt<v1::PaperworkCompleted>(Must("a17", paperwork), 0);
  EXPECT_FALSE(completed.within_deadline());
  EXPECT_FALSE(state("c-1").paperwork_pending());
  EXPECT_EQ(Do("a17", paperwork).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(SignOff("c-1").ok());
}

TEST_F(ComplaintLifecycleTest, PaperworkIsForGreenChannelCasesOnly) {
  Open("c-1");
  absl::StatusOr<Decision> d = Do("a17", For<v1::CompletePaperwork>("c-1"));
  EXPECT_THAT(d.status().message(), HasSubstr("not a green-channel case"));
}

}  // namespace
}  // namespace ledger::testing
