// Opening, recovery and closing of the RocksDB event store.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ledger/base/check.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/chain.h"
#include "ledger/store/errors.h"
#include "ledger/store/internal/anchor.h"
#include "ledger/store/internal/index_rebuild.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_memory.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/v1/log_events.pb.h"
#include "rocksdb/cache.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/metadata.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace ledger {
namespace internal {
namespace {

// The WAL kept at most, about (BENCHMARKS.md, "Durable appends in
// process").
constexpr uint64_t kMaxTotalWalBytes = 128 << 20;

rocksdb::ColumnFamilyOptions FamilyOptions(ColumnFamily family,
                                           const RocksMemory& memory) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table = memory.Table();
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

// The store's format: a new store's is written; a format-1 store opened
// read-write is upgraded to format 2 (OpenTree takes it on to 3).
absl::StatusOr<std::string> CheckFormat(rocksdb::DB* db,
                                        rocksdb::ColumnFamilyHandle* heads,
                                        bool read_only) {
  std::string format;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  rocksdb::WriteOptions write;
  write.sync = true;
  if (s.IsNotFound() && !read_only) {
    RETURN_IF_ERROR(FromRocks(db->Put(write, kFormatKey, kFormatVersion),
                              "writing the format version"));
    return std::string(kFormatVersion);
  }
  RETURN_IF_ERROR(FromRocks(s, "reading the format version"));
  if (format == kFormatVersionWithHeads) {
    // Format 1 is format 2 plus a `heads` family kept in step with
    // `streams`: nothing else to read differently. Upgraded in one atomic,
    // synced write (heads dropped, version rewritten); read-only, read as
    // it is. (Stream ids are 0x21 to 0x7e: "\x7f" is past them all.)
    if (read_only) return format;
    rocksdb::WriteBatch upgrade;
    RETURN_IF_ERROR(FromRocks(upgrade.DeleteRange(heads, "", "\x7f"),
                              "dropping the format-1 stream heads"));
    RETURN_IF_ERROR(
        FromRocks(upgrade.Put(kFormatKey, kFormatVersionWithoutTree),
                  "writing the format version"));
    RETURN_IF_ERROR(FromRocks(db->Write(write, &upgrade),
                              "upgrading the store from format 1"));
    // Once: the space the old heads took (~40 bytes a stream).
    RETURN_IF_ERROR(FromRocks(db->CompactRange(rocksdb::CompactRangeOptions(),
                                               heads, nullptr, nullptr),
                              "compacting away the format-1 stream heads"));
    return std::string(kFormatVersionWithoutTree);
  }
  if (format != kFormatVersion && format != kFormatVersionWithoutTree) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store format ", format, " is not supported (this build reads formats ",
        kFormatVersionWithHeads, " to ", kFormatVersion, ")"));
  }
  return format;
}

// Key in the default column family that says the store keeps an anchor
// file: once it is there, a missing file is damage, not a new store.
constexpr char kAnchoredKey[] = "ledger_anchored";

std::string Hex(const std::string& hash) {
  return absl::BytesToHexString(hash);
}

// The log's intact end against the acknowledged end the anchor holds: OK
// when the log holds the anchored event; else DATA_LOSS naming the
// positions missing or different (marked with the first of them).
absl::Status CheckAnchor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                         const std::string& dir, const LogHead& head,
                         const absl::StatusOr<std::optional<Anchor>>& anchor) {
  const std::string path = absl::StrCat(dir, "/", kAnchorFileName);
  if (!anchor.ok()) {
    return DataLossAt(head.position_last + 1,
                      absl::StrCat("the anchor of the acknowledged end of the "
                                   "log is damaged: ",
                                   anchor.status().message()));
  }
  if (!anchor->has_value()) {
    std::string marker;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kAnchoredKey, &marker);
    if (s.IsNotFound()) return absl::OkStatus();  // Before its first anchor.
    RETURN_IF_ERROR(FromRocks(s, "reading the anchor marker"));
    return DataLossAt(head.position_last + 1,
                      absl::StrCat(path,
                                   " is missing: the acknowledged end of the "
                                   "log is unknown (the log ends at position ",
                                   head.position_last, ")"));
  }
  const Anchor& a = **anchor;
  if (a.position > head.position_last) {
    return DataLossAt(
        head.position_last + 1,
        absl::StrCat("the log ends at position ", head.position_last,
                     ", but position ", a.position, " was acknowledged (", path,
                     "): events ", head.position_last + 1, " to ", a.position,
                     " are missing from the store in ", dir));
  }
  if (a.position == 0) return absl::OkStatus();
  std::string value;
  absl::Status read = FromRocks(
      db->Get(rocksdb::ReadOptions(), events, PositionKey(a.position), &value),
      absl::StrCat("reading the anchored event at position ", a.position));
  v1::Event event;
  if (read.ok())
    read = RocksEventStore::DecodeRecord(a.position, value, &event);
  if (!read.ok() || event.hash() != a.hash) {
    return DataLossAt(
        a.position,
        absl::StrCat("the event at position ", a.position,
                     " is not the one acknowledged (", path, " holds hash ",
                     Hex(a.hash), "): ",
                     read.ok() ? absl::StrCat("its hash is ", Hex(event.hash()))
                               : std::string(read.message())));
  }
  return absl::OkStatus();
}

