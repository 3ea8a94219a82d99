// RocksViewStore (ledger/FORMAT.md, "Views"): in the views' database,
// "view/<name>/<key>" -> row and "checkpoint/view/<name>" -> position; in
// the log's `projections` family, "checkpoint/subscription/<name>" ->
// position.
#include "ledger/store/internal/rocks_view_store.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/limits.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"

namespace ledger::internal {
namespace {

std::string RowPrefix(const std::string& view) {
  return absl::StrCat("view/", view, "/");
}

// The prefix of a row key of one view (RowPrefix and `key_bytes` of the
// row's key); other keys are out of its domain, and have no filter.
class RowKeyPrefix final : public rocksdb::SliceTransform {
 public:
  RowKeyPrefix(std::string row_prefix, size_t key_bytes)
      : row_prefix_(std::move(row_prefix)),
        bytes_(row_prefix_.size() + key_bytes),
        name_(absl::StrCat("ledger.RowKeyPrefix:", row_prefix_, ":",
                           key_bytes)) {}
  const char* Name() const override { return name_.c_str(); }
  // RocksDB may ask for keys out of the domain too (an iterator in prefix
  // mode walking past the last customer): never past their end.
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), std::min(key.size(), bytes_));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= bytes_ && key.starts_with(row_prefix_);
  }

 private:
  const std::string row_prefix_;
  const size_t bytes_;
  const std::string name_;
};

std::string ViewCheckpointKey(const std::string& view) {
  return absl::StrCat("checkpoint/view/", view);
}

std::string CheckpointKey(const std::string& name) {
  return "checkpoint/subscription/" + name;
}

absl::Status ReadOnly() {
  return absl::FailedPreconditionError("the store is open read-only");
}

absl::Status NoViews(const std::string& dir) {
  return absl::UnavailableError(
      absl::StrCat("the views in ", dir, " could not be opened"));
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

RocksViewStore::RocksViewStore(rocksdb::DB* db,
                               rocksdb::ColumnFamilyHandle* positions,
                               std::string views_dir, bool read_only,
                               RocksMemory memory, rocksdb::Env* env,
                               std::optional<PrefixFilter> prefix_filter)
    : db_(db),
      positions_(positions),
      views_dir_(std::move(views_dir)),
      read_only_(read_only),
      memory_(std::move(memory)),
      env_(env),
      prefix_filter_(std::move(prefix_filter)) {
  absl::MutexLock lock(&mu_);
  // A views' database that does not open is damaged (or not ours): reads
  // say so with DATA_LOSS, and the projection runner drops the views and
  // rebuilds them from the log.
  open_error_ = OpenViews();
  if (!open_error_.ok()) {
    LogWarn(absl::StrFormat("views: %s", open_error_.ToString()));
  }
  if (!read_only_) {
    // Views before they had a database of their own: gone from the log's.
    rocksdb::WriteBatch old;
    old.DeleteRange(positions_, "view/", "view0").PermitUncheckedError();
    old.DeleteRange(positions_, "checkpoint/view/", "checkpoint/view0")
        .PermitUncheckedError();
    db_->Write(rocksdb::WriteOptions(), &old).PermitUncheckedError();
  }
}

RocksViewStore::~RocksViewStore() { Close().IgnoreError(); }

void RocksViewStore::AppendProperties(const std::string& db,
                                      std::vector<DbProperty>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  if (views_ != nullptr) AppendDbProperties(views_.get(), db, out);
}

absl::Status RocksViewStore::Close() {
  absl::MutexLock lock(&mu_);
  return CloseViews();
}

rocksdb::Options RocksViewStore::DbOptions() const {
  rocksdb::Options options;
  if (env_ != nullptr) options.env = env_;
  options.create_if_missing = !read_only_;
  options.max_background_jobs = 1;
  memory_.Apply(&options);
  rocksdb::BlockBasedTableOptions table = memory_.Table();
  if (prefix_filter_.has_value()) {
    options.prefix_extractor = std::make_shared<RowKeyPrefix>(
        RowPrefix(prefix_filter_->view), prefix_filter_->key_bytes);
    // ~1% of the write buffer: some 5 million bits, for the prefixes of
    // one memtable (each key of it has its own).
    options.memtable_prefix_bloom_size_ratio = 0.01;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = false;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

absl::Status RocksViewStore::OpenViews() {
  const rocksdb::Options options = DbOptions();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      read_only_ ? rocksdb::DB::OpenForReadOnly(options, views_dir_, &raw)
                 : rocksdb::DB::Open(options, views_dir_, &raw);
  // Read-only, a ledger without views yet.
  if (read_only_ && (s.IsPathNotFound() || s.IsInvalidArgument())) {
    return absl::OkStatus();
  }
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return FromRocks(s, absl::StrCat("opening the views in ", views_dir_));
  }
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("the views in ", views_dir_,
                                            " do not open: ", s.ToString()));
  }
  views_.reset(raw);
  return absl::OkStatus();
}

