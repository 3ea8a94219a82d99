// The business calendar on the shipped official calendar for 2025–2026.
#include "ledger/calendar/business_calendar.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/calendar/statutory.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

class BusinessCalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto proto = BusinessCalendar::ReadTextFile(LEDGER_CALENDAR_FILE);
    ASSERT_TRUE(proto.ok()) << proto.status();
    proto_ = *proto;
    auto calendar = BusinessCalendar::FromProto(proto_);
    ASSERT_TRUE(calendar.ok()) << calendar.status();
    calendar_.emplace(*std::move(calendar));
  }

  // A local time in Asia/Shanghai.
  absl::Time Local(int y, int m, int d, int hh, int mm) const {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0),
                           calendar_->time_zone());
  }

  bool Working(int y, int m, int d) const {
    auto working = calendar_->IsWorkingDay(absl::CivilDay(y, m, d));
    EXPECT_TRUE(working.ok()) << working.status();
    return working.value_or(false);
  }

  v1::CalendarPublished proto_;
  std::optional<BusinessCalendar> calendar_;
};

TEST_F(BusinessCalendarTest, NationalDayWeekIsOffAndItsMakeUpSaturdayIsWorked) {
  EXPECT_TRUE(Working(2026, 9, 30));  // Wednesday before.
  for (int day = 1; day <= 7; ++day) {
    EXPECT_FALSE(Working(2026, 10, day)) << "2026-10-" << day;
  }
  EXPECT_TRUE(Working(2026, 10, 8));    // Thursday after.
  EXPECT_FALSE(Working(2026, 10, 11));  // Sunday.
  EXPECT_TRUE(Working(2026, 10, 10));   // Make-up Saturday.
  EXPECT_TRUE(Working(2026, 9, 20));    // Make-up Sunday.
}

TEST_F(BusinessCalendarTest, SpringFestival2025AndItsMakeUpDays) {
  EXPECT_TRUE(Working(2025, 1, 26));  // Sunday worked.
  EXPECT_TRUE(Working(2025, 1, 27));
  EXPECT_FALSE(Working(2025, 1, 28));
  EXPECT_FALSE(Working(2025, 2, 4));
  EXPECT_TRUE(Working(2025, 2, 5));
  EXPECT_TRUE(Working(2025, 2, 8));  // Saturday worked.
}

TEST_F(BusinessCalendarTest, OrdinaryWeekendsAreOff) {
  EXPECT_FALSE(Working(2026, 11, 21));  // Saturday.
  EXPECT_FALSE(Working(2026, 11, 22));  // Sunday.
  EXPECT_TRUE(Working(2026, 11, 23));   // Monday.
}

TEST_F(BusinessCalendarTest, DayShiftIsWorkingDayOfficeHoursElseNightDuty) {
  struct Case {
    absl::Time t;
    v1::Shift want;
  };
  const Case cases[] = {
      {Local(2026, 11, 23, 8, 29), v1::SHIFT_NIGHT_DUTY},
      {Local(2026, 11, 23, 8, 30), v1::SHIFT_DAY},
      {Local(2026, 11, 23, 17, 29), v1::SHIFT_DAY},
      {Local(2026, 11, 23, 17, 30), v1::SHIFT_NIGHT_DUTY},
      {Local(2026, 11, 22, 11, 0), v1::SHIFT_NIGHT_DUTY},  // Sunday.
      {Local(2026, 10, 2, 11, 0), v1::SHIFT_NIGHT_DUTY},   // Holiday.
      {Local(2026, 10, 10, 11, 0), v1::SHIFT_DAY},         // Make-up Saturday.
  };
  for (const Case& c : cases) {
    auto shift = calendar_->ShiftAt(c.t);
    ASSERT_TRUE(shift.ok()) << shift.status();
    EXPECT_EQ(*shift, c.want) << absl::FormatTime(c.t, calendar_->time_zone());
  }
}

TEST_F(BusinessCalendarTest, DayIntakeAssistDeadlineIs1730SameDay) {
  auto due =
      calendar_->AssistRequestDue(Local(2026, 11, 23, 10, 5), v1::SHIFT_DAY);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, Local(2026, 11, 23, 17, 30));
}

TEST_F(BusinessCalendarTest, NightIntakeAssistDeadlineIs0930NextWorkingDay) {
  auto due = calendar_->AssistRequestDue(Local(2026, 11, 23, 21, 0),
                                         v1::SHIFT_NIGHT_DUTY);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, Local(2026, 11, 24, 9, 30));
}

TEST_F(BusinessCalendarTest, NightIntakeAfterMidnightIsDue0930ThatMorning) {
  auto due = calendar_->AssistRequestDue(Local(2026, 11, 24, 1, 15),
                                         v1::SHIFT_NIGHT_DUTY);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, Local(2026, 11, 24, 9, 30));
}

