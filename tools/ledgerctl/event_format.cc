#include "tools/ledgerctl/event_format.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/log.h"
#include "ledger/events/catalogue.h"
#include "tools/ledgerctl/text_width.h"

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

// RFC 3339 in the site's zone, with its offset: 2026-12-01T09:00:00+08:00.
std::string RecordedTime(const v1::Event& event, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez",
                          absl::FromUnixMicros(event.recorded_time_us()), zone);
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

std::string EventJson(const v1::Event& e, const absl::TimeZone& zone) {
  std::string json =
      absl::StrCat("{\"position\":", e.position(),
                   ",\"stream_id\":", JsonQuote(e.stream_id()),
                   ",\"revision\":", e.revision(),
                   ",\"event_type\":", JsonQuote(e.event_type()),
                   ",\"recorded_time\":", JsonQuote(RecordedTime(e, zone)),
                   ",\"recorded_time_us\":", e.recorded_time_us(),
                   ",\"actor\":", JsonQuote(e.actor()),
                   ",\"command_id\":", JsonQuote(e.command_id()),
                   ",\"correlation_id\":", JsonQuote(e.correlation_id()),
                   ",\"causation_id\":", JsonQuote(e.causation_id()),
                   ",\"schema_version\":", e.schema_version());
  // The stored bytes, which the hash covers, always; the decoded payload
  // beside them when its type is in the catalogue.
  if (std::optional<std::string> payload = PayloadJson(e)) {
    absl::StrAppend(&json, ",\"payload\":", *payload);
  }
  absl::StrAppend(&json, ",\"payload_base64\":",
                  JsonQuote(absl::Base64Escape(e.payload())));
  absl::StrAppend(&json,
                  ",\"previous_hash\":", JsonQuote(Hex(e.previous_hash())),
                  ",\"hash\":", JsonQuote(Hex(e.hash())), "}");
  return json;
}

std::string TextHeader() {
  return absl::StrFormat("%8s  %-32s  %-28s  %-19s  %-18s  %s", "POSITION",
                         "STREAM@REVISION", "TYPE", "RECORDED", "ACTOR",
                         "PAYLOAD");
}

std::string TextLine(const v1::Event& e, const absl::TimeZone& zone) {
  std::optional<std::string> payload = PayloadJson(e);
  return absl::StrCat(
      absl::StrFormat("%8d  ", e.position()),
      Fit(absl::StrCat(e.stream_id(), "@", e.revision()), 32), "  ",
      Fit(ShortType(e.event_type()), 28), "  ",
      absl::FormatTime("%Y-%m-%d %H:%M:%S",
                       absl::FromUnixMicros(e.recorded_time_us()), zone),
      "  ", Fit(e.actor(), 18), "  ",
      payload.has_value() ? *payload
                          : absl::StrCat("(", e.payload().size(), " bytes)"));
}

std::string CsvHeader() {
  return "position,stream_id,revision,event_type,recorded_time,actor,"
         "command_id,payload_json,payload_base64,previous_hash,hash";
}

std::string CsvLine(const v1::Event& e, const absl::TimeZone& zone,
                    const std::function<std::string(absl::string_view)>& cell) {
  std::optional<std::string> payload = PayloadJson(e);
  return absl::StrCat(e.position(), ",", cell(e.stream_id()), ",", e.revision(),
                      ",", cell(e.event_type()), ",", RecordedTime(e, zone),
                      ",", cell(e.actor()), ",", cell(e.command_id()), ",",
                      cell(payload.value_or("")), ",",
                      cell(absl::Base64Escape(e.payload())), ",",
                      Hex(e.previous_hash()), ",", Hex(e.hash()));
}

}  // namespace ledger::ctl