absl::Status RocksViewStore::CloseViews() {
  if (views_ == nullptr) return absl::OkStatus();
  // Written without the WAL: flushed (by Close) so that a restart finds
  // them.
  absl::Status s = FromRocks(views_->Close(), "closing the views");
  views_.reset();
  return s;
}

absl::Status RocksViewStore::DropAllViews() {
  if (read_only_) return ReadOnly();
  absl::MutexLock lock(&mu_);
  CloseViews().IgnoreError();  // A damaged database may not close cleanly.
  RETURN_IF_ERROR(FromRocks(rocksdb::DestroyDB(views_dir_, DbOptions()),
                            "dropping every view"));
  open_error_ = OpenViews();
  return open_error_;
}

absl::Status RocksViewStore::WriteViews(
    const std::vector<ViewChanges>& changes) {
  if (read_only_) return ReadOnly();
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr)
    return open_error_.ok() ? NoViews(views_dir_) : open_error_;
  // The batch's bytes at once (a batch of 4,096 new complaints is ~40,000
  // rows; grown by doubling, it was copied over and over).
  size_t bytes = 64;
  for (const ViewChanges& view : changes) {
    RETURN_IF_ERROR(CheckViewName(view.view));
    const size_t prefix = RowPrefix(view.view).size();
    for (const auto& [key, value] : view.puts) {
      bytes += prefix + key.size() + value.size() + 16;  // + tag, lengths
    }
    for (const std::string& key : view.deletes)
      bytes += prefix + key.size() + 11;
    bytes += 64;
  }
  rocksdb::WriteBatch batch(bytes);
  std::vector<const std::pair<std::string, std::string>*> puts;
  for (const ViewChanges& view : changes) {
    const std::string prefix = RowPrefix(view.view);
    // In key order: the memtable inserts each row next to the one before
    // instead of searching its skiplist from the top (rows come from hash
    // sets, and new complaints' keys all land at the end of a view).
    puts.clear();
    for (const auto& put : view.puts) puts.push_back(&put);
    std::sort(puts.begin(), puts.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    // Keys in two parts, the view's prefix and the row's key: no string
    // made per row.
    auto put_row = [&](const std::string& key, const std::string& value) {
      const rocksdb::Slice key_parts[2] = {prefix, key};
      const rocksdb::Slice value_part(value);
      return batch.Put(rocksdb::SliceParts(key_parts, 2),
                       rocksdb::SliceParts(&value_part, 1));
    };
    for (const auto* put : puts) {
      RETURN_IF_ERROR(FromRocks(put_row(put->first, put->second),
                                "writing projection views"));
    }
    for (const std::string& key : view.deletes) {
      const rocksdb::Slice key_parts[2] = {prefix, key};
      RETURN_IF_ERROR(FromRocks(batch.Delete(rocksdb::SliceParts(key_parts, 2)),
                                "writing projection views"));
    }
    std::string position;
    PutFixed64BE(&position, view.checkpoint);
    batch.Put(ViewCheckpointKey(view.view), position);
  }
  rocksdb::WriteOptions write;
  write.disableWAL = true;  // See rocks_view_store.h.
  return FromRocks(views_->Write(write, &batch), "writing projection views");
}

