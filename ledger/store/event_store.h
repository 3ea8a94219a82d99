// EventStore: the durable, hash-chained event log of complaint-ledger, on
// RocksDB. Start here.
//
// Every change in the ledger is an event appended to a stream (one per
// complaint, a few for reference data). Each event gets a stream revision
// (0, 1, 2, ...) and a global position (1, 2, 3, ... gap-free). Appends from
// all callers go through one writer thread that commits them in groups: one
// RocksDB WriteBatch with sync = true per group, so one fsync acknowledges
// many events. No append returns before its fsync has.
//
// Thread safety: every method may be called from any thread. Append blocks
// until its group is durable; AppendAsync calls `done` from the writer
// thread once it is. Reads never wait for the writer.
//
// Errors: INVALID_ARGUMENT for a request over a limit or malformed;
// ABORTED when the expected revision does not hold (the message names the
// current revision); ALREADY_EXISTS when a command id is reused for
// different content; NOT_FOUND for an unknown stream; DATA_LOSS (with the
// position, see errors.h) for a stored record that fails its checks;
// RESOURCE_EXHAUSTED when too many appends wait for the writer;
// UNAVAILABLE once Close has begun.
//
// The on-disk format is described in ledger/FORMAT.md.
#ifndef LEDGER_STORE_EVENT_STORE_H_
#define LEDGER_STORE_EVENT_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ledger/base/clock.h"
#include "ledger/store/limits.h"
#include "ledger/store/merkle.h"
#include "ledger/store/signed_note.h"
#include "ledger/store/view_store.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/storage.pb.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace ledger {

// What the caller expects of a stream's last revision before its append.
class ExpectedRevision {
 public:
  enum class Kind { kAny, kNoStream, kExact };

  static ExpectedRevision Any() { return ExpectedRevision(Kind::kAny, 0); }
  static ExpectedRevision NoStream() {
    return ExpectedRevision(Kind::kNoStream, 0);
  }
  // The stream's last revision must be `revision`.
  static ExpectedRevision Exact(uint64_t revision) {
    return ExpectedRevision(Kind::kExact, revision);
  }

  Kind kind() const { return kind_; }
  uint64_t revision() const { return revision_; }

 private:
  ExpectedRevision(Kind kind, uint64_t revision)
      : kind_(kind), revision_(revision) {}
  Kind kind_;
  uint64_t revision_;
};

// An event as a caller proposes it. The store assigns position, revision,
// recorded time and hashes.
struct ProposedEvent {
  std::string event_type;
  std::string payload;
  std::string actor;
  std::string correlation_id;
  std::string causation_id;
  uint32_t schema_version = 1;
};

struct AppendRequest {
  std::string stream_id;
  ExpectedRevision expected = ExpectedRevision::Any();
  std::vector<ProposedEvent> events;
  // Idempotency key. A retry with the same id and content returns the
  // original result and appends nothing. Empty: no idempotency.
  std::string command_id;
  // What makes a retry "the same content". Empty: the stream id and the
  // events. Set it when the events depend on when they were decided (a
  // deadline computed from the clock), so that a retry decided a moment
  // later is still recognised: e.g. a hash of the command that produced
  // them. Only meaningful with a command id.
  std::string command_fingerprint;
};

// The events of one group commit, as written. Shared by the appends of the
// group and the commit listener (EventStoreOptions::on_commit); never
// changed once committed.
using CommittedEvents = std::shared_ptr<const std::vector<v1::Event>>;

// One append's events: a run of its group's CommittedEvents, shared rather
// than copied (the writer thread is the ledger's one serial stage).
class WrittenEvents {
 public:
  WrittenEvents() = default;
  WrittenEvents(CommittedEvents group, size_t first, size_t count)
      : group_(std::move(group)), first_(first), count_(count) {}

