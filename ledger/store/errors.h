// Statuses that carry what a tool acts on as a payload, so tools (ledgerctl
// verify, the gRPC layer) can report it without parsing messages: the
// global position of a broken record on DATA_LOSS; the writer's address on
// UNAVAILABLE from a node of a replicated log that does not write.
#ifndef LEDGER_STORE_ERRORS_H_
#define LEDGER_STORE_ERRORS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ledger {

inline constexpr absl::string_view kBrokenPositionPayload =
    "type.googleapis.com/ledger.v1.BrokenPosition";

// DATA_LOSS with `message`, marked with `position`.
absl::Status DataLossAt(uint64_t position, absl::string_view message);

// The position a DataLossAt status names, if any.
std::optional<uint64_t> BrokenPosition(const absl::Status& status);

inline constexpr absl::string_view kWriterAddressPayload =
    "type.googleapis.com/ledger.v1.WriterAddress";

// UNAVAILABLE with `message`, naming the node that writes the log at
// `address` (host:port) for the caller to send its command to; an empty
// address names none (no node holds the lease yet).
absl::Status NotTheWriter(absl::string_view message, absl::string_view address);

// The writer's address a NotTheWriter status names, if any.
std::optional<std::string> WriterAddress(const absl::Status& status);

}  // namespace ledger

#endif  // LEDGER_STORE_ERRORS_H_
