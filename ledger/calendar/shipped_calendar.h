// The text of ledger/calendar/data/cn_2025_2026.textproto, compiled in by
// the build (shipped_calendar.cc.in).
#ifndef LEDGER_CALENDAR_SHIPPED_CALENDAR_H_
#define LEDGER_CALENDAR_SHIPPED_CALENDAR_H_

namespace ledger {

const char* ShippedCalendarText();

}  // namespace ledger

#endif  // LEDGER_CALENDAR_SHIPPED_CALENDAR_H_
