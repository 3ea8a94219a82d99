// Opening, recovery and closing of the RocksDB event store.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/check.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/chain.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace ledger {
namespace internal {
namespace {

// One block cache for every column family of a store.
constexpr size_t kBlockCacheBytes = 64 << 20;
// The WAL kept at most, about (BENCHMARKS.md, "Durable appends in
// process").
constexpr uint64_t kMaxTotalWalBytes = 128 << 20;

rocksdb::ColumnFamilyOptions FamilyOptions(
    ColumnFamily family, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups of command ids are mostly misses or recent keys: a bloom
  // filter saves a disk read for each miss. (`heads` is empty since format
  // 2.)
  if (family == kCommands || family == kStreams) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  // No bloom filter over the memtable's keys: the misses it answered (every
  // new command id and stream) no longer reach RocksDB, answered by the
  // store's KeyFilter instead, and adding each key to it cost the writer
  // ~2% of ledgerd's samples under batch load (BENCHMARKS.md, "Durable
  // appends in process").
  // Events are inserted in position order, big-endian: with one prefix for
  // every position below 2^32, the memtable keeps a hint at the last insert
  // and appends there instead of searching its skiplist from the top.
  if (family == kEvents) {
    options.memtable_insert_with_hint_prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(4));
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Finds the last record and checks it: the chain continues from its hash.
absl::StatusOr<LogHead> RecoverLogHead(rocksdb::DB* db,
                                       rocksdb::ColumnFamilyHandle* events) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), events));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "seeking the last event"));
  if (!it->Valid()) return LogHead{0, GenesisHash()};
  if (it->key().size() != 8) {
    return absl::DataLossError(
        "the last key of the events family is not a "
        "position");
  }
  const uint64_t position = DecodeFixed64BE(it->key().ToStringView());
  v1::Event last;
  RETURN_IF_ERROR(RocksEventStore::DecodeRecord(position, it->value(), &last));
  return LogHead{position, last.hash()};
}

absl::Status CheckFormat(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* heads,
                         bool read_only) {
  std::string format;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  rocksdb::WriteOptions write;
  write.sync = true;
  if (s.IsNotFound() && !read_only) {
    return FromRocks(db->Put(write, kFormatKey, kFormatVersion),
                     "writing the format version");
  }
  RETURN_IF_ERROR(FromRocks(s, "reading the format version"));
  if (format == kFormatVersionWithHeads) {
    // Format 1 is format 2 plus a `heads` family kept in step with
    // `streams`: nothing else to read differently. Upgraded in one atomic,
    // synced write (heads dropped, version rewritten); read-only, read as
    // it is. (Stream ids are 0x21 to 0x7e: "\x7f" is past them all.)
    if (read_only) return absl::OkStatus();
    rocksdb::WriteBatch upgrade;
    RETURN_IF_ERROR(FromRocks(upgrade.DeleteRange(heads, "", "\x7f"),
                              "dropping the format-1 stream heads"));
    RETURN_IF_ERROR(FromRocks(upgrade.Put(kFormatKey, kFormatVersion),
                              "writing the format version"));
    RETURN_IF_ERROR(FromRocks(db->Write(write, &upgrade),
                              "upgrading the store from format 1"));
    // Once: the space the old heads took (~40 bytes a stream).
    return FromRocks(db->CompactRange(rocksdb::CompactRangeOptions(), heads,
                                      nullptr, nullptr),
                     "compacting away the format-1 stream heads");
  }
  if (format != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store format ", format, " is not supported (this build reads formats ",
        kFormatVersionWithHeads, " and ", kFormatVersion, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

RocksEventStore::RocksEventStore(
    std::unique_ptr<rocksdb::DB> db,
    std::vector<rocksdb::ColumnFamilyHandle*> handles,
    EventStoreOptions options, const LogHead& head)
    : db_(std::move(db)),
      handles_(std::move(handles)),
      options_(std::move(options)),
      published_head_(head),
      next_position_(head.position_last + 1),
      hash_last_(head.hash_last),
      views_(db_.get(), handles_[kProjections], options_.read_only) {
  filter_loader_ = std::thread([this] {
    NameThisThread("ledger-filter");
    command_filter_.Load(db_.get(), cf(kCommands), stop_loading_);
    // Streams that exist: the stream ids of the index entries.
    head_filter_.Load(
        db_.get(), cf(kStreams), stop_loading_,
        [](absl::string_view key) { return key.substr(0, key.find('\0')); });
  });
  if (!options_.read_only) {
    writer_ = std::thread([this] {
      NameThisThread("ledger-writer");
      WriterLoop();
    });
  }
}

RocksEventStore::~RocksEventStore() {
  absl::Status s = Close();
  if (!s.ok()) {
    // Nothing to return it to; a failed close loses nothing acknowledged,
    // since every acknowledged append was fsynced.
    std::fprintf(stderr, "EventStore: close failed: %s\n",
                 s.ToString().c_str());
  }
}

absl::Status RocksEventStore::Close() {
  {
    absl::MutexLock lock(&queue_mu_);
    if (closed_) return absl::OkStatus();
    closing_ = true;
    closed_ = true;
  }
  if (writer_.joinable()) writer_.join();
  stop_loading_.store(true);
  if (filter_loader_.joinable()) filter_loader_.join();
  absl::Status status;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    absl::Status s = FromRocks(db_->DestroyColumnFamilyHandle(handle),
                               "closing a column family");
    status.Update(s);
  }
  handles_.clear();
  status.Update(FromRocks(db_->Close(), "closing RocksDB"));
  db_.reset();
  return status;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(
    const std::string& dir, EventStoreOptions options) {
  using internal::ColumnFamily;
  if (options.clock == nullptr) options.clock = std::make_shared<SystemClock>();

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  // Appends are acknowledged only after WriteOptions::sync; the WAL is never
  // left to buffer on its own.
  db_options.manual_wal_flush = false;
  // RocksDB's default lets the WAL grow to four times every family's
  // memtables (GBs) while the quiet families (checkpoints, views) pin its
  // oldest files; a restart after a crash replays all of it. Past this much
  // WAL, the families holding the oldest file are flushed.
  db_options.max_total_wal_size = internal::kMaxTotalWalBytes;
  // The writer's synced groups and the projections' large unsynced batches
  // of rows share RocksDB's write queue: pipelined, a group's WAL write and
  // fsync need not wait for the memtable inserts of the batch before it
  // (BENCHMARKS.md, "Durable appends in process").
  db_options.enable_pipelined_write = true;

  const std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(internal::kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int i = 0; i < internal::kNumColumnFamilies; ++i) {
    families.emplace_back(
        internal::kColumnFamilies[i],
        internal::FamilyOptions(static_cast<ColumnFamily>(i), cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, families, &handles,
                                         &raw_db)
          : rocksdb::DB::Open(db_options, dir, families, &handles, &raw_db);
  RETURN_IF_ERROR(
      internal::FromRocks(s, absl::StrCat("opening the store in ", dir)));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  LEDGER_CHECK(handles.size() == internal::kNumColumnFamilies,
               "RocksDB opened every column family we asked for");

  absl::Status ready = internal::CheckFormat(
      db.get(), handles[internal::kHeads], options.read_only);
  absl::StatusOr<LogHead> head =
      ready.ok()
          ? internal::RecoverLogHead(db.get(), handles[internal::kEvents])
          : absl::StatusOr<LogHead>(ready);
  if (!head.ok()) {
    for (auto* handle : handles) {
      db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    return head.status();
  }
  return std::make_unique<internal::RocksEventStore>(
      std::move(db), std::move(handles), std::move(options), *std::move(head));
}

}  // namespace ledger
