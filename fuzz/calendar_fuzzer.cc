// Fuzzes calendar data: a CalendarPublished, in protobuf's binary or text
// format (ledgerctl publish-calendar --file), through
// BusinessCalendar::FromProto and, when accepted, the calendar's
// computations at arbitrary times. Every computation is bounded (fewer than
// 256 working days, at most kMaxCalendarProbes probes an input), so no
// input runs long. Input: fuzz/inputs.h, CalendarInput.
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz/inputs.h"
#include "ledger/base/check.h"
#include "ledger/calendar/business_calendar.h"

namespace ledger::fuzz {
namespace {

constexpr int64_t kYearUs = int64_t{366} * 24 * 3600 * 1000 * 1000;

std::optional<v1::CalendarPublished> CalendarOf(const std::string& bytes) {
  v1::CalendarPublished calendar;
  if (calendar.ParseFromString(bytes)) return calendar;
  absl::StatusOr<v1::CalendarPublished> text =
      BusinessCalendar::ParseText(bytes, "the fuzzer's input");
  if (text.ok()) return *text;
  return std::nullopt;
}

void Probe(const BusinessCalendar& calendar,
           const v1::CalendarPublished& published, const CalendarProbe& probe) {
  absl::Time t = absl::FromUnixMicros(probe.time_us);
  if (probe.choice % 2 == 0) {
    // FromProto accepts no calendar without years.
    const int32_t year =
        published.years(probe.choice / 2 % published.years_size());
    t = absl::FromCivil(absl::CivilYear(year), calendar.time_zone()) +
        absl::Microseconds(static_cast<uint64_t>(probe.time_us) % kYearUs);
  }
  const int days = probe.days - 1;
  const absl::CivilDay day(absl::ToCivilSecond(t, calendar.time_zone()));

  // Each may refuse (a year not covered, too many days off in a row); what
  // it accepts must be what the header promises.
  calendar.IsWorkingDay(day).IgnoreError();
  absl::StatusOr<absl::CivilDay> later = calendar.AddWorkingDays(day, days);
  LEDGER_CHECK(!later.ok() || (*later > day &&
                               calendar.IsWorkingDay(*later).value_or(false)),
               "AddWorkingDays answers a working day after the day");
  absl::StatusOr<v1::Shift> shift = calendar.ShiftAt(t);
  LEDGER_CHECK(
      !shift.ok() || *shift == v1::SHIFT_DAY || *shift == v1::SHIFT_NIGHT_DUTY,
      "ShiftAt answers the day shift or night duty");
  calendar.AssistRequestDue(t, static_cast<v1::Shift>(probe.shift))
      .IgnoreError();
  calendar.WorkingDaysAfter(t, days).IgnoreError();
}

void FuzzCalendar(const uint8_t* data, size_t size) {
  const CalendarInput input = ParseCalendar(data, size);
  const std::optional<v1::CalendarPublished> published =
      CalendarOf(input.calendar);
  if (!published.has_value()) return;
  absl::StatusOr<BusinessCalendar> calendar =
      BusinessCalendar::FromProto(*published);
  if (!calendar.ok()) return;
  for (const CalendarProbe& probe : input.probes) {
    Probe(*calendar, *published, probe);
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::FuzzCalendar(data, size);
  return 0;
}