// Creates the anchor file of a store that has none yet, at `head`, durable
// with its directory entry, and marks the store as anchored.
absl::StatusOr<std::unique_ptr<AnchorFile>> CreateAnchor(rocksdb::DB* db,
                                                         const std::string& dir,
                                                         const LogHead& head,
                                                         bool existed) {
  ASSIGN_OR_RETURN(std::unique_ptr<AnchorFile> file,
                   AnchorFile::Open(dir, /*read_only=*/false));
  if (!existed) {
    RETURN_IF_ERROR(file->Write(Anchor{head.position_last, head.hash_last}));
    RETURN_IF_ERROR(file->Sync());
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("syncing the directory ", dir, " of the anchor"));
    }
    ::close(fd);
    rocksdb::WriteOptions write;
    write.sync = true;
    RETURN_IF_ERROR(
        FromRocks(db->Put(write, kAnchoredKey, "1"), "marking the anchor"));
  }
  return file;
}

}  // namespace

RocksEventStore::RocksEventStore(
    std::unique_ptr<rocksdb::DB> db,
    std::vector<rocksdb::ColumnFamilyHandle*> handles, const std::string& dir,
    EventStoreOptions options, RocksMemory memory, const LogHead& head,
    std::unique_ptr<AnchorFile> anchor, absl::Status damage, TreeAtOpen tree)
    : db_(std::move(db)),
      handles_(std::move(handles)),
      options_(std::move(options)),
      dir_(dir),
      published_head_(head),
      next_position_(head.position_last + 1),
      hash_last_(head.hash_last),
      tree_ready_(tree.ready),
      tree_key_(tree.key),
      tree_(std::move(tree.range)),
      latest_checkpoint_(tree.latest),
      views_(db_.get(), handles_[kProjections], absl::StrCat(dir, "/views"),
             options_.read_only, memory, options_.env.get()),
      app_state_(db_.get(), handles_[kProjections],
                 absl::StrCat(dir, "/app-state"), options_.read_only, memory,
                 options_.env.get(),
                 RocksViewStore::PrefixFilter{kAppStateCustomers,
                                              kAppStateCustomerKeyBytes}),
      anchor_(std::move(anchor)),
      damage_(std::move(damage)) {
  if (!damage_.ok()) {
    damaged_.store(true);
    // The anchored event when it is not the one acknowledged; positions
    // past the end need no refusal.
    if (std::optional<uint64_t> at = BrokenPosition(damage_);
        at.has_value() && *at <= head.position_last) {
      unsound_.push_back(*at);
    }
  }
  if (anchor_ != nullptr) anchor_->StartSyncing();
  if (!tree_key_.empty()) {
    absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(tree_key_);
    if (verifier.ok()) tree_verifier_ = *std::move(verifier);
  }
  if (latest_checkpoint_.has_value()) {
    checkpoint_size_ = latest_checkpoint_->size;
  }
  checkpoint_time_ = options_.clock->Now();
  // A replicated node signs only once a group of its own is the log's last.
  signs_ = !options_.replicate;
  std::string sequence;
  if (db_->Get(rocksdb::ReadOptions(), kReplicatedSequenceKey, &sequence)
          .ok()) {
    if (sequence.size() == 8) {
      sequence_ = DecodeFixed64BE(sequence);
      published_sequence_.store(sequence_);
    } else if (damage_.ok()) {
      damage_ = absl::DataLossError(
          absl::StrCat(kReplicatedSequenceKey, " is not a sequence number"));
      damaged_.store(true);
    }
  }
  filter_loader_ = std::thread([this] {
    NameThisThread("ledger-filter");
    // Held shared: the writer may replace the families (a rebuild) only
    // between the two scans or after them.
    rocksdb::Status s;
    {
      absl::ReaderMutexLock index_lock(&index_mu_);
      s = command_filter_.Load(db_.get(), cf(kCommands), stop_loading_);
    }
    if (s.IsCorruption()) {
      IndexDamaged(s, "loading the command ids").IgnoreError();
      return;
    }
    {
      absl::ReaderMutexLock index_lock(&index_mu_);
      // Streams that exist: the stream ids of the index entries.
      s = head_filter_.Load(
          db_.get(), cf(kStreams), stop_loading_,
          [](absl::string_view key) { return key.substr(0, key.find('\0')); });
    }
    if (s.IsCorruption()) {
      IndexDamaged(s, "loading the stream index").IgnoreError();
    }
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
    LogWarn(absl::StrFormat("EventStore: close failed: %s", s.ToString()));
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
  absl::Status status;
  // After the writer's last group: the anchor is exact and durable.
  if (anchor_ != nullptr) status.Update(anchor_->Close());
  stop_loading_.store(true);
  if (filter_loader_.joinable()) filter_loader_.join();
  db_closed_.store(true);
  status.Update(views_.Close());
  status.Update(app_state_.Close());
  if (options_.flush_at_close && !options_.read_only && !damaged_.load()) {
    // The memtables written out now, so that the next open replays no
    // write-ahead log (up to kMaxTotalWalBytes: a second or more). Nothing
    // acknowledged depends on it (the WAL holds it all), so a flush that
    // fails only leaves that replay to the next open.
    std::vector<rocksdb::ColumnFamilyHandle*> families;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      if (handle != nullptr) families.push_back(handle);
    }
    rocksdb::FlushOptions flush;
    flush.wait = true;
    if (rocksdb::Status s = db_->Flush(flush, families); !s.ok()) {
      LogWarn(
          absl::StrFormat("EventStore: flushing at close: %s", s.ToString()));
    }
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle == nullptr) continue;  // Not in a format-2 store read-only.
    absl::Status s = FromRocks(db_->DestroyColumnFamilyHandle(handle),
                               "closing a column family");
    status.Update(s);
  }
  handles_.clear();
  status.Update(FromRocks(db_->Close(), "closing RocksDB"));
  db_.reset();
  return status;
}