  const v1::Event* begin() const {
    return group_ == nullptr ? nullptr : group_->data() + first_;
  }
  const v1::Event* end() const { return begin() + count_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const v1::Event& operator[](size_t i) const { return begin()[i]; }

 private:
  CommittedEvents group_;
  size_t first_ = 0;
  size_t count_ = 0;
};

struct AppendResult {
  // The stream the events are in: the request's, or for a duplicate the
  // earlier append's (a command id names one append; a retry of a command
  // that numbers its own complaint names a stream of its own).
  std::string stream_id;
  uint64_t position_first = 0;
  uint64_t position_last = 0;
  uint64_t revision_first = 0;
  uint64_t revision_last = 0;
  // True when this is the result of an earlier append with the same
  // command id; nothing new was written.
  bool duplicate = false;
  // The events as written (position, recorded time, hashes), so that a
  // caller need not read them back; empty for a duplicate (read those).
  WrittenEvents events;
};

struct StreamHead {
  uint64_t revision_last = 0;
  uint64_t position_last = 0;
};

// The end of the global log: position 0 and the genesis hash when empty.
struct LogHead {
  uint64_t position_last = 0;
  std::string hash_last;
};

// A group of a replicated log's log of record and its sequence number there
// (EventStore::ApplyReplicatedGroups).
struct ReplicatedGroup {
  const v1::GroupRecord* record = nullptr;
  uint64_t sequence = 0;
};

// What EventStore::Backup copied.
struct BackupReport {
  LogHead head;  // Of the copy.
  uint64_t events_verified = 0;
};

// Copies the backup in `backup` (EventStore::Backup's directory) to `dir`,
// which must not exist or be empty, and returns the end of the log it
// holds. The copy is made beside `dir` and renamed to it once it is on
// disk and opens sound. INVALID_ARGUMENT for a directory that is no
// backup, FAILED_PRECONDITION for a `dir` that holds files.
absl::StatusOr<LogHead> RestoreBackup(const std::string& backup,
                                      const std::string& dir);

enum class ReadDirection { kForward, kBackward };

// A checkpoint the log signed: its Merkle tree of `size` events has root
// `root`, and `note` is the signed note saying so (ledger/store/
// signed_note.h), byte for byte as it was issued.
struct SignedCheckpoint {
  uint64_t size = 0;
  merkle::Hash root{};
  std::string note;
};

// Counters of the group-commit writer since the store opened, for metrics
// and benchmarks. Times are from a monotonic clock, not the store's Clock.
struct WriterStats {
  uint64_t groups = 0;    // Group commits written.
  uint64_t appends = 0;   // Appends in them, accepted or refused.
  uint64_t events = 0;    // Events written.
  uint64_t stage_us = 0;  // Checking and encoding appends.
  uint64_t write_us = 0;  // In RocksDB's Write, fsync included.
  // Group commits by their write's time, fsync included: the counts of
  // those up to each bound (µs; not cumulative), then of the slower ones.
  static constexpr std::array<uint64_t, 12> kWriteBoundsUs = {
      100,   250,   500,   1000,   2500,   5000,
      10000, 25000, 50000, 100000, 250000, 1000000};
  std::array<uint64_t, kWriteBoundsUs.size() + 1> writes_by_time{};
  // Group commits by their events: up to each bound, then more.
  static constexpr std::array<uint64_t, 10> kGroupEventsBounds = {
      1, 2, 4, 8, 16, 64, 256, 1024, 4096, 16384};
  std::array<uint64_t, kGroupEventsBounds.size() + 1> groups_by_events{};
};

struct EventStoreOptions {
  // Source of recorded_time. Defaults to the system clock.
  std::shared_ptr<const Clock> clock;
  // Open an existing store for reading only (offline verification while
  // another process may have it open). Appends are FAILED_PRECONDITION.
  bool read_only = false;
  bool create_if_missing = true;
  // Called on the writer thread after each group commit that wrote events
  // (after its fsync and after its appenders were acknowledged), with the
  // events in position order; successive calls are contiguous. Must not
  // block: the subscription hub hands them on and returns.
  std::function<void(CommittedEvents)> on_commit;
  // A replicated log: called on the writer thread after on_commit for a
  // group ApplyReplicated wrote (another node's), with its events. Must not
  // block.
  std::function<void(CommittedEvents)> on_replicated;
  // Called on the writer thread before each group commit's write, with
  // nothing of the group durable yet; an error is taken as a failed write
  // (the group is refused and the store stops accepting appends until it
  // is reopened). ComplaintApp makes customers' new data keys durable here
  // before any event sealed with them is (app/personal_data.h).
  std::function<absl::Status()> before_commit;
  // A replicated log (docs/design/replication.md): when set, each group
  // commit, once staged (positions, hashes, tree, any checkpoint) and
  // before anything of it is written here, is handed to `replicate` as a
  // GroupRecord, with the sequence number in the log of record of the last
  // group this store holds (0: none; EventStore::replicated_sequence). It
  // returns the group's own sequence number once the log of record holds
  // it durably, and only then is the group written here and acknowledged.
  // An error refuses the group's appends with it and writes nothing here;
  // the store goes on (the log of record may hold the group all the same:
  // ApplyReplicated brings it here, and a retry with the command id finds
  // it). The callee may set the record's `writer` and `epoch`.
  std::function<absl::StatusOr<uint64_t>(v1::GroupRecord* group,
                                         uint64_t after_sequence)>
      replicate;
  // RocksDB's memory, shared by the log's database, the views' and the app
  // state's: the block cache (data blocks) and the
  // memtables' budget, past which the largest are written out early (a
  // soft bound: a memtable being written out still counts until it is).
  size_t block_cache_bytes = kDefaultBlockCacheBytes;
  size_t memtable_bytes = kDefaultMemtableBytes;
  // How many stream heads the writer keeps in memory before it starts its
  // cache afresh. Small values are for tests of the cache's edges.
  size_t max_cached_stream_heads = kMaxCachedStreamHeads;
  // An operator's decision to continue a damaged log from its intact part
  // (ledger/FORMAT.md, "A damaged log"): the position the intact log ends
  // at, as the refusal named it. The store opens only if that is where it
  // ends, and records the decision as a LogEndAccepted event before any
  // other append.
  std::optional<uint64_t> accept_log_end;
  // Who decided (recorded in that event).
  std::string accepted_by = "operator";
  // Signs the log's checkpoints (null: the tree is kept, no checkpoint is
  // issued). A store pins the verifier key of the first key that signed
  // for it and refuses another one; without a signer it still checks its
  // latest checkpoint at open with the pinned key.
  std::shared_ptr<const NoteSigner> checkpoint_signer;
  // A new checkpoint once this many events are past the last one, or once
  // `checkpoint_every` has passed (on `clock`) with any event past it, even
  // when no append comes; and one at Close. 0 / zero: not on that ground.
  uint64_t checkpoint_every_events = 4096;
  absl::Duration checkpoint_every = absl::Seconds(1);
  // Close writes the memtables out, so that the next open replays no
  // write-ahead log. false leaves the last writes in the WAL, as a crash
  // would (tests of WAL damage).
  bool flush_at_close = true;
  // The environment RocksDB reads and writes the log's and the views' files
  // through (default: the process's). Tests of disk faults pass one that
  // fails fsyncs or writes; the simulation (tools/sim/vopr.h) one that
  // loses what was not synced.
  std::shared_ptr<rocksdb::Env> env;
};

class EventStore {
 public:
  // Opens or creates the store in `dir`. Recovers the next position, the
  // last hash and (lazily) stream heads from their own records, without
  // scanning the log.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(
      const std::string& dir, EventStoreOptions options = {});

