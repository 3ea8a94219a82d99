// The ledger's log lines (ledgerd's standard error): timestamped and
// levelled through spdlog, as text or as JSON lines (--log_format), each a
// message and optional fields:
//
//   2026-12-05T06:20:01.123+00:00 info serving on port 50051
//   {"time":"2026-12-05T06:20:01.123+00:00","level":"info",
//    "msg":"call refused","rpc":"/ledger.v1.QueryService/GetQueue",...}
//
// Until ConfigureLog is called, lines go out as text at level info.
#ifndef LEDGER_BASE_LOG_H_
#define LEDGER_BASE_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ledger {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// A field of a line: a string, or a number (written unquoted in JSON).
struct LogField {
  LogField(absl::string_view key, absl::string_view value)
      : key(key), value(value) {}
  LogField(absl::string_view key, const std::string& value)
      : key(key), value(value) {}
  LogField(absl::string_view key, const char* value) : key(key), value(value) {}
  LogField(absl::string_view key, int64_t value)
      : key(key), value(std::to_string(value)), number(true) {}
  LogField(absl::string_view key, uint64_t value)
      : key(key), value(std::to_string(value)), number(true) {}
  LogField(absl::string_view key, int value)
      : key(key), value(std::to_string(value)), number(true) {}
  LogField(absl::string_view key, double value);

  absl::string_view key;
  std::string value;
  bool number = false;
};

// `format`: "text" or "json"; `level`: "debug", "info", "warn" or "error".
// INVALID_ARGUMENT naming the value otherwise. Not thread-safe: call once,
// at start, before other threads log.
absl::Status ConfigureLog(absl::string_view format, absl::string_view level);

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});
inline void LogInfo(absl::string_view message,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarn(absl::string_view message,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, message, fields);
}
inline void LogError(absl::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
}

// `text` as a JSON string, quotes included.
std::string JsonString(absl::string_view text);

}  // namespace ledger

#endif  // LEDGER_BASE_LOG_H_
