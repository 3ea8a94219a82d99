// Checks of append requests against limits.h, done on the caller's thread
// before a request reaches the writer.
#ifndef LEDGER_STORE_INTERNAL_APPEND_VALIDATION_H_
#define LEDGER_STORE_INTERNAL_APPEND_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ledger/store/event_store.h"

namespace ledger::internal {

// Stream ids are 1..kMaxStreamIdBytes printable ASCII characters (0x21 to
// 0x7e): no spaces, no NUL (the stream index uses 0x00 as separator).
absl::Status ValidateStreamId(absl::string_view stream_id);

// INVALID_ARGUMENT naming the first field that is empty, too long or
// malformed.
absl::Status ValidateAppend(const AppendRequest& request);

// About how many bytes the append's records take (its events serialized
// with their position, hashes and ids), for kMaxBytesPerCommit.
size_t RecordBytes(const AppendRequest& request);

// SHA-256 over the stream id and each proposed event's fields: equal for a
// retry of the same command, different for different content.
std::string ContentDigest(const AppendRequest& request);
// The digest of an append made with this command fingerprint.
std::string FingerprintDigest(const std::string& fingerprint);

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_APPEND_VALIDATION_H_
