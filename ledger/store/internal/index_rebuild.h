// The `streams` and `commands` column families are derived from the
// events: each event has its index entry (stream and revision -> position)
// and each append with a command id its record. When either is damaged
// (RocksDB reports corruption reading it), both are dropped and made again
// from the events, unread.
#ifndef LEDGER_STORE_INTERNAL_INDEX_REBUILD_H_
#define LEDGER_STORE_INTERNAL_INDEX_REBUILD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace ledger::internal {

// Drops `*streams` and `*commands` (their files are never read again),
// creates them afresh with the same options, and writes one index entry
// per event and one command record per append of `events`; the handles are
// replaced. A rebuilt command record has no content digest: a retry with
// its id gets its result whatever the retry carries (FORMAT.md, "The
// indexes"). Returns the events indexed. Nobody else may use the two
// handles meanwhile.
absl::StatusOr<uint64_t> RebuildIndexes(rocksdb::DB* db,
                                        rocksdb::ColumnFamilyHandle* events,
                                        rocksdb::ColumnFamilyHandle** streams,
                                        rocksdb::ColumnFamilyHandle** commands);

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_INDEX_REBUILD_H_
