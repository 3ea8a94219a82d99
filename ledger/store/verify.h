// Walking the whole log and checking every link of the hash chain, from any
// source of pages: an EventStore opened offline, or a server over gRPC
// (ledgerctl verify). The caller's pages are checked here again, so a
// server that lies is caught too.
#ifndef LEDGER_STORE_VERIFY_H_
#define LEDGER_STORE_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

struct VerifyReport {
  uint64_t events_verified = 0;
  uint64_t position_last = 0;
  std::string hash_last;
  // OK, or the first problem found; DATA_LOSS statuses name the broken
  // position (see BrokenPosition in errors.h).
  absl::Status status;
  std::optional<uint64_t> first_broken_position;
  // The size of the signed checkpoint whose root the walk's events were
  // found to have, when one was given.
  std::optional<uint64_t> signed_size;
};

// Returns up to `limit` events starting at position `from`; an empty page
// ends the walk.
using PageReader = std::function<absl::StatusOr<std::vector<v1::Event>>(
    uint64_t from, uint32_t limit)>;

// Reads pages from position 1 until an empty one, checking each event with
// a ChainVerifier. Stops at the first problem. When the source refuses a
// page with DATA_LOSS at a position, the events before it are still read
// and checked, so events_verified counts every good event. With a
// `checkpoint` (its signature checked by the caller), the walk also
// computes the Merkle tree over the events: DATA_LOSS when its root at the
// checkpoint's size is not the signed one (the log was rewritten, even
// re-chained consistently) or the log ends before that size.
VerifyReport VerifyChain(
    const PageReader& read_page,
    const std::optional<SignedCheckpoint>& checkpoint = std::nullopt);

// The same walk over an open store, through EventStore::ScanAll, against
// the store's latest checkpoint when it has one.
VerifyReport VerifyStore(const EventStore& store);

}  // namespace ledger

#endif  // LEDGER_STORE_VERIFY_H_
