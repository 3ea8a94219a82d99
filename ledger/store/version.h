// What `--version` prints for ledgerd and the tools: the project's version,
// the commit built, the store format this build writes, and how it was
// built (optimised or not, assertions, sanitizers), read from the compiler
// rather than from a build-type name.
#ifndef LEDGER_STORE_VERSION_H_
#define LEDGER_STORE_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ledger {

inline constexpr char kProjectVersion[] = "0.2.0";

// "<program> 0.2.0 (commit 8f33ca1d2e4b, store format 3, optimised,
// assertions off, RelWithDebInfo)".
std::string VersionString(absl::string_view program);

// Makes `--version` of absl's flags print VersionString(program); call
// before absl::ParseCommandLine.
void SetVersionFlag(absl::string_view program);

}  // namespace ledger

#endif  // LEDGER_STORE_VERSION_H_
