// BusinessCalendar: working days, shifts and deadlines of a service site,
// from data (a CalendarPublished event), never from code. Pure: no clock,
// no I/O; thread-compatible (const methods may be called concurrently).
//
// A working day is Monday to Friday unless it is a public holiday, plus
// every make-up working day (调休). Times are in the site's time zone.
// Deadline rules (docs/rules.md §3–§4):
//   - day shift: on a working day, from day_shift_start to day_shift_end;
//     anything else (nights, weekends, holidays) is night duty;
//   - assist requests: day-shift intake, by day_assist_cutoff the same day;
//     night-duty intake, by night_assist_cutoff of the first working day
//     whose cut-off is after the intake;
//   - "within N working days" of a moment: by day_shift_end of the N-th
//     working day after that moment's calendar day.
// A computation that needs a day of a year the calendar does not cover is
// FAILED_PRECONDITION naming the year: a deadline is never guessed.
#ifndef LEDGER_CALENDAR_BUSINESS_CALENDAR_H_
#define LEDGER_CALENDAR_BUSINESS_CALENDAR_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

// The site's time zone until a calendar names one.
inline constexpr char kDefaultTimeZone[] = "Asia/Shanghai";

class BusinessCalendar {
 public:
  // INVALID_ARGUMENT naming the first bad field: unknown time zone, no
  // years, a date that does not exist or lies outside `years`, a time of
  // day out of range, a day shift that ends before it starts.
  static absl::StatusOr<BusinessCalendar> FromProto(
      const v1::CalendarPublished& calendar);

  // Reads a CalendarPublished in protobuf text format (the shipped
  // ledger/calendar/data/*.textproto) and checks it like FromProto.
  static absl::StatusOr<v1::CalendarPublished> ReadTextFile(
      const std::string& path);
  // Parses and checks a CalendarPublished in text format; `source` names it
  // in errors.
  static absl::StatusOr<v1::CalendarPublished> ParseText(
      const std::string& text, const std::string& source);
  // The official calendar shipped in calendar/data/, compiled in: ledgerd
  // publishes it into the reference stream of a new ledger.
  static absl::StatusOr<v1::CalendarPublished> Shipped();

  const std::string& version() const { return version_; }
  const absl::TimeZone& time_zone() const { return zone_; }
  // The years it covers, in order.
  std::vector<int64_t> years() const {
    std::vector<int64_t> years(years_.begin(), years_.end());
    std::sort(years.begin(), years.end());
    return years;
  }

  absl::StatusOr<bool> IsWorkingDay(absl::CivilDay day) const;

  // The n-th working day after `day` (n >= 1).
  absl::StatusOr<absl::CivilDay> AddWorkingDays(absl::CivilDay day,
                                                int n) const;

  // Day shift or night duty at `t`.
  absl::StatusOr<v1::Shift> ShiftAt(absl::Time t) const;

  // When assist requests for an intake at `received` on `shift` are due.
  absl::StatusOr<absl::Time> AssistRequestDue(absl::Time received,
                                              v1::Shift shift) const;

  // End of the day shift on the n-th working day after `t`'s day.
  absl::StatusOr<absl::Time> WorkingDaysAfter(absl::Time t, int n) const;

 private:
  BusinessCalendar() = default;

  absl::Status CheckCovered(absl::CivilDay day) const;
  absl::Time At(absl::CivilDay day, const v1::TimeOfDay& time) const;

  std::string version_;
  absl::TimeZone zone_;
  absl::flat_hash_set<int64_t> years_;
  absl::flat_hash_set<absl::CivilDay> holidays_;
  absl::flat_hash_set<absl::CivilDay> makeup_days_;
  v1::TimeOfDay day_shift_start_;
  v1::TimeOfDay day_shift_end_;
  v1::TimeOfDay day_assist_cutoff_;
  v1::TimeOfDay night_assist_cutoff_;
};

// Civil dates as the protos carry them.
v1::Date ToDate(absl::CivilDay day);
v1::YearMonth ToYearMonth(absl::CivilMonth month);

}  // namespace ledger

#endif  // LEDGER_CALENDAR_BUSINESS_CALENDAR_H_