TEST_F(BusinessCalendarTest, FridayNightBeforeLongHolidayIsDueAfterIt) {
  // Thursday 2026-04-30, 20:00: Labour Day runs May 1–5.
  auto due = calendar_->AssistRequestDue(Local(2026, 4, 30, 20, 0),
                                         v1::SHIFT_NIGHT_DUTY);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, Local(2026, 5, 6, 9, 30));
  // Friday 2026-09-18 night: the weekend, then Sunday 20th is worked.
  due = calendar_->AssistRequestDue(Local(2026, 9, 18, 22, 0),
                                    v1::SHIFT_NIGHT_DUTY);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 9, 20, 9, 30));
}

TEST_F(BusinessCalendarTest, SecondWorkingDayRevisitCrossesTheWeekend) {
  // Replied Thursday: due Monday. Replied Friday: due Tuesday.
  auto due = calendar_->WorkingDaysAfter(Local(2026, 11, 19, 15, 0), 2);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, Local(2026, 11, 23, 17, 30));
  due = calendar_->WorkingDaysAfter(Local(2026, 11, 20, 15, 0), 2);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 11, 24, 17, 30));
  // Replied the day before the 2026 Spring Festival (Feb 13, Friday):
  // Saturday 14th is worked, then nine days off.
  due = calendar_->WorkingDaysAfter(Local(2026, 2, 13, 11, 0), 2);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 2, 24, 17, 30));
}

TEST_F(BusinessCalendarTest, UncoveredYearIsFailedPreconditionNamingIt) {
  auto due = calendar_->WorkingDaysAfter(Local(2026, 12, 31, 10, 0), 1);
  EXPECT_EQ(due.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(due.status().message(), HasSubstr("2027"));
}

TEST_F(BusinessCalendarTest, BadCalendarDataIsInvalidArgument) {
  v1::CalendarPublished bad = proto_;
  bad.set_time_zone("Mars/Olympus_Mons");
  EXPECT_EQ(BusinessCalendar::FromProto(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = proto_;
  auto* day = bad.add_public_holidays();
  day->set_year(2026);
  day->set_month(2);
  day->set_day(30);
  auto status = BusinessCalendar::FromProto(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("2026-02-30"));
  bad = proto_;
  bad.mutable_day_shift_end()->set_hours(7);
  EXPECT_EQ(BusinessCalendar::FromProto(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = proto_;
  bad.clear_years();
  EXPECT_EQ(BusinessCalendar::FromProto(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The law's days off (ledger/calendar/statutory.h), computed for the
// years the State Council has arranged, are all days off in its notices:
// the lunar dates and the rule agree with the official calendar.
TEST_F(BusinessCalendarTest, StatutoryDaysOffAreOffInTheOfficialYears) {
  for (int year : {2025, 2026}) {
    absl::StatusOr<std::vector<absl::CivilDay>> days = StatutoryDaysOff(year);
    ASSERT_TRUE(days.ok()) << days.status();
    for (absl::CivilDay day : *days) {
      if (absl::GetWeekday(day) == absl::Weekday::saturday ||
          absl::GetWeekday(day) == absl::Weekday::sunday) {
        continue;  // a weekend day is off anyway (unless made up: 调休)
      }
      EXPECT_FALSE(Working(year, day.month(), day.day())) << day;
    }
  }
}

TEST_F(BusinessCalendarTest, YearsPastTheNoticesGetTheLawsDaysOff) {
  absl::StatusOr<v1::CalendarPublished> extended =
      WithStatutoryYears(proto_, 2027);
  ASSERT_TRUE(extended.ok()) << extended.status();
  EXPECT_EQ(extended->calendar_version(), "cn-2025-2026.1+statutory-2027");
  auto calendar = BusinessCalendar::FromProto(*extended);
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  auto working = [&](int m, int d) {
    return calendar->IsWorkingDay(absl::CivilDay(2027, m, d)).value();
  };
  EXPECT_FALSE(working(1, 1));  // New Year's Day, a Friday
  // Spring Festival: eve Friday 5 February to Monday the 8th; its two
  // weekend days made up on Tuesday and Wednesday.
  EXPECT_TRUE(working(2, 4));
  for (int d = 5; d <= 10; ++d) EXPECT_FALSE(working(2, d)) << d;
  EXPECT_TRUE(working(2, 11));
  EXPECT_FALSE(working(4, 5));  // Qingming, Monday
  EXPECT_FALSE(working(5, 3));  // Labour Day fell on the weekend: made up
  EXPECT_FALSE(working(5, 4));
  EXPECT_TRUE(working(5, 5));
  EXPECT_FALSE(working(6, 9));   // Dragon Boat
  EXPECT_FALSE(working(9, 15));  // Mid-Autumn
  EXPECT_FALSE(working(10, 1));
  EXPECT_FALSE(working(10, 4));  // 2-3 October on the weekend, made up
  EXPECT_FALSE(working(10, 5));
  EXPECT_TRUE(working(10, 6));
  // 2025 and 2026 are the notices' still.
  EXPECT_TRUE(calendar->IsWorkingDay(absl::CivilDay(2026, 1, 4)).value());
  // A calendar that reaches the year already is left as it is.
  EXPECT_EQ(WithStatutoryYears(proto_, 2026)->SerializeAsString(),
            proto_.SerializeAsString());
  EXPECT_EQ(StatutoryDaysOff(2031).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledger
