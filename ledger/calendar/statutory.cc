#include "ledger/calendar/statutory.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"

namespace ledger {
namespace {

// Gregorian dates of the lunar holidays: Spring Festival's eve, Qingming,
// Dragon Boat, Mid-Autumn. From ICU 72's Chinese calendar in Asia/Shanghai
// (Calendar::createInstance("zh_CN@calendar=chinese")), except the Spring
// Festivals of 2027 (6 February) and 2030 (3 February), where that month's
// new moon falls minutes from Beijing midnight and ICU is a day late (the
// published lunar calendars have them a day earlier); Qingming from the
// 21st century's formula, day = floor(0.2422 Y + 4.81) - floor(Y / 4) of
// April. 2025 and 2026 agree with the State Council's notices (a test).
struct LunarDates {
  int year;
  int eve_month, eve_day;
  int qingming_day;  // of April
  int dragon_month, dragon_day;
  int autumn_month, autumn_day;
};
constexpr LunarDates kLunarDates[] = {
    {2025, 1, 28, 4, 5, 31, 10, 6}, {2026, 2, 16, 5, 6, 19, 9, 25},
    {2027, 2, 5, 5, 6, 9, 9, 15},   {2028, 1, 25, 4, 5, 28, 10, 3},
    {2029, 2, 12, 4, 6, 16, 9, 22}, {2030, 2, 2, 5, 6, 5, 9, 12},
};

bool Weekend(absl::CivilDay day) {
  const absl::Weekday w = absl::GetWeekday(day);
  return w == absl::Weekday::saturday || w == absl::Weekday::sunday;
}

}  // namespace

absl::StatusOr<std::vector<absl::CivilDay>> StatutoryDaysOff(int year) {
  const LunarDates* d = nullptr;
  for (const LunarDates& l : kLunarDates) {
    if (l.year == year) d = &l;
  }
  if (d == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no lunar dates for ", year, " (ledger/calendar/statutory.cc)"));
  }
  std::set<absl::CivilDay> days;
  days.insert(absl::CivilDay(year, 1, 1));
  const absl::CivilDay eve(year, d->eve_month, d->eve_day);
  for (int i = 0; i < 4; ++i) days.insert(eve + i);
  days.insert(absl::CivilDay(year, 4, d->qingming_day));
  days.insert(absl::CivilDay(year, 5, 1));
  days.insert(absl::CivilDay(year, 5, 2));
  days.insert(absl::CivilDay(year, d->dragon_month, d->dragon_day));
  days.insert(absl::CivilDay(year, d->autumn_month, d->autumn_day));
  for (int i = 1; i <= 3; ++i) days.insert(absl::CivilDay(year, 10, i));
  // Each run of statutory days: its weekend days made up on the weekdays
  // right after it.
  std::set<absl::CivilDay> out = days;
  for (auto it = days.begin(); it != days.end();) {
    absl::CivilDay last = *it;
    int weekend = 0;
    for (; it != days.end() && *it <= last + 1; ++it) {
      last = *it;
      weekend += Weekend(*it);
    }
    for (absl::CivilDay next = last + 1; weekend > 0; ++next) {
      if (Weekend(next) || out.count(next) > 0) continue;
      out.insert(next);
      --weekend;
    }
  }
  return std::vector<absl::CivilDay>(out.begin(), out.end());
}

absl::StatusOr<v1::CalendarPublished> ShippedCalendarCovering(absl::Time t) {
  ASSIGN_OR_RETURN(v1::CalendarPublished shipped, BusinessCalendar::Shipped());
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(shipped.time_zone(), &zone)) {
    return absl::InternalError(
        absl::StrCat("no time zone ", shipped.time_zone()));
  }
  const absl::Time reach = t + absl::Hours(24 * 31);
  return WithStatutoryYears(
      std::move(shipped),
      static_cast<int>(absl::ToCivilYear(reach, zone).year()));
}

absl::StatusOr<v1::CalendarPublished> WithStatutoryYears(
    v1::CalendarPublished official, int through_year) {
  int last = 0;
  for (int32_t y : official.years()) last = std::max(last, y);
  if (last >= through_year) return official;
  for (int year = last + 1; year <= through_year; ++year) {
    ASSIGN_OR_RETURN(std::vector<absl::CivilDay> days, StatutoryDaysOff(year));
    official.add_years(year);
    for (absl::CivilDay day : days) {
      *official.add_public_holidays() = ToDate(day);
    }
  }
  official.set_calendar_version(absl::StrCat(
      official.calendar_version(), "+statutory-", last + 1,
      through_year > last + 1 ? absl::StrCat("-", through_year) : ""));
  RETURN_IF_ERROR(BusinessCalendar::FromProto(official).status());
  return official;
}

}  // namespace ledger
