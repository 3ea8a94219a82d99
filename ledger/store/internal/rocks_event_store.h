// The RocksDB implementation of EventStore. Split by concern:
// rocks_event_store_open.cc (open, recovery, close), _write.cc (group
// commit), _read.cc (reads and record checks).
#ifndef LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_H_
#define LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "ledger/store/chain.h"
#include "ledger/store/event_store.h"
#include "ledger/store/internal/anchor.h"
#include "ledger/store/internal/key_filter.h"
#include "ledger/store/internal/rocks_memory.h"
#include "ledger/store/internal/rocks_view_store.h"
#include "ledger/store/merkle.h"
#include "ledger/store/signed_note.h"
#include "ledger/v1/storage.pb.h"
#include "rocksdb/db.h"

namespace ledger::internal {

// Scans of at least this many events check hashes on a helper thread, in
// batches of kScanBatchEvents; shorter ones run on the caller's thread.
inline constexpr uint64_t kPipelinedScanMinEvents = 8192;
inline constexpr size_t kScanBatchEvents = 1024;

struct ScanBatch;

// Column family names; the order is the order of `handles_`.
inline constexpr const char* kColumnFamilies[] = {
    "default",  "events",      "streams", "heads",
    "commands", "projections", "merkle",  "checkpoints"};
enum ColumnFamily {
  kDefault,
  kEvents,
  kStreams,
  kHeads,
  kCommands,
  kProjections,
  kMerkle,       // Format 3: the Merkle tree (internal/merkle_tree.h).
  kCheckpoints,  // Format 3: the signed checkpoints.
  kNumColumnFamilies
};

// A file in the store's directory saying that its stream index and command
// ids are damaged and must be rebuilt from the events at the next open
// (written when they could not be rebuilt in place); it holds why.
inline constexpr char kRebuildIndexesFileName[] = "LEDGER-REBUILD-INDEXES";
// How a read answered while the indexes are rebuilt begins.
inline constexpr char kIndexDamaged[] = "the stream index is damaged";

// Key in the default column family naming the format of the store.
inline constexpr char kFormatKey[] = "ledger_format";
inline constexpr char kFormatVersion[] = "3";
// Format 2 had no Merkle tree: a read-write open builds it (resumably,
// kTreeBuiltToKey holding how far) and then writes format 3. Format 1 also
// kept each stream's head in the `heads` family; it is upgraded to format 2
// first (ledger/FORMAT.md).
inline constexpr char kFormatVersionWithoutTree[] = "2";
inline constexpr char kFormatVersionWithHeads[] = "1";
inline constexpr char kTreeBuiltToKey[] = "ledger_tree_built_to";
// The verifier key of the first key that signed a checkpoint of the store.
inline constexpr char kCheckpointKeyKey[] = "ledger_checkpoint_key";
// A replicated log: the sequence number, in the log of record, of the last
// group written here (u64be), written in each group's batch.
inline constexpr char kReplicatedSequenceKey[] = "ledger_replicated_sequence";

// What Open found of the tree and the checkpoints, for the store.
struct TreeAtOpen {
  bool ready = false;          // Format 3 with its families.
  merkle::CompactRange range;  // The tree's right edge at the log's end.
  std::optional<SignedCheckpoint> latest;
  std::string key;  // kCheckpointKeyKey's value.
};

// At open (rocks_event_store_tree.cc), after the log's end is known: the
// tree of a store read-write is built if it has none yet (format 2), then
// recovered at the log's end and made again from the events when it does
// not match them; the latest checkpoint is checked against the key and
// the tree. What the log is found to lack (the checkpoint signed more
// events, or other ones) goes into *damage, as the anchor's findings do.
// FAILED_PRECONDITION for a signer other than the store's, or, when
// `accepting` a damaged log's end, one before its latest checkpoint.
absl::StatusOr<TreeAtOpen> OpenTree(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    const std::string& format, const LogHead& head,
    const EventStoreOptions& options, bool read_only, bool accepting,
    absl::Status* damage);

// The result recorded for a command id; duplicate is true.
AppendResult ResultOf(const v1::CommandRecord& record);
// ALREADY_EXISTS: `command_id` was used for other content before.
absl::Status CommandIdReused(const std::string& command_id,
                             const v1::CommandRecord& earlier);

class RocksEventStore final : public EventStore {
 public:
  // `anchor` is null for a read-only store; `damage` is OK for a sound
  // log.
  RocksEventStore(std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> handles,
                  const std::string& dir, EventStoreOptions options,
                  RocksMemory memory, const LogHead& head,
                  std::unique_ptr<AnchorFile> anchor, absl::Status damage,
                  TreeAtOpen tree);
  ~RocksEventStore() override;

