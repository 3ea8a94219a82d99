// The monthly assessment of agents (docs/rules.md §12), each rule a named
// test over a real store, the service's own commands and the scorecard view
// as the runner folds it: the four weighted parts, the head's entries with
// reasons, publication freezing the figures, appeals within 3 working days
// on the calendar (a weekend and a make-up working day), corrections by
// new events, and three months below standard in a row.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/calendar/business_calendar.h"
#include "projections/scorecard_view.h"
#include "tests/projections_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AssessmentTest : public ProjectionsTest {
 protected:
  AssessmentTest() { runner_ = NewRunner(); }

  // A case a17 took in, accepted, answered and revisited (resolved) with
  // `satisfaction`; signed off when `sign_off`.
  std::string Case(v1::Satisfaction satisfaction, bool sign_off) {
    const std::string id = Receive();
    Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
    Reply(id);
    v1::RecordRevisit revisit;
    revisit.set_complaint_id(id);
    revisit.set_satisfaction(satisfaction);
    revisit.set_resolved(true);
    Do(revisit, "a17");
    if (sign_off) Do(build::SignOffOf(id), "h1");
    return id;
  }

  v1::EnterAssessmentPoints Points(const std::string& agent,
                                   v1::AssessmentPart part, int tenths,
                                   const std::string& reason) {
    v1::EnterAssessmentPoints c;
    c.set_agent_id(agent);
    *c.mutable_month() = november_;
    c.set_part(part);
    c.set_points_tenths(tenths);
    c.set_reason(reason);
    return c;
  }
  absl::Status Publish(const v1::YearMonth& month) {
    v1::PublishAssessment c;
    *c.mutable_month() = month;
    return app_->Execute(c, "h1").status();
  }
  absl::StatusOr<v1::CommandResult> Appeal(const std::string& agent,
                                           v1::AssessmentPart part) {
    v1::AppealAssessment c;
    *c.mutable_month() = november_;
    c.set_part(part);
    c.set_reason("the figure leaves out my night shifts");
    return app_->Execute(c, agent);
  }
  absl::Status Decide(const std::string& appeal_id, bool accept, int tenths) {
    v1::DecideAppeal c;
    c.set_appeal_id(appeal_id);
    c.set_accept(accept);
    c.set_corrected_points_tenths(tenths);
    c.set_reason("checked against the rota");
    return app_->Execute(c, "h1").status();
  }

  v1::GetAssessmentResponse Assessment(const v1::YearMonth& month,
                                       int64_t now_us = kAfterEveryMonth) {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    v1::GetAssessmentResponse out;
    absl::Status s = runner_->Read(ScorecardView::kName, [&](const View& view,
                                                             uint64_t) {
      absl::StatusOr<v1::GetAssessmentResponse> r =
          static_cast<const ScorecardView&>(view).Assessment("", month, now_us);
      if (r.ok()) out = *r;
      return r.status();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  static std::optional<v1::AgentAssessment> Row(
      const v1::GetAssessmentResponse& r, const std::string& agent) {
    for (const v1::AgentAssessment& a : r.agents()) {
      if (a.agent_id() == agent) return a;
    }
    return std::nullopt;
  }
  // "PART=points[/computed+entered]" of each part, "n/a" when n/a, then
  // "total=...".
  static std::vector<std::string> Parts(
      const std::optional<v1::AgentAssessment>& row) {
    std::vector<std::string> out;
    if (!row.has_value()) return out;
    for (const v1::AssessmentPartPoints& p : row->parts()) {
      std::string name = v1::AssessmentPart_Name(p.part()).substr(
          std::string("ASSESSMENT_PART_").size());
      out.push_back(p.na() ? absl::StrCat(name, "=n/a")
                           : absl::StrCat(name, "=", p.points_tenths()));
    }
    out.push_back(row->total_na()
                      ? "total=n/a"
                      : absl::StrCat("total=", row->total_tenths()));
    return out;
  }

  // Publishes a calendar with Saturday 2026-12-05 a rest day and Sunday
  // 2026-12-06 a make-up working day (调休).
  void PublishCalendarWithMakeUpSunday() {
    absl::StatusOr<v1::CalendarPublished> shipped = BusinessCalendar::Shipped();
    ASSERT_TRUE(shipped.ok()) << shipped.status();
    v1::PublishCalendar c;
    *c.mutable_calendar() = *shipped;
    c.mutable_calendar()->set_calendar_version("test-makeup-sunday");
    v1::Date* sunday = c.mutable_calendar()->add_makeup_working_days();
    sunday->set_year(2026);
    sunday->set_month(12);
    sunday->set_day(6);
    Do(c, "h1");
  }

  const v1::YearMonth november_ = Month(2026, 11);
};

TEST_F(AssessmentTest, AssessmentPartsComputedFromEvents) {
  // a17's November: two cases accepted, answered and revisited on time;
  // one customer satisfied and signed off, one very dissatisfied and open.
  Case(v1::SATISFACTION_SATISFIED, /*sign_off=*/true);
  Case(v1::SATISFACTION_VERY_DISSATISFIED, /*sign_off=*/false);
  Do(Points("a17", v1::ASSESSMENT_PART_ATTITUDE, 20, "praised by a customer"),
     "h1");
  Do(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 80, "covered a shift"), "h1");
  const std::optional<v1::AgentAssessment> a17 =
      Row(Assessment(november_), "a17");
  ASSERT_TRUE(a17.has_value());
  // Attitude 30 x 1/2 + 2.0; ability 40 x mean(1/2, 2/2); efficiency
  // 20 x mean(1, 1, 1); teamwork as entered; total 75.0 of 100.
  EXPECT_THAT(Parts(a17),
              ElementsAre("ATTITUDE=170", "ABILITY=300", "EFFICIENCY=200",
                          "TEAMWORK=80", "total=750"));
  EXPECT_EQ(a17->parts(0).computed_tenths(), 150);
  EXPECT_EQ(a17->parts(0).entered_tenths(), 20);
  EXPECT_EQ(a17->parts(0).reason(), "praised by a customer");
  EXPECT_EQ(a17->parts(1).basis(),
            "40 x mean(resolution 1/2, replies on time 2/2)");
  // Resolution 1/2 fails 90%: below standard this month.
  EXPECT_TRUE(a17->below_standard());
  EXPECT_EQ(a17->months_below_in_a_row(), 1);
  EXPECT_FALSE(a17->flagged());
  // a18 did nothing in November, h1 only signed off: no rows.
  EXPECT_FALSE(Row(Assessment(november_), "a18").has_value());
  EXPECT_FALSE(Row(Assessment(november_), "h1").has_value());
  // A later entry of the same part replaces the earlier.
  Do(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 60, "late to two handovers"),
     "h1");
  EXPECT_THAT(Parts(Row(Assessment(november_), "a17")),
              ElementsAre("ATTITUDE=170", "ABILITY=300", "EFFICIENCY=200",
                          "TEAMWORK=60", "total=730"));
}