namespace {

struct OpenedDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  OpenedDb() = default;
  OpenedDb(OpenedDb&&) = default;
  OpenedDb& operator=(OpenedDb&& other) {
    Release();
    db = std::move(other.db);
    handles = std::move(other.handles);
    return *this;
  }
  ~OpenedDb() { Release(); }
  void Release() {
    if (db == nullptr) return;
    for (auto* handle : handles) {
      if (handle == nullptr) continue;
      db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    handles.clear();
    db->Close().PermitUncheckedError();
    db.reset();
  }
};

rocksdb::Status OpenDb(const rocksdb::DBOptions& db_options,
                       const std::string& dir, bool read_only,
                       const RocksMemory& memory, OpenedDb* opened,
                       bool compactions = true) {
  // Read-only, a format-2 store's families are opened as they are: the
  // tree's are not there yet (their handles stay null).
  std::vector<std::string> existing;
  if (read_only) {
    rocksdb::Status listed =
        rocksdb::DB::ListColumnFamilies(db_options, dir, &existing);
    if (!listed.ok()) return listed;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<int> opened_families;
  for (int i = 0; i < kNumColumnFamilies; ++i) {
    if (read_only &&
        std::find(existing.begin(), existing.end(), kColumnFamilies[i]) ==
            existing.end() &&
        (i == kMerkle || i == kCheckpoints)) {
      continue;
    }
    families.emplace_back(kColumnFamilies[i],
                          FamilyOptions(static_cast<ColumnFamily>(i), memory));
    families.back().options.disable_auto_compactions = !compactions;
    opened_families.push_back(i);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s =
      read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, families, &handles,
                                         &raw_db)
          : rocksdb::DB::Open(db_options, dir, families, &handles, &raw_db);
  if (!s.ok()) return s;
  opened->db.reset(raw_db);
  LEDGER_CHECK(handles.size() == opened_families.size(),
               "RocksDB opened every column family we asked for");
  opened->handles.assign(kNumColumnFamilies, nullptr);
  for (size_t i = 0; i < handles.size(); ++i) {
    opened->handles[opened_families[i]] = handles[i];
  }
  return s;
}

// The format check and the end of the log, of a store just opened; the
// format is left in *format.
absl::StatusOr<LogHead> HeadOf(const OpenedDb& opened, bool read_only,
                               std::string* format) {
  ASSIGN_OR_RETURN(
      *format, CheckFormat(opened.db.get(), opened.handles[kHeads], read_only));
  return RecoverLogHead(opened.db.get(), opened.handles[kEvents]);
}

// Rebuilds the stream index and command ids of the stopped store in `dir`
// from its events (RebuildIndexes), `why` being logged. RocksDB opens it
// with table files unread until first read (so past a damaged one) and no
// compaction (which would stop at a damaged one).
absl::Status RebuildIndexesAtOpen(rocksdb::DBOptions db_options,
                                  const std::string& dir,
                                  const RocksMemory& memory,
                                  const std::string& why) {
  LogInfo(
      absl::StrFormat("EventStore: rebuilding the stream index and command ids "
                      "of %s from the log: %s",
                      dir, why));
  db_options.max_open_files = 20;
  db_options.skip_stats_update_on_db_open = true;
  OpenedDb opened;
  RETURN_IF_ERROR(FromRocks(OpenDb(db_options, dir, /*read_only=*/false, memory,
                                   &opened, /*compactions=*/false),
                            "opening the store to rebuild its indexes"));
  ASSIGN_OR_RETURN(
      uint64_t indexed,
      RebuildIndexes(opened.db.get(), opened.handles[kEvents],
                     &opened.handles[kStreams], &opened.handles[kCommands]));
  LogInfo(
      absl::StrFormat("EventStore: rebuilt the stream index and command ids "
                      "from the log (%d events)",
                      indexed));
  return absl::OkStatus();
}

// Whether every damaged SST file of the stopped store in `dir` (RocksDB
// did not open it, finding one) is a file of the stream index or the
// command ids: each file is read whole and its checksums verified. Only
// when an open failed.
bool OnlyIndexFilesDamaged(rocksdb::DBOptions db_options,
                           const std::string& dir, const RocksMemory& memory) {
  // Read-only (nothing on disk changes), its table files unopened and
  // unchecked: only for the list of files and their families.
  db_options.max_open_files = 20;
  db_options.skip_stats_update_on_db_open = true;
  db_options.paranoid_checks = false;
  OpenedDb opened;
  if (!OpenDb(db_options, dir, /*read_only=*/true, memory, &opened).ok()) {
    return false;
  }
  int damaged = 0;
  for (int family = 0; family < kNumColumnFamilies; ++family) {
    rocksdb::ColumnFamilyMetaData meta;
    opened.db->GetColumnFamilyMetaData(opened.handles[family], &meta);
    for (const auto& level : meta.levels) {
      for (const auto& f : level.files) {
        rocksdb::SstFileReader reader(rocksdb::Options(
            db_options,
            FamilyOptions(static_cast<ColumnFamily>(family), memory)));
        rocksdb::Status s = reader.Open(f.db_path + f.name);
        if (s.ok()) s = reader.VerifyChecksum();
        if (s.ok()) continue;
        if (family != kStreams && family != kCommands) return false;
        ++damaged;
      }
    }
  }
  return damaged > 0;
}

// RocksDB names no file for a damaged WAL record: " (write-ahead log:
// 000012.log, ...)", the files it replays; empty when it named one.
std::string NameWalFiles(const std::string& dir, const std::string& message) {
  if (message.find(".sst") != std::string::npos ||
      message.find("MANIFEST") != std::string::npos ||
      message.find(".log") != std::string::npos) {
    return "";
  }
  std::vector<std::string> children;
  if (!rocksdb::Env::Default()->GetChildren(dir, &children).ok()) return "";
  std::vector<std::string> wals;
  for (const std::string& name : children) {
    if (name.size() > 4 && name.ends_with(".log")) wals.push_back(name);
  }
  if (wals.empty()) return "";
  std::sort(wals.begin(), wals.end());
  return absl::StrCat(" (in the write-ahead log: ", absl::StrJoin(wals, ", "),
                      ")");
}

// The operator's decision, recorded as the first event after the damage.
AppendRequest AcceptanceOf(const absl::Status& damage,
                           const absl::StatusOr<std::optional<Anchor>>& anchor,
                           const LogHead& head, const std::string& by) {
  v1::LogEndAccepted accepted;
  accepted.set_damage(std::string(damage.message()));
  if (anchor.ok() && anchor->has_value()) {
    accepted.set_acknowledged_position((*anchor)->position);
    accepted.set_acknowledged_hash((*anchor)->hash);
  }
  accepted.set_accepted_position(head.position_last);
  accepted.set_accepted_hash(head.hash_last);
  accepted.set_accepted_by(by);
  AppendRequest request;
  request.stream_id = "ledger-log";
  ProposedEvent event;
  event.event_type = v1::LogEndAccepted::descriptor()->full_name();
  event.payload = accepted.SerializeAsString();
  event.actor = by;
  request.events.push_back(std::move(event));
  return request;
}

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(
    const std::string& dir, EventStoreOptions options) {
  using namespace internal;  // NOLINT: the store's own internals.
  if (options.clock == nullptr) options.clock = std::make_shared<SystemClock>();

  rocksdb::DBOptions db_options;
  if (options.env != nullptr) db_options.env = options.env.get();
  db_options.create_if_missing = options.create_if_missing;
  // Families new to a format (format 3's tree) are made in older stores.
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = 2;
  // Appends are acknowledged only after WriteOptions::sync; the WAL is never
  // left to buffer on its own.
  db_options.manual_wal_flush = false;
  // RocksDB's default lets the WAL grow to four times every family's
  // memtables (GBs) while the quiet families (checkpoints, views) pin its
  // oldest files; a restart after a crash replays all of it. Past this much
  // WAL, the families holding the oldest file are flushed.
  db_options.max_total_wal_size = kMaxTotalWalBytes;
  // The writer's synced groups and the projections' large unsynced batches
  // of rows share RocksDB's write queue: pipelined, a group's WAL write and
  // fsync need not wait for the memtable inserts of the batch before it
  // (BENCHMARKS.md, "Durable appends in process").
  db_options.enable_pipelined_write = true;
  // A damaged record inside the WAL fails the open instead of ending the
  // log there (RocksDB's default, point-in-time recovery, silently drops
  // every record after it); only an incomplete last record, a write a crash
  // cut short and never acknowledged, is dropped. The anchor catches damage
  // that looks like such a tail.
  db_options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;

  // Before RocksDB's recovery may change anything.
  const absl::StatusOr<std::optional<Anchor>> anchor = AnchorFile::Read(dir);

  const RocksMemory memory =
      RocksMemory::Of(options.block_cache_bytes, options.memtable_bytes);
  memory.Apply(&db_options);
  OpenedDb opened;
  bool read_only = options.read_only;
  absl::Status damage;
  // Derived data: damaged indexes are dropped and made again from the
  // events, when the last run found them damaged but could not (the
  // marker file), or when RocksDB does not open because of one of their
  // files.
  std::string indexes_rebuilt;
  const std::string marker = absl::StrCat(dir, "/", kRebuildIndexesFileName);
  if (!read_only && std::filesystem::exists(marker)) {
    std::ifstream in(marker);
    indexes_rebuilt.assign(std::istreambuf_iterator<char>(in), {});
    if (indexes_rebuilt.empty())
      indexes_rebuilt = "the last run found them damaged";
    RETURN_IF_ERROR(
        RebuildIndexesAtOpen(db_options, dir, memory, indexes_rebuilt));
    std::filesystem::remove(marker);
  }
  rocksdb::Status s = OpenDb(db_options, dir, read_only, memory, &opened);
  if (s.IsCorruption() && !read_only &&
      OnlyIndexFilesDamaged(db_options, dir, memory)) {
    const std::string why = absl::StrCat("opening the store: ", s.ToString());
    if (RebuildIndexesAtOpen(db_options, dir, memory, why).ok()) {
      indexes_rebuilt = why;
      s = OpenDb(db_options, dir, read_only, memory, &opened);
    }
  }
  if (s.IsCorruption()) {
    // What is intact, read-only, for reads and verification: RocksDB's
    // point-in-time recovery in memory, nothing on disk changed.
    damage = absl::DataLossError(
        absl::StrCat("RocksDB cannot recover the store in ", dir, ": ",
                     s.ToString(), NameWalFiles(dir, s.ToString())));
    db_options.wal_recovery_mode =
        rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    rocksdb::Status intact =
        OpenDb(db_options, dir, /*read_only=*/true, memory, &opened);
    if (!intact.ok()) {
      return absl::DataLossError(absl::StrCat(
          damage.message(),
          "; and no intact part of it opens either: ", intact.ToString()));
    }
    read_only = true;
  } else {
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("opening the store in ", dir)));
  }
  std::string format;
  absl::StatusOr<LogHead> recovered = HeadOf(opened, read_only, &format);
  if (!recovered.ok() && !damage.ok()) {
    return absl::DataLossError(absl::StrCat(
        damage.message(),
        "; and its intact part is no log: ", recovered.status().message()));
  }
  RETURN_IF_ERROR(recovered.status());
  LogHead head = *std::move(recovered);
  if (!damage.ok()) {
    damage = DataLossAt(
        head.position_last + 1,
        absl::StrCat(damage.message(), "; the intact log ends at position ",
                     head.position_last, ", events after it are missing"));
  } else {
    damage = CheckAnchor(opened.db.get(), opened.handles[kEvents], dir, head,
                         anchor);
  }

