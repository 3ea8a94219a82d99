// DATA_LOSS statuses that carry the global position of the broken record as
// a payload, so tools (ledgerctl verify, the gRPC layer) can report it
// without parsing messages.
#ifndef LEDGER_STORE_ERRORS_H_
#define LEDGER_STORE_ERRORS_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ledger {

inline constexpr absl::string_view kBrokenPositionPayload =
    "type.googleapis.com/ledger.v1.BrokenPosition";

// DATA_LOSS with `message`, marked with `position`.
absl::Status DataLossAt(uint64_t position, absl::string_view message);

// The position a DataLossAt status names, if any.
std::optional<uint64_t> BrokenPosition(const absl::Status& status);

}  // namespace ledger

#endif  // LEDGER_STORE_ERRORS_H_