absl::Status RocksViewStore::CheckpointTo(const std::string& dir) const {
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr) return absl::OkStatus();
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(views_.get(), &raw),
                            "a checkpoint of the views"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: the memtables flushed first, since the rows are
  // written without the WAL, which a checkpoint would otherwise rely on.
  return FromRocks(
      checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
      absl::StrCat("copying the views in ", views_dir_, " to ", dir));
}

absl::Status RocksViewStore::ScanViewFrom(
    const std::string& view, absl::string_view key_prefix,
    absl::string_view from_key,
    const std::function<bool(absl::string_view, absl::string_view)>& visit)
    const {
  RETURN_IF_ERROR(CheckViewName(view));
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr) return open_error_;
  const std::string row_prefix = RowPrefix(view);
  const std::string prefix = absl::StrCat(row_prefix, key_prefix);
  const std::string from = std::max(prefix, absl::StrCat(row_prefix, from_key));
  // In key order across prefixes, but for a scan of one filtered prefix:
  // its filters may then skip what cannot hold it.
  rocksdb::ReadOptions read;
  if (prefix_filter_.has_value() && view == prefix_filter_->view &&
      key_prefix.size() == prefix_filter_->key_bytes) {
    read.prefix_same_as_start = true;
  } else {
    read.total_order_seek = true;
  }
  std::unique_ptr<rocksdb::Iterator> it(views_->NewIterator(read));
  for (it->Seek(from); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    rocksdb::Slice key = it->key();
    key.remove_prefix(row_prefix.size());
    if (!visit(absl::string_view(key.data(), key.size()),
               absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning a projection view");
}

absl::StatusOr<std::optional<std::string>> RocksViewStore::GetRow(
    const std::string& view, absl::string_view key) const {
  RETURN_IF_ERROR(CheckViewName(view));
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr) {
    if (!open_error_.ok()) return open_error_;
    return std::nullopt;
  }
  std::string value;
  rocksdb::Status s = views_->Get(rocksdb::ReadOptions(),
                                  absl::StrCat(RowPrefix(view), key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading a projection view's row"));
  return value;
}

absl::StatusOr<uint64_t> RocksViewStore::ViewCheckpoint(
    const std::string& view) const {
  RETURN_IF_ERROR(CheckViewName(view));
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr) {
    if (!open_error_.ok()) return open_error_;
    return 0;
  }
  std::string value;
  rocksdb::Status s =
      views_->Get(rocksdb::ReadOptions(), ViewCheckpointKey(view), &value);
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
  absl::ReaderMutexLock lock(&mu_);
  if (views_ == nullptr)
    return open_error_.ok() ? NoViews(views_dir_) : open_error_;
  rocksdb::WriteBatch batch;
  const std::string prefix = RowPrefix(view);
  std::string end = prefix;
  end.back() = static_cast<char>('/' + 1);
  batch.DeleteRange(prefix, end);
  batch.Delete(ViewCheckpointKey(view));
  rocksdb::WriteOptions write;
  write.disableWAL = true;
  return FromRocks(views_->Write(write, &batch), "dropping a projection view");
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
    batch.Put(positions_, CheckpointKey(name), value);
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(db_->Write(write, &batch), "saving checkpoints");
}

absl::StatusOr<uint64_t> RocksViewStore::LoadCheckpoint(
    const std::string& name) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), positions_, CheckpointKey(name), &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "loading a checkpoint"));
  if (value.size() != 8) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", name, " is not an 8-byte position"));
  }
  return DecodeFixed64BE(value);
}

}  // namespace ledger::internal
