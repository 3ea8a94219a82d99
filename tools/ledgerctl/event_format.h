// How ledgerctl prints events: aligned text for people, JSON for scripts.
#ifndef LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_
#define LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "ledger/v1/event.pb.h"

namespace ledger::ctl {

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

// Lowercase hex of raw bytes.
std::string Hex(absl::string_view bytes);

// `message` as one line of JSON, with the proto field names.
std::string MessageJson(const google::protobuf::Message& message);

// One JSON object (one line) with every envelope field; the payload decoded
// as JSON when its type is in the catalogue, else as "payload_base64".
std::string EventJson(const v1::Event& event);

// The header line of TextLine's columns.
std::string TextHeader();

// One aligned line: position, stream@revision, type, time, actor, payload.
std::string TextLine(const v1::Event& event);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_EVENT_FORMAT_H_
