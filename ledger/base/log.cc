#include "ledger/base/log.h"

#include <atomic>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace ledger {
namespace {

std::atomic<bool> json{false};

spdlog::logger& Logger() {
  // Made on first use (text, info): a program that never configures its
  // log still gets timestamped lines.
  static spdlog::logger* logger = [] {
    auto made = std::make_shared<spdlog::logger>(
        "ledger", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    made->set_level(spdlog::level::info);
    made->flush_on(spdlog::level::trace);  // Every line, as it happens.
    spdlog::register_logger(made);
    return made.get();
  }();
  return *logger;
}

spdlog::level::level_enum LevelOf(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

LogField::LogField(absl::string_view key, double value)
    : key(key), value(absl::StrFormat("%.3f", value)), number(true) {}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

absl::Status ConfigureLog(absl::string_view format, absl::string_view level) {
  spdlog::level::level_enum parsed;
  if (level == "debug") {
    parsed = spdlog::level::debug;
  } else if (level == "info") {
    parsed = spdlog::level::info;
  } else if (level == "warn") {
    parsed = spdlog::level::warn;
  } else if (level == "error") {
    parsed = spdlog::level::err;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("log level \"", level, "\": debug, info, warn or error"));
  }
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("log format \"", format, "\": text or json"));
  }
  spdlog::logger& logger = Logger();
  logger.set_level(parsed);
  json = format == "json";
  // JSON: the time and level by spdlog, the rest (already JSON) by Log.
  logger.set_pattern(json ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%e%z\","
                            "\"level\":\"%l\",%v}"
                          : "%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  return absl::OkStatus();
}

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  spdlog::logger& logger = Logger();
  const spdlog::level::level_enum at = LevelOf(level);
  if (!logger.should_log(at)) return;
  std::string line;
  if (json) {
    line = absl::StrCat("\"msg\":", JsonString(message));
    for (const LogField& f : fields) {
      absl::StrAppend(&line, ",", JsonString(f.key), ":",
                      f.number ? f.value : JsonString(f.value));
    }
  } else {
    line = std::string(message);
    for (const LogField& f : fields) {
      const bool plain =
          f.number || (!f.value.empty() &&
                       f.value.find_first_of(" \"=") == std::string::npos);
      absl::StrAppend(&line, " ", f.key, "=",
                      plain ? f.value : JsonString(f.value));
    }
  }
  logger.log(at, "{}", line);
}

}  // namespace ledger
