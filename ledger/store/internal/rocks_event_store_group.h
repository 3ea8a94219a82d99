// RocksEventStore::Group: what the writer thread stages for one write (the
// write path, rocks_event_store_write.cc, and the replicated one,
// rocks_event_store_replicated.cc).
#ifndef LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_GROUP_H_
#define LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_GROUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/v1/storage.pb.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {

struct RocksEventStore::Group {
  rocksdb::WriteBatch batch;
  uint64_t next_position = 0;
  std::string hash_last;
  int64_t recorded_time_us = 0;
  // Stream heads and command ids staged by earlier appends of this group
  // (the commands keyed by views of their requests' ids, alive until the
  // group is answered).
  absl::flat_hash_map<std::string, StreamHead> heads;
  absl::flat_hash_map<absl::string_view, v1::CommandRecord> commands;
  // The streams this group creates (views of its requests' stream ids), for
  // the head filter: the others are in it already.
  std::vector<absl::string_view> new_streams;
  // The staged events, in position order: built here once, then shared by
  // the group's results and the commit listener.
  std::vector<v1::Event> events;
  // A replicated log: the group's sequence number in the log of record,
  // once it has one.
  uint64_t sequence = 0;
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_GROUP_H_
