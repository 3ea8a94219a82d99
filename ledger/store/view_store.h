// ViewStore: what is derived from a log and kept beside it: the rows of
// projection views with how far into the log each reaches, and named
// positions (a durable subscription's last acknowledged position). All of
// it can be rebuilt from the log; none of it is the log. Apart from
// EventStore so that another log (a replicated one) can sit under the same
// views: whatever the log, the views live in a local RocksDB.
//
// Thread safety: every method may be called from any thread.
#ifndef LEDGER_STORE_VIEW_STORE_H_
#define LEDGER_STORE_VIEW_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger {

// One of RocksDB's integer properties of one of a store's databases, for
// /metrics: kDbPropertyNames (rocksdb::DB::GetIntProperty) of each.
struct DbProperty {
  std::string db;    // "log", "views", "app_state"
  std::string name;  // "rocksdb.estimate-live-data-size"
  uint64_t value;
};
// The first kDbFamilyPropertyCount are each column family's, summed over
// the database's families; the rest are the database's (the block cache,
// shared by the three databases, shows the same figures under each).
inline constexpr size_t kDbFamilyPropertyCount = 6;
inline constexpr const char* kDbPropertyNames[] = {
    "rocksdb.estimate-live-data-size",
    "rocksdb.total-sst-files-size",
    "rocksdb.cur-size-all-mem-tables",
    "rocksdb.num-entries-active-mem-table",
    "rocksdb.estimate-num-keys",
    "rocksdb.estimate-pending-compaction-bytes",
    "rocksdb.block-cache-usage",
    "rocksdb.block-cache-capacity",
    "rocksdb.num-running-compactions",
    "rocksdb.num-running-flushes",
    "rocksdb.actual-delayed-write-rate",
    "rocksdb.is-write-stopped",
    "rocksdb.background-errors",
};

// One projection view's changed rows and how far into the log they reach.
struct ViewChanges {
  std::string view;
  std::vector<std::pair<std::string, std::string>> puts;  // key, value
  std::vector<std::string> deletes;
  // The last position of the log these changes cover.
  uint64_t checkpoint = 0;
};

class ViewStore {
 public:
  virtual ~ViewStore() = default;

  // Writes every view's rows and checkpoint in one atomic batch, so a crash
  // keeps all of a batch or none of it: a view is never ahead of or behind
  // its checkpoint. (Not fsynced: a view lost to a power cut is replayed
  // from its older checkpoint.) A view name has 1 to kMaxStreamIdBytes
  // bytes and no '/'.
  virtual absl::Status WriteViews(const std::vector<ViewChanges>& changes) = 0;
  // Every row of `view` in key order until `visit` returns false.
  absl::Status ScanView(
      const std::string& view,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) const {
    return ScanViewFrom(view, "", "", visit);
  }
  // The rows of `view` whose keys start with `key_prefix`, in key order,
  // until `visit` returns false.
  absl::Status ScanView(
      const std::string& view, absl::string_view key_prefix,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) const {
    return ScanViewFrom(view, key_prefix, "", visit);
  }
  // The rows of `view` whose keys start with `key_prefix` and are not
  // below `from_key`, in key order, until `visit` returns false.
  virtual absl::Status ScanViewFrom(
      const std::string& view, absl::string_view key_prefix,
      absl::string_view from_key,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) const = 0;
  // One row of `view`; nullopt when there is none.
  virtual absl::StatusOr<std::optional<std::string>> GetRow(
      const std::string& view, absl::string_view key) const = 0;
  // 0 when the view has never been written.
  virtual absl::StatusOr<uint64_t> ViewCheckpoint(
      const std::string& view) const = 0;
  // Deletes the view's rows and checkpoint (before a rebuild).
  virtual absl::Status DropView(const std::string& view) = 0;
  // Deletes every view's rows and checkpoints, even damaged ones that
  // cannot be read (before every view is rebuilt from the log).
  virtual absl::Status DropAllViews() = 0;

  // A named position, durably (fsynced before it returns): a durable
  // subscription's last acknowledged position. 0 when never saved.
  absl::Status SaveCheckpoint(const std::string& name, uint64_t position) {
    return SaveCheckpoints({{name, position}});
  }
  // Several at once, atomically, in one fsync.
  virtual absl::Status SaveCheckpoints(
      const std::vector<std::pair<std::string, uint64_t>>& checkpoints) = 0;
  virtual absl::StatusOr<uint64_t> LoadCheckpoint(
      const std::string& name) const = 0;
};

}  // namespace ledger

#endif  // LEDGER_STORE_VIEW_STORE_H_