TEST_F(AssessmentTest, AssessmentTeamworkAndAdjustmentsNeedReason) {
  auto code = [&](const v1::EnterAssessmentPoints& c, const char* actor) {
    return app_->Execute(c, actor).status().code();
  };
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 80, ""), "h1"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 101, "r"), "h1"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, -1, "r"), "h1"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_ATTITUDE, 301, "r"), "h1"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_ABILITY, -400, "r"), "h1"),
            absl::StatusCode::kOk);
  absl::Status efficiency =
      app_->Execute(Points("a17", v1::ASSESSMENT_PART_EFFICIENCY, 10, "r"),
                    "h1")
          .status();
  EXPECT_EQ(efficiency.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(efficiency.message(), HasSubstr("computed from the log"));
  EXPECT_EQ(code(Points("nobody", v1::ASSESSMENT_PART_TEAMWORK, 80, "r"), "h1"),
            absl::StatusCode::kInvalidArgument);
  // Only the centre head enters points.
  EXPECT_EQ(code(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 100, "me"), "a17"),
            absl::StatusCode::kPermissionDenied);
  // ... and never their own.
  EXPECT_EQ(code(Points("h1", v1::ASSESSMENT_PART_TEAMWORK, 100, "me"), "h1"),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AssessmentTest, PublishedAssessmentFrozenAtPosition) {
  const std::string open = Case(v1::SATISFACTION_SATISFIED, false);
  Do(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 90, "helpful"), "h1");
  // November has not ended.
  absl::Status early = Publish(november_);
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.message(), HasSubstr("has not ended"));
  clock_->Set(Shanghai(2026, 12, 1, 9, 0));
  ASSERT_TRUE(Publish(november_).ok());
  const v1::GetAssessmentResponse published = Assessment(november_);
  ASSERT_TRUE(published.published());
  EXPECT_THAT(Parts(Row(published, "a17")),
              ElementsAre("ATTITUDE=300", "ABILITY=200", "EFFICIENCY=200",
                          "TEAMWORK=90", "total=790"));
  // The case is signed off in December: November's live figures change
  // (resolution 1/1), the published ones do not.
  Do(build::SignOffOf(open), "h1");
  EXPECT_EQ(Assessment(november_).SerializeAsString(),
            published.SerializeAsString());
  // The frozen figures are the log's at the position before publication:
  // an auditor's replay there gives the same rows.
  absl::StatusOr<std::unique_ptr<View>> before =
      runner_->AsOf(ScorecardView::kName, published.published_position() - 1);
  ASSERT_TRUE(before.ok()) << before.status();
  absl::StatusOr<v1::GetAssessmentResponse> draft =
      static_cast<const ScorecardView&>(**before).Assessment(
          "", november_, published.published_us());
  ASSERT_TRUE(draft.ok()) << draft.status();
  ASSERT_EQ(draft->agents_size(), published.agents_size());
  for (int i = 0; i < draft->agents_size(); ++i) {
    EXPECT_EQ(draft->agents(i).SerializeAsString(),
              published.agents(i).SerializeAsString());
  }
  // Published once; points are changed by appeals only.
  EXPECT_EQ(Publish(november_).code(), absl::StatusCode::kFailedPrecondition);
  absl::Status late =
      app_->Execute(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 100, "r"), "h1")
          .status();
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(late.message(), HasSubstr("appeal"));
}

