// Helpers of NatsLog's files (ledger/replication/nats_log*.cc).
#ifndef LEDGER_REPLICATION_INTERNAL_NATS_UTIL_H_
#define LEDGER_REPLICATION_INTERNAL_NATS_UTIL_H_

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ledger::internal {

// What a failed NATS call says: its status and the library's last error
// on this thread.
inline std::string Why(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return absl::StrCat(natsStatus_GetText(s), last != nullptr && *last != '\0'
                                                 ? absl::StrCat(" (", last, ")")
                                                 : std::string());
}

inline int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

}  // namespace ledger::internal

#endif  // LEDGER_REPLICATION_INTERNAL_NATS_UTIL_H_