  absl::StatusOr<AppendResult> Append(AppendRequest request) override;
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  void AppendAllAsync(std::vector<AsyncAppend> appends) override;
  absl::StatusOr<std::vector<v1::Event>> ReadStream(
      const std::string& stream_id, std::optional<uint64_t> from_revision,
      ReadDirection direction, uint32_t limit) const override;
  absl::StatusOr<std::vector<v1::Event>> ReadAll(uint64_t from_position,
                                                 uint32_t limit) const override;
  absl::Status ScanAll(
      uint64_t from_position, uint64_t limit,
      const std::function<bool(const v1::Event&)>& visit) const override;
  absl::StatusOr<std::optional<AppendResult>> FindCommand(
      const std::string& command_id,
      const std::string& command_fingerprint) const override;
  absl::Status ApplyReplicated(const v1::GroupRecord& group,
                               uint64_t sequence) override;
  absl::Status ApplyReplicatedGroups(
      absl::Span<const ReplicatedGroup> groups) override;
  void ApplyReplicatedGroupsAsync(
      absl::Span<const ReplicatedGroup> groups,
      std::function<void(absl::Status)> done) override;
  uint64_t replicated_sequence() const override {
    return published_sequence_.load();
  }
  ViewStore& views() override { return views_; }
  ViewStore& app_state() override { return app_state_; }
  absl::StatusOr<StreamHead> Head(const std::string& stream_id) const override;
  LogHead log_head() const override;
  WriterStats writer_stats() const override;
  std::vector<DbProperty> db_properties() const override;
  absl::Status damage() const override;
  std::string index_rebuilt_after() const override;
  absl::StatusOr<SignedCheckpoint> LatestCheckpoint() const override;
  absl::StatusOr<SignedCheckpoint> CheckpointAt(uint64_t size) const override;
  absl::StatusOr<merkle::Hash> TreeRoot(uint64_t size) const override;
  absl::StatusOr<BackupReport> Backup(const std::string& dir) override;
  absl::StatusOr<std::vector<merkle::Hash>> InclusionProof(
      uint64_t position, uint64_t tree_size) const override;
  absl::StatusOr<std::vector<merkle::Hash>> ConsistencyProof(
      uint64_t from_size, uint64_t to_size) const override;
  absl::StatusOr<std::vector<merkle::Hash>> TreeEdge(
      uint64_t size) const override;
  std::string checkpoint_key() const override { return tree_key_; }
  absl::Status Close() override;

  // Records that Open rebuilt the indexes, and why.
  void NoteIndexesRebuilt(std::string why);

  // Records the damage a scan found at `position` (its first broken record
  // or link): stream reads refuse the events that may have been changed,
  // and appends are refused.
  void MarkBroken(uint64_t position, const absl::Status& found) const;
  // DATA_LOSS when `position` is one MarkBroken found unsound.
  absl::Status CheckSound(uint64_t position) const;

  // Decodes the record stored under `position` into *event and checks it
  // against its key and its hash.
  static absl::Status DecodeRecord(uint64_t position,
                                   const rocksdb::Slice& value,
                                   v1::Event* event);
  // DecodeRecord without the hash check.
  static absl::Status ParseRecord(uint64_t position,
                                  const rocksdb::Slice& value,
                                  v1::Event* event);

 private:
  struct PendingAppend {
    AppendRequest request;
    std::string content_digest;  // Empty when there is no command id.
    size_t record_bytes = 0;     // RecordBytes(request).
    AppendCallback done;
    // An append that expects a new stream misses the writer's cache of
    // heads, so its caller reads the stream's head from RocksDB instead of
    // the writer. The read stands while heads_epoch_ is still `heads_epoch`:
    // any later commit of the stream leaves it in the cache until the next
    // clear, and a clear bumps the epoch.
    bool head_read = false;
    std::optional<StreamHead> head;
    uint64_t heads_epoch = 0;
    // Not an append but groups of the log of record to write here
    // (ApplyReplicatedGroups, which outlives it); the writer takes them
    // alone.
    absl::Span<const ReplicatedGroup> replicated;
  };
  // What one group commit has staged but not yet written.
  struct Group;

  // An append checked and made ready for the writer on the caller's
  // thread; nullopt when refused (`done` has been called).
  std::optional<PendingAppend> Prepare(AsyncAppend append);
  // Into the writer's queue, in order, each unless the store is closing or
  // the queue is full.
  void Enqueue(std::vector<PendingAppend> appends);

