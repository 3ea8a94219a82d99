// The write path: group commit by one writer thread.
//
// Callers validate their request on their own thread and queue it. The
// writer takes every queued append (up to kMaxEventsPerCommit events),
// checks each against command ids and stream heads, stages the accepted ones
// into one WriteBatch, writes it with sync = true, and only then publishes
// the new end of the log and calls each caller back. Positions are assigned
// here, in queue order, so they are gap-free.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "ledger/base/check.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/work_pool.h"
#include "ledger/store/internal/append_validation.h"
#include "ledger/store/internal/index_rebuild.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/merkle_tree.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_event_store_group.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/limits.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {
namespace {

absl::Status StoreClosing() {
  return absl::UnavailableError("the store is closing");
}

}  // namespace

absl::StatusOr<AppendResult> RocksEventStore::Append(AppendRequest request) {
  absl::Notification done;
  absl::StatusOr<AppendResult> result;
  AppendAsync(std::move(request), [&](absl::StatusOr<AppendResult> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

void RocksEventStore::AppendAsync(AppendRequest request, AppendCallback done) {
  std::optional<PendingAppend> pending =
      Prepare(AsyncAppend{std::move(request), std::move(done)});
  if (!pending.has_value()) return;
  std::vector<PendingAppend> one;
  one.push_back(*std::move(pending));
  Enqueue(std::move(one));
}

void RocksEventStore::AppendAllAsync(std::vector<AsyncAppend> appends) {
  if (appends.empty()) return;
  std::vector<PendingAppend> ready;
  ready.reserve(appends.size());
  for (AsyncAppend& a : appends) {
    std::optional<PendingAppend> pending = Prepare(std::move(a));
    if (pending.has_value()) ready.push_back(*std::move(pending));
  }
  Enqueue(std::move(ready));
}

std::optional<RocksEventStore::PendingAppend> RocksEventStore::Prepare(
    AsyncAppend append) {
  if (damaged_.load(std::memory_order_relaxed)) {
    append.done(damage());
    return std::nullopt;
  }
  if (options_.read_only) {
    append.done(absl::FailedPreconditionError("the store is open read-only"));
    return std::nullopt;
  }
  if (absl::Status s = ValidateAppend(append.request); !s.ok()) {
    append.done(std::move(s));
    return std::nullopt;
  }
  PendingAppend pending;
  pending.request = std::move(append.request);
  pending.done = std::move(append.done);
  pending.record_bytes = RecordBytes(pending.request);
  if (!pending.request.command_id.empty()) {
    pending.content_digest = ContentDigest(pending.request);
  }
  if (pending.request.expected.kind() == ExpectedRevision::Kind::kNoStream) {
    if (closing_.load()) {  // Close releases RocksDB.
      pending.done(StoreClosing());
      return std::nullopt;
    }
    // Epoch first: a clear after this read is seen by the writer.
    pending.heads_epoch = heads_epoch_.load();
    absl::StatusOr<std::optional<StreamHead>> head =
        ReadHead(pending.request.stream_id);
    if (!head.ok()) {
      pending.done(head.status());
      return std::nullopt;
    }
    pending.head = *head;
    pending.head_read = true;
  }
  return pending;
}

void RocksEventStore::Enqueue(std::vector<PendingAppend> appends) {
  std::vector<std::pair<PendingAppend*, absl::Status>> refused;
  {
    absl::MutexLock lock(&queue_mu_);
    for (PendingAppend& pending : appends) {
      if (closing_.load()) {
        refused.emplace_back(&pending, StoreClosing());
      } else if (queue_.size() >= kMaxPendingAppends) {
        refused.emplace_back(
            &pending, absl::ResourceExhaustedError(absl::StrCat(
                          queue_.size(),
                          " appends are waiting for the writer, the limit is ",
                          kMaxPendingAppends, "; retry later")));
      } else {
        queue_.push_back(std::move(pending));
      }
    }
  }
  for (auto& [pending, status] : refused) pending->done(std::move(status));
}

void RocksEventStore::WriterLoop() {
  while (true) {
    std::vector<PendingAppend> group = TakeGroup(CheckpointDeadline());
    bool rebuild = false;
    bool closing = false;
    {
      absl::MutexLock lock(&queue_mu_);
      rebuild = index_damaged_;
      closing = closing_;
    }
    // Before the group, which reads the indexes (not on the way out: the
    // next open finds the damage again).
    if (rebuild && !closing) RebuildIndexesNow();
    if (!group.empty() && !group.front().replicated.empty()) {
      PendingAppend& apply = group.front();
      absl::Status applied = ApplyGroups(apply.replicated);
      apply.done(applied.ok() ? absl::StatusOr<AppendResult>(AppendResult{})
                              : absl::StatusOr<AppendResult>(applied));
    } else if (!group.empty()) {
      CommitGroup(std::move(group));
    } else if (closing) {
      // The queue is drained: the log's last events signed, as they stand.
      WriteCheckpointIfDue(/*force=*/true);
      return;
    } else {
      WriteCheckpointIfDue(/*force=*/false);
    }
  }
}

absl::Status RocksEventStore::IndexDamaged(const rocksdb::Status& found,
                                           absl::string_view reading) const {
  {
    absl::MutexLock lock(&queue_mu_);
    if (!index_damaged_) {
      index_damaged_ = true;
      index_damage_ = absl::StrCat(reading, ": ", found.ToString());
      LogInfo(
          absl::StrFormat("EventStore: the stream index or the command ids are "
                          "damaged (%s); rebuilding both from the log",
                          index_damage_));
    }
  }
  return absl::UnavailableError(absl::StrCat(
      kIndexDamaged, " and being rebuilt from the log (", reading, "); retry"));
}

bool RocksEventStore::AwaitIndexRebuild(const absl::Status& read) const {
  if (read.code() != absl::StatusCode::kUnavailable ||
      !absl::StartsWith(read.message(), kIndexDamaged) ||
      std::this_thread::get_id() == writer_.get_id()) {
    return false;
  }
  absl::MutexLock lock(&queue_mu_);
  queue_mu_.Await(absl::Condition(
      +[](const RocksEventStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
           s->queue_mu_) { return !s->index_damaged_ || s->closing_; },
      this));
  return !closing_;
}

void RocksEventStore::RebuildIndexesNow() {
  std::string why;
  {
    absl::MutexLock lock(&queue_mu_);
    why = index_damage_;
  }
  absl::WriterMutexLock index_lock(&index_mu_);
  // A compaction that read the damaged file has stopped RocksDB's writes
  // (a background error); dropping the families ends the compactions.
  rocksdb::Status resumed = db_->Resume();
  if (!resumed.ok()) {
    LogWarn(absl::StrFormat("EventStore: resuming RocksDB: %s",
                            resumed.ToString()));
  }
  absl::StatusOr<uint64_t> indexed = RebuildIndexes(
      db_.get(), cf(kEvents), &handles_[kStreams], &handles_[kCommands]);
  if (!indexed.ok()) {
    // RocksDB stopped its writes (a compaction read the damaged file):
    // appends need the indexes, so none is taken until the next open
    // rebuilds them, as the marker file asks.
    const std::string marker = absl::StrCat(dir_, "/", kRebuildIndexesFileName);
    std::ofstream(marker) << why;
    write_error_ = absl::UnavailableError(absl::StrCat(
        kIndexDamaged, " (", why, ") and RocksDB stopped writing (",
        indexed.status().message(),
        "): restart ledgerd, which rebuilds it from the log (", marker, ")"));
    LogWarn(
        absl::StrFormat("EventStore: %s", std::string(write_error_.message())));
    index_unusable_ = write_error_;
  } else {
    LogInfo(
        absl::StrFormat("EventStore: rebuilt the stream index and command ids "
                        "from the log (%d events)",
                        *indexed));
  }
  heads_cache_.clear();
  heads_epoch_.fetch_add(1);
  index_rebuilt_after_ = why;
  absl::MutexLock lock(&queue_mu_);
  index_damaged_ = false;
}

std::vector<RocksEventStore::PendingAppend> RocksEventStore::TakeGroup(
    absl::Time deadline) {
  absl::MutexLock lock(&queue_mu_);
  queue_mu_.AwaitWithDeadline(
      absl::Condition(
          +[](RocksEventStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->queue_mu_) {
            return !s->queue_.empty() || s->closing_ || s->index_damaged_;
          },
          this),
      deadline);
  std::vector<PendingAppend> group;
  size_t events = 0;
  size_t bytes = 0;
  while (!queue_.empty()) {
    const PendingAppend& next = queue_.front();
    if (!next.replicated.empty()) {  // Alone.
      if (group.empty()) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      break;
    }
    const size_t n = next.request.events.size();
    // The byte cap only where a group must fit a message.
    if (!group.empty() && (events + n > kMaxEventsPerCommit ||
                           (options_.replicate &&
                            bytes + next.record_bytes > kMaxBytesPerCommit))) {
      break;
    }
    events += n;
    bytes += next.record_bytes;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

void RocksEventStore::CommitGroup(std::vector<PendingAppend> pending) {
  const uint64_t next_position_before = next_position_;
  Group group;
  group.next_position = next_position_;
  group.hash_last = hash_last_;
  group.recorded_time_us = absl::ToUnixMicros(options_.clock->Now());

  const auto stage_start = std::chrono::steady_clock::now();
  size_t proposed = 0;
  for (const PendingAppend& p : pending) proposed += p.request.events.size();
  group.events.reserve(proposed);
  std::vector<absl::StatusOr<AppendResult>> results;
  results.reserve(pending.size());
  for (PendingAppend& p : pending) {
    results.push_back(write_error_.ok()
                          ? Stage(p, &group)
                          : absl::StatusOr<AppendResult>(write_error_));
  }
  // The tree's nodes and any checkpoint, in the same batch as the events
  // they cover: after a crash both are there or neither.
  std::optional<SignedCheckpoint> checkpoint;
  merkle::CompactRange tree;
  const bool grows_tree = tree_ready_ && !group.events.empty();
  if (grows_tree) {
    checkpoint = StageTree(group.events, /*force=*/false, &tree, &group.batch);
  }
  const auto write_start = std::chrono::steady_clock::now();

  if (group.batch.Count() > 0) {
    // Before the write: a reader that finds them absent here finds them
    // absent in RocksDB too.
    command_filter_.AddAll(group.commands);
    head_filter_.AddAll(group.new_streams);
    rocksdb::WriteOptions write;
    write.sync = true;  // Nothing is acknowledged before its fsync.
    absl::Status written =
        options_.before_commit ? options_.before_commit() : absl::OkStatus();
    bool refused_by_log = false;
    if (written.ok() && options_.replicate) {
      written = Replicate(RecordOf(group, checkpoint), &group);
      // Nothing was written here: the store goes on.
      refused_by_log = !written.ok();
    }
    if (written.ok()) {
      written =
          FromRocks(db_->Write(write, &group.batch), "committing appends");
    }
    if (!written.ok()) {
      if (!refused_by_log) StopAppendsAfter(written);
      // None of this group is acknowledged: its appenders get the error.
      for (auto& r : results) {
        if (r.ok()) r = written;
      }
      checkpoint.reset();
    } else {
      Advance(group,
              grows_tree ? std::optional<merkle::CompactRange>(std::move(tree))
                         : std::nullopt,
              checkpoint);
    }
  }
  const bool committed = next_position_ != next_position_before;
  RecordGroup(pending.size(), next_position_ - next_position_before,
              stage_start, write_start, std::move(checkpoint));
  CommittedEvents events;
  if (committed) {
    events =
        std::make_shared<const std::vector<v1::Event>>(std::move(group.events));
  }
  {
    // What the callbacks schedule (the answers to the group's calls) goes
    // to each pool in one piece once they have all run, before on_commit
    // wakes the subscribers.
    WorkPool::Batch handed_over_together;
    for (size_t i = 0; i < pending.size(); ++i) {
      absl::StatusOr<AppendResult>& r = results[i];
      if (r.ok() && !r->duplicate) {
        // The group's events are its positions from next_position_before
        // on.
        r->events =
            WrittenEvents(events, r->position_first - next_position_before,
                          r->position_last - r->position_first + 1);
      }
      pending[i].done(std::move(r));
    }
  }
  if (committed && options_.on_commit) options_.on_commit(std::move(events));
}

void RocksEventStore::Advance(
    Group& group, std::optional<merkle::CompactRange> tree,
    const std::optional<SignedCheckpoint>& checkpoint) {
  next_position_ = group.next_position;
  hash_last_ = group.hash_last;
  if (tree.has_value()) tree_ = *std::move(tree);
  if (checkpoint.has_value()) {
    checkpoint_size_ = checkpoint->size;
    checkpoint_time_ = options_.clock->Now();
  }
  if (group.sequence != 0) sequence_ = group.sequence;
  // Before the group is acknowledged (ledger/store/internal/anchor.h).
  absl::Status anchored =
      anchor_->Write(Anchor{next_position_ - 1, hash_last_});
  if (!anchored.ok()) {
    // This group is durable and is acknowledged; the ones after it
    // would not be anchored.
    write_error_ = absl::UnavailableError(absl::StrCat(
        "the store stopped accepting appends: the anchor of the log's "
        "end cannot be written: ",
        anchored.message()));
  }
  if (heads_cache_.size() + group.heads.size() >
      options_.max_cached_stream_heads) {
    heads_cache_.clear();
    heads_epoch_.fetch_add(1);
  }
  // The group's entries move into the cache, keys and all (extracting
  // one leaves the iterators to the others valid).
  for (auto it = group.heads.begin(); it != group.heads.end();) {
    auto moved = heads_cache_.insert(group.heads.extract(it++));
    if (!moved.inserted) moved.position->second = moved.node.mapped();
  }
}

// In the tree's terms (rocks_event_store_tree.cc), but a write: in a
// replicated log a checkpoint alone is a group of the log of record too.
void RocksEventStore::WriteCheckpointIfDue(bool force) {
  if (!MaySign()) return;
  if (!force &&
      (options_.checkpoint_every <= absl::ZeroDuration() ||
       options_.clock->Now() - checkpoint_time_ < options_.checkpoint_every)) {
    return;
  }
  Group group;
  group.next_position = next_position_;
  group.hash_last = hash_last_;
  merkle::CompactRange range;
  std::optional<SignedCheckpoint> made =
      StageTree({}, /*force=*/true, &range, &group.batch);
  if (!made.has_value()) return;
  if (options_.replicate) {
    if (!Replicate(RecordOf(group, made), &group).ok()) {
      // Not the writer, or the log of record is unreachable: the next one
      // is due an interval from now.
      checkpoint_time_ = options_.clock->Now();
      return;
    }
  }
  if (!WriteSyncedOrStop(&group.batch, "writing a checkpoint").ok()) return;
  checkpoint_size_ = made->size;
  checkpoint_time_ = options_.clock->Now();
  if (group.sequence != 0) sequence_ = group.sequence;
  absl::MutexLock lock(&head_mu_);
  latest_checkpoint_ = *std::move(made);
  published_sequence_.store(sequence_);
}

absl::Status RocksEventStore::WriteSyncedOrStop(rocksdb::WriteBatch* batch,
                                                absl::string_view what) {
  rocksdb::WriteOptions write;
  write.sync = true;
  absl::Status written = FromRocks(db_->Write(write, batch), what);
  if (!written.ok()) StopAppendsAfter(written);
  return written;
}

void RocksEventStore::StopAppendsAfter(const absl::Status& written) {
  write_error_ = absl::UnavailableError(absl::StrCat(
      "the store stopped accepting appends after a failed write; reopen "
      "it to recover: ",
      written.message()));
  LogWarn(absl::StrFormat("EventStore: %s", write_error_.ToString()));
}

// Publishes the end of the log (advanced only by a successful write) and
// the group's counters.
void RocksEventStore::RecordGroup(
    size_t appends, uint64_t events,
    std::chrono::steady_clock::time_point stage_start,
    std::chrono::steady_clock::time_point write_start,
    std::optional<SignedCheckpoint> checkpoint) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto now = std::chrono::steady_clock::now();
  absl::MutexLock lock(&head_mu_);
  published_head_ = LogHead{next_position_ - 1, hash_last_};
  if (checkpoint.has_value()) latest_checkpoint_ = *std::move(checkpoint);
  // After the head: who sees a sequence sees the log up to it.
  published_sequence_.store(sequence_);
  ++stats_.groups;
  stats_.appends += appends;
  stats_.events += events;
  stats_.stage_us +=
      duration_cast<microseconds>(write_start - stage_start).count();
  const uint64_t write_us =
      duration_cast<microseconds>(now - write_start).count();
  stats_.write_us += write_us;
  auto bucket = [](const auto& bounds, uint64_t value) {
    return std::lower_bound(bounds.begin(), bounds.end(), value) -
           bounds.begin();
  };
  if (events > 0) {  // A group of refusals and retries writes nothing.
    ++stats_.writes_by_time[bucket(WriterStats::kWriteBoundsUs, write_us)];
    ++stats_.groups_by_events[bucket(WriterStats::kGroupEventsBounds, events)];
  }
}

absl::StatusOr<std::optional<v1::CommandRecord>> RocksEventStore::LookUpCommand(
    const std::string& command_id, const Group* group) const {
  if (group != nullptr) {
    if (auto it = group->commands.find(command_id);
        it != group->commands.end()) {
      return it->second;
    }
  }
  if (!command_filter_.MayContain(command_id)) return std::nullopt;
  auto record = LookUpCommandOnDisk(command_id);
  if (!record.ok() && AwaitIndexRebuild(record.status())) {
    return LookUpCommandOnDisk(command_id);
  }
  return record;
}

absl::StatusOr<std::optional<v1::CommandRecord>>
RocksEventStore::LookUpCommandOnDisk(const std::string& command_id) const {
  std::string value;
  rocksdb::Status s;
  {
    absl::ReaderMutexLock index_lock(&index_mu_);
    RETURN_IF_ERROR(index_unusable_);
    s = db_->Get(rocksdb::ReadOptions(), cf(kCommands), command_id, &value);
  }
  if (s.IsNotFound()) return std::nullopt;
  if (s.IsCorruption()) return IndexDamaged(s, "looking up a command id");
  RETURN_IF_ERROR(FromRocks(s, "looking up a command id"));
  v1::CommandRecord record;
  if (!record.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("the record of command id ",
                                            command_id, " cannot be decoded"));
  }
  return record;
}

absl::StatusOr<std::optional<StreamHead>> RocksEventStore::LookUpHead(
    const PendingAppend& pending, const Group& group) {
  const std::string& stream_id = pending.request.stream_id;
  if (auto it = group.heads.find(stream_id); it != group.heads.end()) {
    return it->second;
  }
  if (auto it = heads_cache_.find(stream_id); it != heads_cache_.end()) {
    return it->second;
  }
  if (pending.head_read && pending.heads_epoch == heads_epoch_.load()) {
    return pending.head;
  }
  return ReadHead(stream_id);
}

namespace {

absl::Status CheckExpected(const std::string& stream_id,
                           const ExpectedRevision& expected,
                           const std::optional<StreamHead>& head) {
  switch (expected.kind()) {
    case ExpectedRevision::Kind::kAny:
      return absl::OkStatus();
    case ExpectedRevision::Kind::kNoStream:
      if (!head.has_value()) return absl::OkStatus();
      return absl::AbortedError(absl::StrCat("expected stream ", stream_id,
                                             " not to exist, but it is at "
                                             "revision ",
                                             head->revision_last));
    case ExpectedRevision::Kind::kExact:
      if (!head.has_value()) {
        return absl::AbortedError(absl::StrCat(
            "expected stream ", stream_id, " at revision ", expected.revision(),
            ", but the stream does not exist"));
      }
      if (head->revision_last != expected.revision()) {
        return absl::AbortedError(absl::StrCat(
            "expected stream ", stream_id, " at revision ", expected.revision(),
            ", but it is at revision ", head->revision_last));
      }
      return absl::OkStatus();
  }
  return absl::InternalError("unknown expected revision kind");
}

}  // namespace

AppendResult ResultOf(const v1::CommandRecord& record) {
  AppendResult result;
  result.stream_id = record.stream_id();
  result.position_first = record.position_first();
  result.position_last = record.position_last();
  result.revision_first = record.revision_first();
  result.revision_last = record.revision_last();
  result.duplicate = true;
  return result;
}

absl::Status CommandIdReused(const std::string& command_id,
                             const v1::CommandRecord& earlier) {
  return absl::AlreadyExistsError(absl::StrCat(
      "command id ", command_id,
      " was already used for different content (stream ", earlier.stream_id(),
      ", positions ", earlier.position_first(), "..", earlier.position_last(),
      ")"));
}

absl::StatusOr<std::optional<AppendResult>> RocksEventStore::FindCommand(
    const std::string& command_id,
    const std::string& command_fingerprint) const {
  if (command_id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<v1::CommandRecord> earlier,
                   LookUpCommand(command_id, /*group=*/nullptr));
  if (!earlier.has_value()) return std::nullopt;
  // A record rebuilt from the log has no digest: whatever the retry
  // carries, it gets the result.
  if (!earlier->content_digest().empty() &&
      earlier->content_digest() != FingerprintDigest(command_fingerprint)) {
    return CommandIdReused(command_id, *earlier);
  }
  return ResultOf(*earlier);
}

// Checks one append against the state left by every earlier append (on disk
// and in this group) and stages it. Either stages all its events or none.
absl::StatusOr<AppendResult> RocksEventStore::Stage(PendingAppend& pending,
                                                    Group* group) {
  AppendRequest& request = pending.request;
  if (!request.command_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<v1::CommandRecord> earlier,
                     LookUpCommand(request.command_id, group));
    if (earlier.has_value()) {
      if (earlier->content_digest().empty() ||  // Rebuilt from the log.
          earlier->content_digest() == pending.content_digest) {
        return ResultOf(*earlier);
      }
      return CommandIdReused(request.command_id, *earlier);
    }
  }
  ASSIGN_OR_RETURN(std::optional<StreamHead> head, LookUpHead(pending, *group));
  RETURN_IF_ERROR(CheckExpected(request.stream_id, request.expected, head));
  if (!head.has_value()) group->new_streams.push_back(request.stream_id);

  AppendResult result;
  result.stream_id = request.stream_id;
  result.position_first = group->next_position;
  result.revision_first = head.has_value() ? head->revision_last + 1 : 0;
  uint64_t revision = result.revision_first;
  std::string value;
  // Nothing fails past this point: the proposed strings move into the
  // events (the request is not needed again).
  for (ProposedEvent& proposed : request.events) {
    v1::Event& event = group->events.emplace_back();
    event.set_position(group->next_position);
    event.set_stream_id(request.stream_id);
    event.set_revision(revision);
    event.set_event_type(std::move(proposed.event_type));
    event.set_recorded_time_us(group->recorded_time_us);
    event.set_actor(std::move(proposed.actor));
    event.set_command_id(request.command_id);
    event.set_correlation_id(std::move(proposed.correlation_id));
    event.set_causation_id(std::move(proposed.causation_id));
    event.set_schema_version(proposed.schema_version);
    event.set_payload(std::move(proposed.payload));
    event.set_previous_hash(group->hash_last);
    event.set_hash(ComputeEventHash(event));
    value.clear();
    LEDGER_CHECK(event.SerializeToString(&value),
                 "an event of validated size always serializes");
    const std::string position_key = PositionKey(group->next_position);
    group->batch.Put(cf(kEvents), position_key, value);
    group->batch.Put(cf(kStreams), StreamKey(request.stream_id, revision),
                     position_key);
    group->hash_last = event.hash();
    ++group->next_position;
    ++revision;
  }
  result.position_last = group->next_position - 1;
  result.revision_last = revision - 1;
  // Guaranteed by the single writer: positions only grow, one per event.
  LEDGER_CHECK(
      result.position_last - result.position_first + 1 == request.events.size(),
      "positions are gap-free");

  // The head is the stream's last `streams` entry (ReadHead): nothing more
  // to write, only to remember.
  group->heads[request.stream_id] =
      StreamHead{result.revision_last, result.position_last};
  if (!request.command_id.empty()) {
    v1::CommandRecord record;
    record.set_position_first(result.position_first);
    record.set_position_last(result.position_last);
    record.set_revision_first(result.revision_first);
    record.set_revision_last(result.revision_last);
    record.set_content_digest(pending.content_digest);
    record.set_stream_id(request.stream_id);
    group->batch.Put(cf(kCommands), request.command_id,
                     record.SerializeAsString());
    group->commands[request.command_id] = std::move(record);
  }
  return result;
}

}  // namespace ledger::internal
