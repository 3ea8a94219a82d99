#include "tools/ledgerctl/event_format.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/log.h"
#include "ledger/events/catalogue.h"

namespace ledger::ctl {
namespace {

// Compact JSON with the proto field names; false when it cannot be printed.
bool ToJson(const google::protobuf::Message& message, std::string* json) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  return google::protobuf::util::MessageToJsonString(message, json, options)
      .ok();
}

// The payload as compact JSON, or nullopt when it cannot be decoded.
std::optional<std::string> PayloadJson(const v1::Event& event) {
  auto payload = DecodePayload(event);
  std::string json;
  if (!payload.ok() || !ToJson(**payload, &json)) return std::nullopt;
  return json;
}

std::string ShortType(const std::string& type) {
  const size_t dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

std::string RecordedTime(const v1::Event& event) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixMicros(event.recorded_time_us()),
                          absl::UTCTimeZone());
}

}  // namespace

std::string MessageJson(const google::protobuf::Message& message) {
  std::string json;
  ToJson(message, &json);
  return json;
}

std::string JsonQuote(absl::string_view s) {
  // The log's JSON strings and ledgerctl's: one escaping.
  return JsonString(s);
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

std::string EventJson(const v1::Event& e) {
  std::string json =
      absl::StrCat("{\"position\":", e.position(),
                   ",\"stream_id\":", JsonQuote(e.stream_id()),
                   ",\"revision\":", e.revision(),
                   ",\"event_type\":", JsonQuote(e.event_type()),
                   ",\"recorded_time\":", JsonQuote(RecordedTime(e)),
                   ",\"recorded_time_us\":", e.recorded_time_us(),
                   ",\"actor\":", JsonQuote(e.actor()),
                   ",\"command_id\":", JsonQuote(e.command_id()),
                   ",\"correlation_id\":", JsonQuote(e.correlation_id()),
                   ",\"causation_id\":", JsonQuote(e.causation_id()),
                   ",\"schema_version\":", e.schema_version());
  if (std::optional<std::string> payload = PayloadJson(e)) {
    absl::StrAppend(&json, ",\"payload\":", *payload);
  } else {
    absl::StrAppend(&json, ",\"payload_base64\":",
                    JsonQuote(absl::Base64Escape(e.payload())));
  }
  absl::StrAppend(&json,
                  ",\"previous_hash\":", JsonQuote(Hex(e.previous_hash())),
                  ",\"hash\":", JsonQuote(Hex(e.hash())), "}");
  return json;
}

std::string TextHeader() {
  return absl::StrFormat("%8s  %-32s  %-28s  %-20s  %-18s  %s", "POSITION",
                         "STREAM@REVISION", "TYPE", "RECORDED (UTC)", "ACTOR",
                         "PAYLOAD");
}

std::string TextLine(const v1::Event& e) {
  std::optional<std::string> payload = PayloadJson(e);
  return absl::StrFormat(
      "%8d  %-32s  %-28s  %-20s  %-18s  %s", e.position(),
      absl::StrCat(e.stream_id(), "@", e.revision()), ShortType(e.event_type()),
      RecordedTime(e), e.actor(),
      payload.has_value() ? *payload
                          : absl::StrCat("(", e.payload().size(), " bytes)"));
}

}  // namespace ledger::ctl
