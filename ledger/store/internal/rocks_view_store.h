// RocksViewStore: the ViewStore of a RocksDB database, in its `projections`
// column family; the embedded event store keeps its views in its own
// database this way (rocks_view_store.cc).
#ifndef LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_
#define LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ledger/store/view_store.h"
#include "rocksdb/db.h"

namespace ledger::internal {

class RocksViewStore final : public ViewStore {
 public:
  // `db` and `cf` must outlive the view store (or it must not be used
  // after they are closed).
  RocksViewStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                 bool read_only)
      : db_(db), cf_(cf), read_only_(read_only) {}

  absl::Status WriteViews(const std::vector<ViewChanges>& changes) override;
  absl::Status ScanView(
      const std::string& view,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) const override;
  absl::StatusOr<uint64_t> ViewCheckpoint(
      const std::string& view) const override;
  absl::Status DropView(const std::string& view) override;
  absl::Status SaveCheckpoints(
      const std::vector<std::pair<std::string, uint64_t>>& checkpoints)
      override;
  absl::StatusOr<uint64_t> LoadCheckpoint(
      const std::string& name) const override;

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const bool read_only_;
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_VIEW_STORE_H_