  // Read path helpers (rocks_event_store_read.cc).
  // ScanAll without marking what it finds broken.
  absl::Status ScanLog(
      uint64_t from_position, uint64_t limit,
      const std::function<bool(const v1::Event&)>& visit) const;
  static absl::Status ParseAt(const rocksdb::Iterator& it, v1::Event* event);
  static absl::Status ScanSequential(
      rocksdb::Iterator& it, ChainVerifier& chain, uint64_t limit,
      const std::function<bool(const v1::Event&)>& visit);
  static absl::Status ScanPipelined(
      rocksdb::Iterator& it, ChainVerifier& chain, uint64_t limit,
      const std::function<bool(const v1::Event&)>& visit);
  static void FillBatch(rocksdb::Iterator& it, uint64_t* remaining,
                        ScanBatch* batch);

  void WriterLoop();
  // The queued appends; waits until there are some, the store closes, the
  // indexes need a rebuild or `deadline` passes.
  std::vector<PendingAppend> TakeGroup(absl::Time deadline);
  void CommitGroup(std::vector<PendingAppend> group);
  // Writes groups of the log of record here (PendingAppend::replicated).
  absl::Status ApplyGroups(absl::Span<const ReplicatedGroup> groups);
  // Checks a replicated group against the log here and stages it.
  absl::Status StageReplicated(const v1::GroupRecord& record, uint64_t sequence,
                               Group* group);
  // A replicated checkpoint checked against the key and *tree, staged.
  absl::StatusOr<std::optional<SignedCheckpoint>> StageReplicatedCheckpoint(
      const v1::GroupRecord& record, const merkle::CompactRange& tree,
      rocksdb::WriteBatch* batch);
  // The record of a staged group for EventStoreOptions::replicate.
  v1::GroupRecord RecordOf(const Group& group,
                           const std::optional<SignedCheckpoint>& checkpoint);
  // Hands a staged group to options_.replicate; on success stages the
  // sequence it got into the group's batch.
  absl::Status Replicate(v1::GroupRecord record, Group* group);
  // After a group's batch is written: the writer's end of the log, tree,
  // checkpoint, anchor and cache of heads advance to it.
  void Advance(Group& group, std::optional<merkle::CompactRange> tree,
               const std::optional<SignedCheckpoint>& checkpoint);
  void RecordGroup(size_t appends, uint64_t events,
                   std::chrono::steady_clock::time_point stage_start,
                   std::chrono::steady_clock::time_point write_start,
                   std::optional<SignedCheckpoint> checkpoint);
  // The tree and checkpoint part of a group (rocks_event_store_tree.cc).
  // Stages the nodes the group's events complete and, when one is due (or
  // `force`), a checkpoint; *range is the tree with them.
  std::optional<SignedCheckpoint> StageTree(
      const std::vector<v1::Event>& events, bool force,
      merkle::CompactRange* range, rocksdb::WriteBatch* batch);
  // The nodes only: *range is the tree with `events`.
  void StageTreeNodes(const std::vector<v1::Event>& events,
                      merkle::CompactRange* range, rocksdb::WriteBatch* batch);
  // Whether the writer may sign the tree as it is: a signer, events past
  // the last checkpoint, the log sound.
  bool MaySign() const;
  // When the writer should wake for a checkpoint with no append in sight.
  absl::Time CheckpointDeadline() const;
  // A checkpoint of the tree as it is, alone in a batch, when one is due
  // (or `force`, at close) and events are past the last one.
  void WriteCheckpointIfDue(bool force);
  // Sizes past the acknowledged end are OUT_OF_RANGE; no tree is
  // FAILED_PRECONDITION.
  absl::Status CheckTreeSize(uint64_t size) const;
  // A write failed: its outcome on disk is unknown, so every later append
  // fails until the store is reopened (write_error_).
  void StopAppendsAfter(const absl::Status& written);
  // Writes `batch` with its fsync (`what`: for the error); a failure also
  // stops appends, as above.
  absl::Status WriteSyncedOrStop(rocksdb::WriteBatch* batch,
                                 absl::string_view what);
  absl::StatusOr<AppendResult> Stage(PendingAppend& pending, Group* group);
  // The stream's head on disk; nullopt for a stream with no events.
  absl::StatusOr<std::optional<StreamHead>> ReadHead(
      const std::string& stream_id) const;
  absl::StatusOr<std::optional<StreamHead>> LookUpHead(
      const PendingAppend& pending, const Group& group);
  absl::StatusOr<std::optional<v1::CommandRecord>> LookUpCommand(
      const std::string& command_id, const Group* group) const;

  rocksdb::ColumnFamilyHandle* cf(ColumnFamily family) const {
    return handles_[family];
  }

