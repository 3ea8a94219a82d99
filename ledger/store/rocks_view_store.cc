// RocksViewStore: projection views' rows and checkpoints, and named
// positions, in the `projections` column family (ledger/FORMAT.md):
// "view/<name>/<key>" -> row, "checkpoint/view/<name>" -> position,
// "checkpoint/subscription/<name>" -> position.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_view_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/limits.h"

namespace ledger::internal {
namespace {

std::string RowPrefix(const std::string& view) {
  return absl::StrCat("view/", view, "/");
}

std::string ViewCheckpointKey(const std::string& view) {
  return absl::StrCat("checkpoint/view/", view);
}

std::string CheckpointKey(const std::string& name) {
  return "checkpoint/subscription/" + name;
}

absl::Status ReadOnly() {
  return absl::FailedPreconditionError("the store is open read-only");
}

absl::Status CheckViewName(const std::string& view) {
  if (view.empty() || view.size() > kMaxStreamIdBytes ||
      view.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a view name has 1 to ", kMaxStreamIdBytes, " bytes and no '/'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RocksViewStore::WriteViews(
    const std::vector<ViewChanges>& changes) {
  if (read_only_) return ReadOnly();
  rocksdb::WriteBatch batch;
  std::vector<const std::pair<std::string, std::string>*> puts;
  for (const ViewChanges& view : changes) {
    RETURN_IF_ERROR(CheckViewName(view.view));
    const std::string prefix = RowPrefix(view.view);
    // In key order: the memtable inserts each row next to the one before
    // instead of searching its skiplist from the top (rows come from hash
    // sets, and new complaints' keys all land at the end of a view).
    puts.clear();
    for (const auto& put : view.puts) puts.push_back(&put);
    std::sort(puts.begin(), puts.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* put : puts) {
      batch.Put(cf_, prefix + put->first, put->second);
    }
    for (const std::string& key : view.deletes) {
      batch.Delete(cf_, prefix + key);
    }
    std::string position;
    PutFixed64BE(&position, view.checkpoint);
    batch.Put(cf_, ViewCheckpointKey(view.view), position);
  }
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                   "writing projection views");
}

absl::Status RocksViewStore::ScanView(
    const std::string& view,
    const std::function<bool(absl::string_view, absl::string_view)>& visit)
    const {
  RETURN_IF_ERROR(CheckViewName(view));
  const std::string prefix = RowPrefix(view);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    rocksdb::Slice key = it->key();
    key.remove_prefix(prefix.size());
    if (!visit(absl::string_view(key.data(), key.size()),
               absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning a projection view");
}

absl::StatusOr<uint64_t> RocksViewStore::ViewCheckpoint(
    const std::string& view) const {
  RETURN_IF_ERROR(CheckViewName(view));
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_,
                               ViewCheckpointKey(view), &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "reading a view checkpoint"));
  if (value.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("the checkpoint of view ", view, " is not 8 bytes"));
  }
  return DecodeFixed64BE(value);
}

absl::Status RocksViewStore::DropView(const std::string& view) {
  RETURN_IF_ERROR(CheckViewName(view));
  if (read_only_) return ReadOnly();
  rocksdb::WriteBatch batch;
  const std::string prefix = RowPrefix(view);
  std::string end = prefix;
  end.back() = static_cast<char>('/' + 1);
  batch.DeleteRange(cf_, prefix, end);
  batch.Delete(cf_, ViewCheckpointKey(view));
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                   "dropping a projection view");
}

absl::Status RocksViewStore::SaveCheckpoints(
    const std::vector<std::pair<std::string, uint64_t>>& checkpoints) {
  if (read_only_) return ReadOnly();
  rocksdb::WriteBatch batch;
  for (const auto& [name, position] : checkpoints) {
    if (name.empty() || name.size() > kMaxStreamIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a checkpoint name has 1 to ", kMaxStreamIdBytes, " bytes"));
    }
    std::string value;
    PutFixed64BE(&value, position);
    batch.Put(cf_, CheckpointKey(name), value);
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(db_->Write(write, &batch), "saving checkpoints");
}

absl::StatusOr<uint64_t> RocksViewStore::LoadCheckpoint(
    const std::string& name) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_, CheckpointKey(name), &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "loading a checkpoint"));
  if (value.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", name, " is not an 8-byte position"));
  }
  return DecodeFixed64BE(value);
}

}  // namespace ledger::internal
