// Working-day calendars for years the State Council has not yet arranged
// (or the ledger's shipped data does not hold): the days off the law itself
// fixes, 《全国年节及纪念日放假办法》 as revised in 2024 (in force from
// 2025), without the yearly notice's make-up working days (调休):
//   New Year's Day 1 day (1 January); Spring Festival 4 days (New Year's
//   Eve and the first three days of the lunar year); Qingming 1 day; Labour
//   Day 2 days (1–2 May); Dragon Boat 1 day (5/5 lunar); Mid-Autumn 1 day
//   (15/8 lunar); National Day 3 days (1–3 October);
//   a statutory day on a Saturday or Sunday is made up (补假) on working
//   days, here the first weekdays after the holiday.
// The lunar dates are data (kLunarDates in statutory.cc, from ICU's Chinese
// calendar with two corrections; Qingming by the solar-term formula), for
// 2025–2030. Such a
// calendar is provisional: deadlines around a holiday may differ from the
// official arrangement by the days it bridges. The demo's seed publishes it
// when the shipped calendar does not reach today; a site publishes the
// State Council's notice (ledgerctl publish-calendar) as soon as it is out.
#ifndef LEDGER_CALENDAR_STATUTORY_H_
#define LEDGER_CALENDAR_STATUTORY_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

// The statutory days off of `year` (with the made-up ones), in order;
// INVALID_ARGUMENT for a year without lunar data.
absl::StatusOr<std::vector<absl::CivilDay>> StatutoryDaysOff(int year);

// `official` with every year after its last through `through_year` added
// from StatutoryDaysOff; its version gains "+statutory-YYYY". `official`
// itself when it reaches `through_year`.
absl::StatusOr<v1::CalendarPublished> WithStatutoryYears(
    v1::CalendarPublished official, int through_year);

// The shipped calendar (business_calendar.h), extended with statutory years
// so that it covers the month after `t` in its time zone: what a ledger
// that starts acting at `t` (ledger_seed, ledger_sim --data_dir) needs for
// its deadlines.
absl::StatusOr<v1::CalendarPublished> ShippedCalendarCovering(absl::Time t);

}  // namespace ledger

#endif  // LEDGER_CALENDAR_STATUTORY_H_
