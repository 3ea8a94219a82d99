#include "ledger/store/version.h"

#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "ledger/store/internal/rocks_event_store.h"

// Set by the build (CMake: the commit at configure time, which a new
// commit triggers; Bazel: not stamped).
#ifndef LEDGER_COMMIT
#define LEDGER_COMMIT "unknown"
#endif
#ifndef LEDGER_BUILD_TYPE
#define LEDGER_BUILD_TYPE ""
#endif

namespace ledger {
namespace {

std::string* Program() {
  static std::string* program = new std::string("ledger");
  return program;
}

}  // namespace

std::string VersionString(absl::string_view program) {
  std::string build =
#if defined(__OPTIMIZE__)
      "optimised";
#else
      "not optimised";
#endif
#if defined(NDEBUG)
  absl::StrAppend(&build, ", assertions off");
#else
  absl::StrAppend(&build, ", assertions on");
#endif
#if defined(__SANITIZE_ADDRESS__)
  absl::StrAppend(&build, ", AddressSanitizer");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  absl::StrAppend(&build, ", AddressSanitizer");
#endif
#endif
  if (absl::string_view type = LEDGER_BUILD_TYPE; !type.empty()) {
    absl::StrAppend(&build, ", ", type);
  }
  return absl::StrCat(program, " ", kProjectVersion, " (commit ", LEDGER_COMMIT,
                      ", store format ", internal::kFormatVersion, ", ", build,
                      ")");
}

void SetVersionFlag(absl::string_view program) {
  *Program() = std::string(program);
  absl::FlagsUsageConfig config;
  config.version_string = [] { return VersionString(*Program()) + "\n"; };
  absl::SetFlagsUsageConfig(config);
}

}  // namespace ledger
