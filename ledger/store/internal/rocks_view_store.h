// RocksViewStore: projection views in a RocksDB database of their own
// (`<data_dir>/views`), and named positions in the log's database (its
// `projections` column family); rocks_view_store.cc.
//
// The views' database is apart from the log's so that damage to it never
// touches the log: RocksDB's write-ahead log is one per database, and a
// damaged record in it fails the whole database's recovery. Damaged views
// are dropped whole (the directory) and rebuilt from the log. Their writes
// skip the WAL: a crash loses the last unflushed rows and their checkpoint
// together (one batch), and the views are replayed from the older one.
// Named positions (a durable subscription's acknowledged position) cannot
// be rebuilt from the log, so they stay with it, fsynced.
#ifndef LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_
#define LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ledger/store/internal/rocks_memory.h"
#include "ledger/store/view_store.h"
#include "rocksdb/db.h"

namespace ledger::internal {

class RocksViewStore final : public ViewStore {
 public:
  // Rows of `view` looked up by a key prefix of `key_bytes` bytes (the app
  // state's customers: a customer's key, then each intake's position). The
  // database keeps Bloom filters of these prefixes, in its memtables and
  // table files, so that a scan of a prefix never written (a new
  // customer's) costs a filter probe instead of a seek through every
  // memtable and file.
  struct PrefixFilter {
    std::string view;
    size_t key_bytes = 0;
  };

  // Opens (creating unless `read_only`) the views' database in `views_dir`;
  // when it does not open, reads and writes of views are DATA_LOSS until
  // DropAllViews makes it afresh. `db` and `positions` (for named positions)
  // must outlive the view store, and so must `env` (the log's; nullptr: the
  // default), through which the views' files are read and written. Its
  // tables are read through `memory`'s cache and its memtables count
  // against its budget (rocks_memory.h; none: RocksDB's defaults).
  RocksViewStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* positions,
                 std::string views_dir, bool read_only, RocksMemory memory,
                 rocksdb::Env* env = nullptr,
                 std::optional<PrefixFilter> prefix_filter = std::nullopt);
  ~RocksViewStore() override;

  absl::Status WriteViews(const std::vector<ViewChanges>& changes) override;
  absl::Status ScanViewFrom(
      const std::string& view, absl::string_view key_prefix,
      absl::string_view from_key,
      const std::function<bool(absl::string_view, absl::string_view)>& visit)
      const override;
  absl::StatusOr<std::optional<std::string>> GetRow(
      const std::string& view, absl::string_view key) const override;
  absl::StatusOr<uint64_t> ViewCheckpoint(
      const std::string& view) const override;
  absl::Status DropView(const std::string& view) override;
  absl::Status DropAllViews() override;
  absl::Status SaveCheckpoints(
      const std::vector<std::pair<std::string, uint64_t>>& checkpoints)
      override;
  absl::StatusOr<uint64_t> LoadCheckpoint(
      const std::string& name) const override;

  // kDbPropertyNames of the views' database (none while it is
  // not open), as `db`.
  void AppendProperties(const std::string& db,
                        std::vector<DbProperty>* out) const;

  // Flushes and closes the views' database.
  absl::Status Close();
  // A RocksDB checkpoint of the views' database (flushed first: the views
  // are written without a WAL) in the new directory `dir`; nothing when
  // there is no database.
  absl::Status CheckpointTo(const std::string& dir) const;

 private:
  // The options the views' database is opened with.
  rocksdb::Options DbOptions() const;
  // Opens views_ (under mu_, held exclusively).
  absl::Status OpenViews() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CloseViews() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const positions_;
  const std::string views_dir_;
  const bool read_only_;
  const RocksMemory memory_;
  rocksdb::Env* const env_;
  const std::optional<PrefixFilter> prefix_filter_;
  // Shared by reads and writes of rows, exclusive to drop and reopen.
  mutable absl::Mutex mu_;
  std::unique_ptr<rocksdb::DB> views_ ABSL_GUARDED_BY(mu_);
  // Why views_ did not open (OK when it did, or read-only and absent).
  absl::Status open_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_