  // Finishes pending appends and closes RocksDB (see Close).
  virtual ~EventStore() = default;

  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends `request.events` to one stream, atomically, after they are
  // durable.
  virtual absl::StatusOr<AppendResult> Append(AppendRequest request) = 0;

  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;
  // Like Append, but returns at once; `done` runs exactly once, on the
  // writer thread after the fsync (or on the calling thread when the request
  // is refused before queueing). `done` must not block.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  struct AsyncAppend {
    AppendRequest request;
    AppendCallback done;
  };
  // AppendAsync of each, in order, queued for the writer at once (one wait
  // for its queue instead of one each): for callers with many appends in
  // hand, such as a batch of commands. Each is refused or written on its
  // own.
  virtual void AppendAllAsync(std::vector<AsyncAppend> appends) = 0;

  // Up to `limit` events of a stream (0: kDefaultPageSize), starting at
  // `from_revision` (nullopt: the first revision going forward, the last
  // going backward). An empty page means no more events that way.
  virtual absl::StatusOr<std::vector<v1::Event>> ReadStream(
      const std::string& stream_id, std::optional<uint64_t> from_revision,
      ReadDirection direction, uint32_t limit) const = 0;

  // Up to `limit` events of the global log from `from_position` (0 and 1
  // both mean the start), each checked against its hash and linked to the
  // one before it.
  virtual absl::StatusOr<std::vector<v1::Event>> ReadAll(
      uint64_t from_position, uint32_t limit) const = 0;

  // Calls `visit` with each event of the global log from `from_position`,
  // at most `limit` of them, checked like ReadAll, until `visit` returns
  // false. The event passed to `visit` is only valid during the call (it is
  // reused, which makes a full replay allocation-free). For replays and
  // projections; an event committed during the scan may or may not be seen.
  virtual absl::Status ScanAll(
      uint64_t from_position, uint64_t limit,
      const std::function<bool(const v1::Event&)>& visit) const = 0;

  // The earlier append with `command_id`, if any (`duplicate` set), so that
  // a command can be answered before it is decided again. ALREADY_EXISTS
  // when that append was made with a different `command_fingerprint` (see
  // AppendRequest).
  virtual absl::StatusOr<std::optional<AppendResult>> FindCommand(
      const std::string& command_id,
      const std::string& command_fingerprint) const = 0;

  // The views and named positions kept beside this log (in the same
  // RocksDB for the embedded log). Lives as long as the store.
  virtual ViewStore& views() = 0;
  // The write side's derived state (app/app_state.h: the customer index,
  // complaint numbering), in the same form as the views but a database of
  // its own (`<dir>/app-state`), so that dropping damaged views never takes
  // it along. Lives as long as the store. Its rows of view
  // kAppStateCustomers are scanned by their first kAppStateCustomerKeyBytes
  // (one customer's intakes), and the store keeps filters of those
  // prefixes: a customer never seen costs no seek.
  virtual ViewStore& app_state() = 0;
  static constexpr char kAppStateCustomers[] = "customers";
  static constexpr size_t kAppStateCustomerKeyBytes = 32;

  // A replicated log (EventStoreOptions::replicate): writes here a group
  // that the log of record holds at `sequence`, as the store that committed
  // it wrote it, on the writer thread between groups, and hands its events
  // to on_commit. A group at or below replicated_sequence() is here
  // already: OK, nothing written. Otherwise it must continue this log (its
  // first position the log's end + 1, its hash_before the last hash) with
  // sound events (hashes, links, each stream's next revision), command
  // records within it, and a checkpoint (if any) of the tree it makes,
  // signed with the store's key; DATA_LOSS naming what does not hold,
  // nothing written. FAILED_PRECONDITION for a checkpoint when the store has
  // no checkpoint key; UNAVAILABLE once the store is closing or stopped.
  virtual absl::Status ApplyReplicated(const v1::GroupRecord& group,
                                       uint64_t sequence) = 0;
  // ApplyReplicated of consecutive groups, in one write (a copy catching
  // up): all of them or, when one is refused, none.
  virtual absl::Status ApplyReplicatedGroups(
      absl::Span<const ReplicatedGroup> groups) = 0;
  // The same without waiting (a copy receives the next groups while these
  // are written): `done` gets what ApplyReplicatedGroups would return, on
  // the writer thread once they are written and handed on (it must not
  // block), or on the caller's thread when they are refused before being
  // queued. `groups` and their records must outlive the call of `done`.
  virtual void ApplyReplicatedGroupsAsync(
      absl::Span<const ReplicatedGroup> groups,
      std::function<void(absl::Status)> done) = 0;
  // The sequence number in the log of record of the last group written
  // here (0: none, or not a replicated log).
  virtual uint64_t replicated_sequence() const = 0;

  // NOT_FOUND when the stream has no events.
  virtual absl::StatusOr<StreamHead> Head(
      const std::string& stream_id) const = 0;

  // The end of the log as of the last acknowledged commit.
  virtual LogHead log_head() const = 0;

  virtual WriterStats writer_stats() const = 0;

  // RocksDB's own figures of the store's databases ("log", "views",
  // "app_state"), for /metrics (ledger/store/view_store.h, DbProperty).
  virtual std::vector<DbProperty> db_properties() const { return {}; }

  // OK while the log is sound; else DATA_LOSS naming the damage (the file,
  // and the position from which events are missing or unsound), which
  // every append is refused with. Set at open when RocksDB's recovery or
  // the anchor finds the log shorter or different than acknowledged, and by
  // any scan that finds a broken record or link.
  virtual absl::Status damage() const = 0;

  // Why the stream index and command ids were last dropped and rebuilt from
  // the events (RocksDB found them damaged, at open or since); empty when
  // they were not. They are derived data: damage to them never refuses
  // appends for longer than the rebuild takes (FORMAT.md, "The indexes").
  virtual std::string index_rebuilt_after() const { return ""; }

  // The Merkle tree over the log (RFC 9162; leaf i is position i + 1, its
  // data the event's record hash) and the checkpoints signed over it
  // (FORMAT.md, "The Merkle tree"). Sizes are numbers of events; a size past
  // the acknowledged end of the log is OUT_OF_RANGE. FAILED_PRECONDITION
  // when the store has no tree yet (a format-2 store opened read-only).

  // The latest checkpoint signed; NOT_FOUND when none has been.
  virtual absl::StatusOr<SignedCheckpoint> LatestCheckpoint() const = 0;
  // The checkpoint of exactly `size` events; NOT_FOUND when none of that
  // size was signed.
  virtual absl::StatusOr<SignedCheckpoint> CheckpointAt(
      uint64_t size) const = 0;
  // The root of the tree of the first `size` events.
  virtual absl::StatusOr<merkle::Hash> TreeRoot(uint64_t size) const = 0;
  // The audit path of the event at `position` in the tree of `tree_size`
  // events, leaf level first (RFC 9162 §2.1.3.1).
  virtual absl::StatusOr<std::vector<merkle::Hash>> InclusionProof(
      uint64_t position, uint64_t tree_size) const = 0;
  // That the tree of `to_size` events extends the one of `from_size`
  // (RFC 9162 §2.1.4.1); 0 < from_size <= to_size.
  virtual absl::StatusOr<std::vector<merkle::Hash>> ConsistencyProof(
      uint64_t from_size, uint64_t to_size) const = 0;
  // The tree's right edge at `size` (merkle::CompactRange): one node per
  // set bit of size, largest first.
  virtual absl::StatusOr<std::vector<merkle::Hash>> TreeEdge(
      uint64_t size) const = 0;
  // The verifier key the store's checkpoints are signed with; empty before
  // the first signer.
  virtual std::string checkpoint_key() const = 0;

  // A consistent copy of the store in the new directory `dir`, taken while
  // appends go on (RocksDB checkpoints: hard links where `dir` is on the
  // same file system): the log up to where the copy was taken, with its
  // anchor, the named positions and the derived data as of then (the views
  // and app state, never ahead of the log; a store opened on the copy
  // catches them up). The copy is checked whole (VerifyStore) before it is
  // renamed to `dir`; until then it is `dir`.partial. Returns the copy's
  // check: its last position and hash, events verified. ALREADY_EXISTS when
  // `dir` does; DATA_LOSS when the copy does not verify.
  virtual absl::StatusOr<BackupReport> Backup(const std::string& dir) = 0;

  // Refuses new appends (UNAVAILABLE), waits for the writer to commit and
  // acknowledge every queued append, then closes RocksDB cleanly. Safe to
  // call more than once.
  virtual absl::Status Close() = 0;

 protected:
  EventStore() = default;
};

}  // namespace ledger

#endif  // LEDGER_STORE_EVENT_STORE_H_
