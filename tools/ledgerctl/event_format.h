// How ledgerctl prints events: aligned text for people, JSON for scripts.
#ifndef LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_
#define LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "ledger/v1/event.pb.h"

namespace ledger::ctl {

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

// Lowercase hex of raw bytes.
std::string Hex(absl::string_view bytes);

// `message` as one line of JSON, with the proto field names.
std::string MessageJson(const google::protobuf::Message& message);

// One JSON object (one line) with every envelope field, the time in RFC
// 3339 in `zone`; the stored payload bytes as "payload_base64" (what the
// hash covers, so the event can be re-hashed: ledger/FORMAT.md), and
// beside them the payload decoded as "payload" when its type is in the
// catalogue. The one JSON form of an event, in every command.
std::string EventJson(const v1::Event& event, const absl::TimeZone& zone);

// The header line of TextLine's columns.
std::string TextHeader();

// One aligned line: position, stream@revision, type, time in `zone`,
// actor, payload.
std::string TextLine(const v1::Event& event, const absl::TimeZone& zone);

// CSV: the header, and one event as a row with EventJson's fields; `cell`
// quotes and guards a text cell.
std::string CsvHeader();
std::string CsvLine(const v1::Event& event, const absl::TimeZone& zone,
                    const std::function<std::string(absl::string_view)>& cell);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_