  // A read of the stream index or the command ids found them damaged
  // (`found`): the writer rebuilds both from the events before its next
  // group. Returns the UNAVAILABLE the read answers meanwhile.
  absl::Status IndexDamaged(const rocksdb::Status& found,
                            absl::string_view reading) const;
  // On the writer: drops and rebuilds the indexes (index_mu_ exclusive).
  void RebuildIndexesNow();
  // For a read that IndexDamaged answered, off the writer's thread: waits
  // for the writer's rebuild and returns true (read again); false on the
  // writer, or when the store is closing.
  bool AwaitIndexRebuild(const absl::Status& read) const;
  absl::StatusOr<std::vector<v1::Event>> ReadStreamOnce(
      const std::string& stream_id, std::optional<uint64_t> from_revision,
      ReadDirection direction, uint32_t page_size) const;
  absl::StatusOr<std::optional<StreamHead>> ReadHeadOnce(
      const std::string& stream_id) const;
  absl::StatusOr<std::optional<v1::CommandRecord>> LookUpCommandOnDisk(
      const std::string& command_id) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const EventStoreOptions options_;
  const std::string dir_;

  // Appends waiting for the writer.
  mutable absl::Mutex queue_mu_;
  std::deque<PendingAppend> queue_ ABSL_GUARDED_BY(queue_mu_);
  // Set under queue_mu_ (the writer waits on it); read without it too.
  std::atomic<bool> closing_{false};
  // Set (under queue_mu_, which the writer waits on) when a read found the
  // indexes damaged.
  mutable bool index_damaged_ ABSL_GUARDED_BY(queue_mu_) = false;
  mutable std::string index_damage_ ABSL_GUARDED_BY(queue_mu_);

  // The handles of the index families (streams, commands): held shared by
  // whoever reads them off the writer's thread, exclusively by the writer
  // while it replaces them.
  mutable absl::Mutex index_mu_;
  std::string index_rebuilt_after_ ABSL_GUARDED_BY(index_mu_);
  // Set when a rebuild failed: every read of the indexes answers it (they
  // may be half made) until the next open rebuilds them.
  absl::Status index_unusable_ ABSL_GUARDED_BY(index_mu_);
  bool closed_ ABSL_GUARDED_BY(queue_mu_) = false;

  // The end of the log as of the last acknowledged commit, for readers.
  mutable absl::Mutex head_mu_;
  LogHead published_head_ ABSL_GUARDED_BY(head_mu_);
  WriterStats stats_ ABSL_GUARDED_BY(head_mu_);

  // Writer thread only: the end of the log and a cache of stream heads.
  uint64_t next_position_;
  std::string hash_last_;
  absl::flat_hash_map<std::string, StreamHead> heads_cache_;
  // Bumped (by the writer) whenever heads_cache_ is cleared; read by callers
  // before they read a head for PendingAppend.
  std::atomic<uint64_t> heads_epoch_{0};
  // Set once a write failed: its outcome on disk is unknown, so every later
  // append fails until the store is reopened and recovers from disk.
  absl::Status write_error_;
  // A replicated log: the sequence number of the last group written here,
  // on the writer, and published for readers.
  uint64_t sequence_ = 0;
  std::atomic<uint64_t> published_sequence_{0};
  // Whether the writer may sign a checkpoint alone (MaySign): always in an
  // embedded log; in a replicated one, after a group of its own until it
  // applies another node's.
  bool signs_ = true;

  // The command ids and streams that may exist; the existing ones are loaded
  // by `filter_loader_` (stopped early by Close).
  KeyFilter command_filter_;
  KeyFilter head_filter_;
  std::atomic<bool> stop_loading_{false};
  std::thread filter_loader_;

  std::thread writer_;

  // The Merkle tree: whether the store has one; the key its checkpoints
  // verify under (empty before the first); on the writer only, the tree's
  // right edge at the log's end, and the size and time (on the clock) of
  // the last checkpoint issued.
  const bool tree_ready_;
  const std::string tree_key_;
  std::optional<NoteVerifier> tree_verifier_;
  merkle::CompactRange tree_;
  uint64_t checkpoint_size_ = 0;
  absl::Time checkpoint_time_;
  // The latest checkpoint, published with the head.
  std::optional<SignedCheckpoint> latest_checkpoint_ ABSL_GUARDED_BY(head_mu_);

  // In databases of their own (rocks_view_store.h), sharing the log's
  // RocksDB memory.
  RocksViewStore views_;
  RocksViewStore app_state_;
  // Set by Close before the database goes: a later scan is refused rather
  // than reading freed memory (one running meanwhile is the caller's bug).
  std::atomic<bool> db_closed_{false};

  // Written by the writer after each group (null when read-only).
  std::unique_ptr<AnchorFile> anchor_;
  // See damage(); set at open or by MarkBroken.
  mutable absl::Mutex damage_mu_;
  mutable absl::Status damage_ ABSL_GUARDED_BY(damage_mu_);
  // The positions stream reads refuse, with damage_.
  mutable std::vector<uint64_t> unsound_ ABSL_GUARDED_BY(damage_mu_);
  // Whether damage_ is set.
  mutable std::atomic<bool> damaged_{false};
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_EVENT_STORE_H_
