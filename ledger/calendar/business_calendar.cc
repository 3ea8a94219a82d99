#include "ledger/calendar/business_calendar.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/shipped_calendar.h"

namespace ledger {
namespace {

// The longest run of days off a calendar may have; AddWorkingDays gives up
// after it (the data must be wrong).
constexpr int kMaxDaysOffInARow = 60;

int Minutes(const v1::TimeOfDay& t) { return t.hours() * 60 + t.minutes(); }

std::string DateString(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

absl::StatusOr<absl::CivilDay> ToCivilDay(const v1::Date& date,
                                          absl::string_view field) {
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (day.year() != date.year() || day.month() != date.month() ||
      day.day() != date.day()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", DateString(date), " is not a date"));
  }
  return day;
}

absl::Status CheckTimeOfDay(const v1::TimeOfDay& t, absl::string_view field) {
  if (t.hours() < 0 || t.hours() > 23 || t.minutes() < 0 || t.minutes() > 59) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s %d:%02d is not a time of day", field, t.hours(), t.minutes()));
  }
  return absl::OkStatus();
}

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday w = absl::GetWeekday(day);
  return w == absl::Weekday::saturday || w == absl::Weekday::sunday;
}

}  // namespace

absl::StatusOr<BusinessCalendar> BusinessCalendar::FromProto(
    const v1::CalendarPublished& calendar) {
  BusinessCalendar c;
  c.version_ = calendar.calendar_version();
  if (!absl::LoadTimeZone(calendar.time_zone(), &c.zone_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone \"", calendar.time_zone(),
                     "\" is not a known IANA time zone"));
  }
  if (calendar.years().empty()) {
    return absl::InvalidArgumentError("a calendar must cover at least a year");
  }
  for (int32_t year : calendar.years()) c.years_.insert(year);
  for (const auto& [field, dates, set] :
       {std::tuple("public_holidays", &calendar.public_holidays(),
                   &c.holidays_),
        std::tuple("makeup_working_days", &calendar.makeup_working_days(),
                   &c.makeup_days_)}) {
    for (const v1::Date& date : *dates) {
      ASSIGN_OR_RETURN(absl::CivilDay day, ToCivilDay(date, field));
      if (!c.years_.contains(day.year())) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, " ", DateString(date), " is outside the calendar's years"));
      }
      set->insert(day);
    }
  }
  RETURN_IF_ERROR(
      CheckTimeOfDay(calendar.day_shift_start(), "day_shift_start"));
  RETURN_IF_ERROR(CheckTimeOfDay(calendar.day_shift_end(), "day_shift_end"));
  RETURN_IF_ERROR(
      CheckTimeOfDay(calendar.day_assist_cutoff(), "day_assist_cutoff"));
  RETURN_IF_ERROR(
      CheckTimeOfDay(calendar.night_assist_cutoff(), "night_assist_cutoff"));
  if (Minutes(calendar.day_shift_end()) <=
      Minutes(calendar.day_shift_start())) {
    return absl::InvalidArgumentError(
        "day_shift_end must be later than day_shift_start");
  }
  c.day_shift_start_ = calendar.day_shift_start();
  c.day_shift_end_ = calendar.day_shift_end();
  c.day_assist_cutoff_ = calendar.day_assist_cutoff();
  c.night_assist_cutoff_ = calendar.night_assist_cutoff();
  return c;
}

absl::StatusOr<v1::CalendarPublished> BusinessCalendar::ReadTextFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) {
    return absl::NotFoundError(absl::StrCat("cannot read calendar ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseText(text.str(), path);
}

absl::StatusOr<v1::CalendarPublished> BusinessCalendar::ParseText(
    const std::string& text, const std::string& source) {
  v1::CalendarPublished calendar;
  if (!google::protobuf::TextFormat::ParseFromString(text, &calendar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " is not a ledger.v1.CalendarPublished in text format"));
  }
  RETURN_IF_ERROR(FromProto(calendar).status());
  return calendar;
}

absl::StatusOr<v1::CalendarPublished> BusinessCalendar::Shipped() {
  return ParseText(ShippedCalendarText(), "the shipped calendar");
}

absl::Status BusinessCalendar::CheckCovered(absl::CivilDay day) const {
  if (years_.contains(day.year())) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("calendar ", version_, " does not cover ", day.year(),
                   "; publish the calendar for ", day.year()));
}

absl::StatusOr<bool> BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  RETURN_IF_ERROR(CheckCovered(day));
  if (makeup_days_.contains(day)) return true;
  if (holidays_.contains(day)) return false;
  return !IsWeekend(day);
}

absl::StatusOr<absl::CivilDay> BusinessCalendar::AddWorkingDays(
    absl::CivilDay day, int n) const {
  if (n < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("working days to add must be at least 1, not ", n));
  }
  int found = 0;
  int days_off = 0;
  while (days_off <= kMaxDaysOffInARow) {
    ++day;
    ASSIGN_OR_RETURN(const bool working, IsWorkingDay(day));
    if (!working) {
      ++days_off;
      continue;
    }
    days_off = 0;
    if (++found == n) return day;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("calendar ", version_, " has more than ", kMaxDaysOffInARow,
                   " days off in a row before ", absl::FormatCivilTime(day)));
}

absl::Time BusinessCalendar::At(absl::CivilDay day,
                                const v1::TimeOfDay& time) const {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(),
                                           time.hours(), time.minutes(), 0),
                         zone_);
}

absl::StatusOr<v1::Shift> BusinessCalendar::ShiftAt(absl::Time t) const {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone_);
  ASSIGN_OR_RETURN(const bool working, IsWorkingDay(absl::CivilDay(local)));
  const int minutes = local.hour() * 60 + local.minute();
  const bool in_day_shift =
      minutes >= Minutes(day_shift_start_) && minutes < Minutes(day_shift_end_);
  return working && in_day_shift ? v1::SHIFT_DAY : v1::SHIFT_NIGHT_DUTY;
}

absl::StatusOr<absl::Time> BusinessCalendar::AssistRequestDue(
    absl::Time received, v1::Shift shift) const {
  const absl::CivilDay day(absl::ToCivilSecond(received, zone_));
  switch (shift) {
    case v1::SHIFT_DAY: {
      const absl::Time cutoff = At(day, day_assist_cutoff_);
      if (cutoff >= received) return cutoff;
      break;  // Taken after the day cut-off: the night rule applies.
    }
    case v1::SHIFT_NIGHT_DUTY:
      break;
    default:
      return absl::InvalidArgumentError("shift must be day or night duty");
  }
  ASSIGN_OR_RETURN(const bool working, IsWorkingDay(day));
  if (working && received < At(day, night_assist_cutoff_)) {
    return At(day, night_assist_cutoff_);  // Taken after midnight.
  }
  ASSIGN_OR_RETURN(const absl::CivilDay next, AddWorkingDays(day, 1));
  return At(next, night_assist_cutoff_);
}

absl::StatusOr<absl::Time> BusinessCalendar::WorkingDaysAfter(absl::Time t,
                                                              int n) const {
  const absl::CivilDay day(absl::ToCivilSecond(t, zone_));
  ASSIGN_OR_RETURN(const absl::CivilDay due, AddWorkingDays(day, n));
  return At(due, day_shift_end_);
}

v1::Date ToDate(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

v1::YearMonth ToYearMonth(absl::CivilMonth month) {
  v1::YearMonth out;
  out.set_year(static_cast<int32_t>(month.year()));
  out.set_month(month.month());
  return out;
}

}  // namespace ledger