TEST_F(AssessmentTest, AppealOnThirdWorkingDayAcceptedFourthRefused) {
  Case(v1::SATISFACTION_SATISFIED, true);
  v1::ReceiveComplaint by_a18 = build::ComplaintIntake("", "13900009999");
  Do(by_a18, "a18");
  PublishCalendarWithMakeUpSunday();
  // Not published: nothing to appeal.
  clock_->Set(Shanghai(2026, 12, 2, 12, 0));
  EXPECT_EQ(Appeal("a17", v1::ASSESSMENT_PART_TEAMWORK).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Published on Thursday 3 December: Friday is working day 1, Saturday a
  // rest day, Sunday (make-up) day 2, Monday day 3, the last.
  clock_->Set(Shanghai(2026, 12, 3, 16, 0));
  ASSERT_TRUE(Publish(november_).ok());
  EXPECT_THAT(Assessment(november_).appeal_last_day().ShortDebugString(),
              "year: 2026 month: 12 day: 7");
  // Saturday: within the window.
  clock_->Set(Shanghai(2026, 12, 5, 11, 0));
  absl::StatusOr<v1::CommandResult> saturday =
      Appeal("a17", v1::ASSESSMENT_PART_TEAMWORK);
  ASSERT_TRUE(saturday.ok()) << saturday.status();
  // One open appeal per part.
  EXPECT_EQ(Appeal("a17", v1::ASSESSMENT_PART_TEAMWORK).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Monday 23:59, the 3rd working day: accepted.
  clock_->Set(Shanghai(2026, 12, 7, 23, 59));
  EXPECT_TRUE(Appeal("a17", v1::ASSESSMENT_PART_ATTITUDE).ok());
  // Tuesday 00:00, the 4th: refused, naming the deadline.
  clock_->Set(Shanghai(2026, 12, 8, 0, 0));
  absl::StatusOr<v1::CommandResult> tuesday =
      Appeal("a18", v1::ASSESSMENT_PART_ATTITUDE);
  EXPECT_EQ(tuesday.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(tuesday.status().message(),
              HasSubstr("appeal deadline of the assessment of 2026-11 "
                        "(2026-12-07"));
  // Only an agent appeals, and only their own.
  EXPECT_EQ(app_->Execute(v1::AppealAssessment(), "h1").status().code(),
            absl::StatusCode::kPermissionDenied);
  const v1::GetAssessmentResponse now = Assessment(november_);
  ASSERT_EQ(now.appeals_size(), 2);
  EXPECT_EQ(now.appeals(0).appeal_id(), "2026-11-1");
  EXPECT_EQ(now.appeals(0).agent_id(), "a17");
  EXPECT_EQ(now.appeals(1).appeal_id(), "2026-11-2");
}

TEST_F(AssessmentTest, AcceptedAppealCorrectsByNewEvent) {
  Case(v1::SATISFACTION_SATISFIED, true);
  Do(Points("a17", v1::ASSESSMENT_PART_TEAMWORK, 50, "one missed meeting"),
     "h1");
  clock_->Set(Shanghai(2026, 12, 1, 9, 0));
  ASSERT_TRUE(Publish(november_).ok());
  const v1::GetAssessmentResponse published = Assessment(november_);
  ASSERT_TRUE(Appeal("a17", v1::ASSESSMENT_PART_TEAMWORK).ok());
  ASSERT_TRUE(Appeal("a17", v1::ASSESSMENT_PART_ATTITUDE).ok());
  // An accepted appeal needs a corrected figure within the part's weight;
  // a rejection none.
  EXPECT_EQ(Decide("2026-11-1", true, 101).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("2026-11-2", false, 5).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("2026-11-9", false, 0).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(Decide("2026-11-1", true, 100).ok());
  ASSERT_TRUE(Decide("2026-11-2", false, 0).ok());
  EXPECT_EQ(Decide("2026-11-1", false, 0).code(),
            absl::StatusCode::kFailedPrecondition);
  const v1::GetAssessmentResponse corrected = Assessment(november_);
  // The published figure stays in the log and in the frozen row; the
  // answer applies the correction and names its appeal.
  EXPECT_THAT(Parts(Row(published, "a17")),
              ElementsAre("ATTITUDE=300", "ABILITY=400", "EFFICIENCY=200",
                          "TEAMWORK=50", "total=950"));
  EXPECT_THAT(Parts(Row(corrected, "a17")),
              ElementsAre("ATTITUDE=300", "ABILITY=400", "EFFICIENCY=200",
                          "TEAMWORK=100", "total=1000"));
  EXPECT_EQ(Row(corrected, "a17")->parts(3).corrected_by_appeal_id(),
            "2026-11-1");
  ASSERT_EQ(corrected.appeals_size(), 2);
  EXPECT_TRUE(corrected.appeals(0).accepted());
  EXPECT_EQ(corrected.appeals(0).decided_by_agent_id(), "h1");
  EXPECT_TRUE(corrected.appeals(1).decided());
  EXPECT_FALSE(corrected.appeals(1).accepted());
  // The events themselves: the publication and the decision.
  absl::StatusOr<std::vector<v1::Event>> stream = store_->ReadStream(
      kAssessmentsStream, std::nullopt, ReadDirection::kForward, 100);
  ASSERT_TRUE(stream.ok());
  std::vector<std::string> types;
  for (const v1::Event& e : *stream) types.push_back(e.event_type());
  EXPECT_THAT(
      types, ElementsAre("ledger.v1.AssessmentPointsEntered",
                         "ledger.v1.AssessmentPublished",
                         "ledger.v1.AssessmentAppealed",
                         "ledger.v1.AssessmentAppealed",
                         "ledger.v1.AppealDecided", "ledger.v1.AppealDecided"));
}

TEST_F(AssessmentTest, BelowStandardThreeMonthsInARowFlagged) {
  // a17 below standard (resolution 0/1: nothing signed off) in September,
  // October and November, each published after its month.
  for (int month : {9, 10, 11}) {
    clock_->Set(Shanghai(2026, month, 10, 10, 0));
    Case(v1::SATISFACTION_SATISFIED, false);
    clock_->Set(Shanghai(2026, month + 1, 2, 10, 0));
    ASSERT_TRUE(Publish(Month(2026, month)).ok());
  }
  const std::optional<v1::AgentAssessment> a17 =
      Row(Assessment(november_), "a17");
  ASSERT_TRUE(a17.has_value());
  EXPECT_TRUE(a17->below_standard());
  EXPECT_EQ(a17->months_below_in_a_row(), 3);
  EXPECT_TRUE(a17->flagged());
  // October alone: two in a row, not flagged.
  EXPECT_EQ(Row(Assessment(Month(2026, 10)), "a17")->months_below_in_a_row(),
            2);
  // December: a17 meets every standard; a18 is below, but November's gap
  // (no row) breaks the run.
  clock_->Set(Shanghai(2026, 12, 10, 10, 0));
  Case(v1::SATISFACTION_SATISFIED, true);
  Do(build::ComplaintIntake("", "13900008888"), "a18");
  const v1::GetAssessmentResponse december = Assessment(Month(2026, 12));
  EXPECT_FALSE(Row(december, "a17")->below_standard());
  EXPECT_EQ(Row(december, "a17")->months_below_in_a_row(), 0);
  EXPECT_TRUE(Row(december, "a18")->below_standard());
  EXPECT_EQ(Row(december, "a18")->months_below_in_a_row(), 1);
  EXPECT_FALSE(Row(december, "a18")->flagged());
}

}  // namespace
}  // namespace ledger::testing
