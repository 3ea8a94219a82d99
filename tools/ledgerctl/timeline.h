// How ledgerctl shows a complaint to people: a summary of its state and
// one line per event (when, who, what, the deadlines it stamped).
#ifndef LEDGER_TOOLS_LEDGERCTL_TIMELINE_H_
#define LEDGER_TOOLS_LEDGERCTL_TIMELINE_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "ledger/v1/complaint_state.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger::ctl {

// An enum value's label: "service-quality" for
// COMPLAINT_CATEGORY_SERVICE_QUALITY.
std::string EnumValueLabel(const google::protobuf::EnumValueDescriptor* v);
template <typename Enum>
std::string EnumValueLabel(Enum value) {
  const google::protobuf::EnumValueDescriptor* v =
      google::protobuf::GetEnumDescriptor<Enum>()->FindValueByNumber(value);
  return v == nullptr ? "?" : EnumValueLabel(v);
}

// "2026-11-18 17:30" in `zone`; "-" for 0.
std::string LocalTime(int64_t us, const absl::TimeZone& zone);

// The set fields of `message` as "name=value" pairs, enums as labels, times
// (int64 *_us) in `zone`.
std::string Details(const google::protobuf::Message& message,
                    const absl::TimeZone& zone);

// A few lines: stage, owner, severity, classification, track and deadlines;
// a deadline not met by `now_us` is flagged OVERDUE (0: none flagged).
std::string StateSummary(const v1::ComplaintState& state,
                         const absl::TimeZone& zone, int64_t now_us = 0);

std::string TimelineHeader();
// One line: time, revision, actor, event type, details.
std::string TimelineLine(const v1::Event& event, const absl::TimeZone& zone);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_TIMELINE_H_
