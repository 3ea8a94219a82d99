#include "tools/ledgerctl/timeline.h"

#include <cctype>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/catalogue.h"
#include "ledger/v1/common.pb.h"

namespace ledger::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr size_t kMaxShownText = 60;

std::string Text(const std::string& s) {
  std::string shown = s.size() > kMaxShownText
                          ? absl::StrCat(s.substr(0, kMaxShownText), "...")
                          : s;
  return absl::StrContains(shown, ' ') ? absl::StrCat("\"", shown, "\"")
                                       : shown;
}

std::string Value(const Message& m, const FieldDescriptor* f, int index,
                  const absl::TimeZone& zone) {
  const auto* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return Text(rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f));
    case FieldDescriptor::CPPTYPE_ENUM:
      return EnumValueLabel(rep ? r->GetRepeatedEnum(m, f, index)
                                : r->GetEnum(m, f));
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t v =
          rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
      return absl::EndsWith(f->name(), "_us") ? LocalTime(v, zone)
                                              : absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub =
          rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      if (sub.GetDescriptor() == v1::AssistTarget::descriptor()) {
        const auto& t = static_cast<const v1::AssistTarget&>(sub);
        return t.has_station_id()
                   ? absl::StrCat("station:", t.station_id())
                   : absl::StrCat("department:", t.department_id());
      }
      return absl::StrCat("{", Details(sub, zone), "}");
    }
    default: {
      std::string out;
      // (The index of a field that is not repeated must be -1.)
      google::protobuf::TextFormat::PrintFieldValueToString(
          m, f, rep ? index : -1, &out);
      return out;
    }
  }
}

}  // namespace

std::string EnumValueLabel(const google::protobuf::EnumValueDescriptor* v) {
  const std::string& zero = v->type()->value(0)->name();
  std::string name = v->name().substr(zero.size() - 11);  // "UNSPECIFIED".
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  }
  return name;
}

std::string LocalTime(int64_t us, const absl::TimeZone& zone) {
  if (us == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(us), zone);
}

std::string Details(const Message& message, const absl::TimeZone& zone) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  std::vector<std::string> parts;
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      parts.push_back(f->name());  // Only true bools are listed.
      continue;
    }
    if (!f->is_repeated()) {
      parts.push_back(absl::StrCat(f->name(), "=", Value(message, f, 0, zone)));
      continue;
    }
    std::vector<std::string> values;
    const int n = message.GetReflection()->FieldSize(message, f);
    for (int i = 0; i < n; ++i) values.push_back(Value(message, f, i, zone));
    parts.push_back(
        absl::StrCat(f->name(), "=[", absl::StrJoin(values, ", "), "]"));
  }
  return absl::StrJoin(parts, " ");
}

std::string StateSummary(const v1::ComplaintState& s,
                         const absl::TimeZone& zone, int64_t now_us) {
  auto overdue = [now_us](int64_t due_us) {
    return now_us != 0 && due_us != 0 && due_us < now_us ? " OVERDUE" : "";
  };
  const bool replied = s.stage() >= v1::STAGE_REPLIED;
  std::string out =
      absl::StrCat("complaint ", s.complaint_id(), ": ", StageLabel(s.stage()),
                   ", owner ", s.owner_agent_id(), ", severity ",
                   EnumLabel(s.severity()), ", revision ", s.revision(), "\n");
  absl::StrAppend(&out, "  received ", LocalTime(s.received_time_us(), zone),
                  " by ", s.receiving_agent_id(), " (", EnumLabel(s.channel()),
                  ", ", EnumLabel(s.shift()), ")",
                  s.green_channel() ? ", green channel" : "", "\n");
  if (s.classified()) {
    absl::StrAppend(&out, "  ", EnumLabel(s.kind()),
                    s.category() != v1::COMPLAINT_CATEGORY_UNSPECIFIED
                        ? absl::StrCat(" / ", EnumLabel(s.category()))
                        : "",
                    ", ", EnumLabel(s.importance()), ", route to ",
                    EnumLabel(s.suggested_routing()),
                    s.flagged_for_head() ? ", flagged for the centre head" : "",
                    "\n");
  }
  if (s.track() != v1::HANDLING_TRACK_UNSPECIFIED) {
    absl::StrAppend(&out, "  track ", EnumLabel(s.track()), ": reply due ",
                    LocalTime(s.reply_due_us(), zone),
                    replied ? "" : overdue(s.reply_due_us()));
    if (s.assist_request_due_us() != 0) {
      absl::StrAppend(&out, ", assist requests due ",
                      LocalTime(s.assist_request_due_us(), zone));
    }
    absl::StrAppend(&out, "\n");
  }
  if (s.paperwork_pending()) {
    absl::StrAppend(&out, "  paperwork pending, due ",
                    LocalTime(s.paperwork_due_us(), zone),
                    overdue(s.paperwork_due_us()), "\n");
  }
  if (s.stage() == v1::STAGE_REPLIED) {
    absl::StrAppend(&out, "  revisit due ", LocalTime(s.revisit_due_us(), zone),
                    overdue(s.revisit_due_us()), "\n");
  }
  if (s.severity() != v1::SEVERITY_GENERAL) {
    absl::StrAppend(&out, "  ", EnumLabel(s.severity()), ": ",
                    s.severity_reason(), "\n");
  }
  return out;
}

std::string TimelineHeader() {
  return absl::StrFormat("%-16s  %4s  %-10s  %-22s  %s", "WHEN", "REV", "WHO",
                         "EVENT", "DETAILS");
}

std::string TimelineLine(const v1::Event& event, const absl::TimeZone& zone) {
  std::string type = event.event_type();
  type = type.substr(type.rfind('.') + 1);
  auto payload = DecodePayload(event);
  return absl::StrFormat(
      "%-16s  %4d  %-10s  %-22s  %s", LocalTime(event.recorded_time_us(), zone),
      event.revision(), event.actor(), type,
      payload.ok() ? Details(**payload, zone)
                   : absl::StrCat("(", payload.status().message(), ")"));
}

}  // namespace ledger::ctl