  bool accepting = false;
  if (!damage.ok() && options.accept_log_end.has_value() &&
      !options.read_only) {
    if (*options.accept_log_end != head.position_last) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--accept_log_end=", *options.accept_log_end,
          " does not match the intact log, which ends at position ",
          head.position_last, ": ", damage.message()));
    }
    if (read_only) {
      // RocksDB ends the log at the damage now, for good.
      opened.Release();
      RETURN_IF_ERROR(FromRocks(
          OpenDb(db_options, dir, /*read_only=*/false, memory, &opened),
          absl::StrCat("opening the intact part of the store in ", dir)));
      ASSIGN_OR_RETURN(head, HeadOf(opened, /*read_only=*/false, &format));
      if (head.position_last != *options.accept_log_end) {
        return absl::DataLossError(absl::StrCat(
            "the intact log ended at position ", *options.accept_log_end,
            " read-only but at ", head.position_last, " once recovered"));
      }
      read_only = false;
    }
    accepting = true;
  } else if (options.accept_log_end.has_value() && damage.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--accept_log_end is for a damaged log; the log in ", dir,
        " is sound (it ends at position ", head.position_last, ")"));
  }

  // Before the anchor follows an accepted end: a log that falls short of
  // its latest checkpoint opens as damaged, and is never accepted so.
  absl::Status log_damage = accepting ? absl::OkStatus() : damage;
  ASSIGN_OR_RETURN(TreeAtOpen tree,
                   OpenTree(opened.db.get(), opened.handles, format, head,
                            options, read_only, accepting, &log_damage));

  std::unique_ptr<AnchorFile> anchor_file;
  if (!read_only) {
    ASSIGN_OR_RETURN(anchor_file,
                     CreateAnchor(opened.db.get(), dir, head,
                                  /*existed=*/anchor.ok() &&
                                      anchor->has_value() && !accepting));
    if (accepting) {
      // From here on the anchor follows the intact log.
      RETURN_IF_ERROR(
          anchor_file->Write(Anchor{head.position_last, head.hash_last}));
      RETURN_IF_ERROR(anchor_file->Sync());
    }
  }
  options.read_only = read_only;
  const std::string accepted_by = options.accepted_by;
  auto store = std::make_unique<RocksEventStore>(
      std::move(opened.db), std::move(opened.handles), dir, std::move(options),
      memory, head, std::move(anchor_file), std::move(log_damage),
      std::move(tree));
  if (!indexes_rebuilt.empty()) store->NoteIndexesRebuilt(indexes_rebuilt);
  if (accepting) {
    RETURN_IF_ERROR(
        store->Append(AcceptanceOf(damage, anchor, head, accepted_by))
            .status());
  }
  return store;
}

}  // namespace ledger
