// The Merkle tree over the log and its signed checkpoints (format 3): built
// and checked at open, kept by the writer in the same batch as the events
// it covers, read for proofs. ledger/FORMAT.md, "The Merkle tree";
// docs/design/merkle-audit.md.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/chain.h"
#include "ledger/store/errors.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/merkle_tree.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {
namespace {

// Events per synced batch while a tree is built from the log.
constexpr uint64_t kBuildBatchEvents = 65536;

absl::Status NoTree() {
  return absl::FailedPreconditionError(
      "this store has no Merkle tree yet (a format-2 store): open it "
      "read-write once, which builds it");
}

// How far a build of the tree has come: 0 when none is under way.
absl::StatusOr<uint64_t> TreeBuiltTo(rocksdb::DB* db) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kTreeBuiltToKey, &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "reading how far the Merkle tree is built"));
  if (value.size() != 8) {
    return absl::DataLossError(absl::StrCat(kTreeBuiltToKey, " is not a size"));
  }
  return DecodeFixed64BE(value);
}

// Builds the tree of the first `size` events from the events, from where
// an interrupted build stopped, and writes format 3 when done.
absl::Status BuildTree(rocksdb::DB* db,
                       const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                       uint64_t size) {
  ASSIGN_OR_RETURN(uint64_t from, TreeBuiltTo(db));
  rocksdb::WriteOptions write;
  write.sync = true;
  if (from == 0) {
    // Whatever an earlier tree left goes first (strips of other lengths).
    rocksdb::WriteBatch drop;
    RETURN_IF_ERROR(FromRocks(drop.DeleteRange(cfs[kMerkle], "", "\xff"),
                              "dropping the Merkle tree"));
    RETURN_IF_ERROR(
        FromRocks(db->Write(write, &drop), "dropping the Merkle tree"));
  }
  StoredNodes nodes(db, cfs[kMerkle], cfs[kEvents]);
  merkle::CompactRange range;
  if (from > 0) {
    ASSIGN_OR_RETURN(range, merkle::CompactRange::Read(nodes, from));
  }
  TreeAppender tree(std::move(range));
  LogInfo(absl::StrFormat(
      "EventStore: building the Merkle tree over the log (events %d to %d)",
      from + 1, size));
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), cfs[kEvents]));
  v1::Event event;
  rocksdb::WriteBatch batch;
  uint64_t position = from;
  for (it->Seek(PositionKey(from + 1)); position < size; it->Next()) {
    if (!it->Valid()) {
      RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
      return DataLossAt(position + 1,
                        absl::StrCat("event ", position + 1,
                                     " is missing while the tree is built"));
    }
    ++position;
    if (it->key() != PositionKey(position)) {
      return DataLossAt(position, absl::StrCat("event ", position,
                                               " is missing from the log"));
    }
    RETURN_IF_ERROR(
        RocksEventStore::DecodeRecord(position, it->value(), &event));
    tree.Append(merkle::LeafHash(event.hash()));
    if (position % kBuildBatchEvents == 0 && position < size) {
      tree.Stage(cfs[kMerkle], &batch);
      batch.Put(kTreeBuiltToKey, PositionKey(position));
      RETURN_IF_ERROR(
          FromRocks(db->Write(write, &batch), "writing the Merkle tree"));
      batch.Clear();
    }
  }
  tree.Stage(cfs[kMerkle], &batch);
  batch.Delete(kTreeBuiltToKey);
  batch.Put(kFormatKey, kFormatVersion);
  RETURN_IF_ERROR(
      FromRocks(db->Write(write, &batch), "writing the Merkle tree"));
  LogInfo(
      absl::StrFormat("EventStore: built the Merkle tree of %d events", size));
  return absl::OkStatus();
}

// The tree's right edge at the log's end, checked against it: the last
// stored node of the lowest stored level is the one its events make, and
// no node past the log is stored. DATA_LOSS saying what does not match;
// `longer` set when the tree goes past the log.
absl::StatusOr<merkle::CompactRange> RecoverRange(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    const LogHead& head, bool* longer) {
  StoredNodes nodes(db, cfs[kMerkle], cfs[kEvents]);
  const uint64_t n = head.position_last;
  constexpr unsigned kLevel = kFirstStoredLevel;
  ASSIGN_OR_RETURN(bool past, nodes.Has(kLevel, n >> kLevel));
  if (past) {
    *longer = true;
    return DataLossAt(
        n + 1, absl::StrCat("the log ends at position ", n,
                            ", but its Merkle tree covers events past it: "
                            "events are missing from the end of the log"));
  }
  ASSIGN_OR_RETURN(merkle::CompactRange range,
                   merkle::CompactRange::Read(nodes, n));
  if ((n >> kLevel) > 0) {
    const uint64_t last = (n >> kLevel) - 1;
    ASSIGN_OR_RETURN(merkle::Hash stored, nodes.Node(kLevel, last));
    ASSIGN_OR_RETURN(merkle::Hash made, nodes.FromEvents(kLevel, last));
    if (stored != made) {
      return absl::DataLossError(absl::StrCat(
          "the Merkle tree's node over events ", (last << kLevel) + 1, " to ",
          (last + 1) << kLevel, " is not the one those events make"));
    }
  }
  return range;
}

// The stored note of the checkpoint of `size` events, opened under the
// store's key: DATA_LOSS unless it verifies and is of that size and log.
absl::StatusOr<SignedCheckpoint> OpenStoredCheckpoint(const NoteVerifier& key,
                                                      uint64_t size,
                                                      std::string note) {
  absl::StatusOr<std::string> text = key.Open(note);
  absl::StatusOr<Checkpoint> checkpoint =
      text.ok() ? ParseCheckpointText(*text)
                : absl::StatusOr<Checkpoint>(text.status());
  if (!checkpoint.ok() || checkpoint->size != size ||
      checkpoint->origin != key.name()) {
    return absl::DataLossError(absl::StrCat(
        "the checkpoint of size ", size, " is not one the log signed: ",
        checkpoint.ok() ? "its text says another size or origin"
                        : checkpoint.status().message()));
  }
  return SignedCheckpoint{size, checkpoint->root, std::move(note)};
}

absl::StatusOr<std::optional<SignedCheckpoint>> LatestStored(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* checkpoints,
    const std::optional<NoteVerifier>& verifier) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), checkpoints));
  it->SeekToLast();
  if (!it->Valid()) {
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the checkpoints"));
    return std::nullopt;
  }
  if (it->key().size() != 8) {
    return absl::DataLossError("a key of the checkpoints is not a size");
  }
  const uint64_t size = DecodeFixed64BE(it->key().ToStringView());
  if (!verifier.has_value()) {
    return absl::DataLossError(absl::StrCat(
        "the store holds checkpoints but not the key they were signed with (",
        kCheckpointKeyKey, ")"));
  }
  return OpenStoredCheckpoint(*verifier, size, it->value().ToString());
}

}  // namespace

absl::StatusOr<TreeAtOpen> OpenTree(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    const std::string& format, const LogHead& head,
    const EventStoreOptions& options, bool read_only, bool accepting,
    absl::Status* damage) {
  TreeAtOpen tree;
  if (cfs[kMerkle] == nullptr) return tree;  // Format 2, read-only.
  std::string key;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kCheckpointKeyKey, &key);
  if (!s.IsNotFound())
    RETURN_IF_ERROR(FromRocks(s, "reading the checkpoint key"));
  if (options.checkpoint_signer != nullptr) {
    const std::string ours = options.checkpoint_signer->verifier().Text();
    if (!key.empty() && key != ours) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the store's checkpoints are signed with key ", key,
          "; the signing key given is ", ours,
          "'s: give the store's own key (a log signs with one key)"));
    }
    if (key.empty() && !read_only) {
      rocksdb::WriteOptions write;
      write.sync = true;
      RETURN_IF_ERROR(FromRocks(db->Put(write, kCheckpointKeyKey, ours),
                                "recording the checkpoint key"));
      key = ours;
    }
  }
  std::optional<NoteVerifier> verifier;
  if (!key.empty()) {
    ASSIGN_OR_RETURN(verifier, NoteVerifier::Parse(key));
  }
  tree.key = key;

  if (read_only) {
    tree.ready = format == kFormatVersion;
  } else {
    if (format != kFormatVersion) {
      absl::Status built = BuildTree(db, cfs, head.position_last);
      if (!built.ok()) {
        if (damage->ok()) *damage = built;
        return tree;
      }
    }
    bool longer = false;
    absl::StatusOr<merkle::CompactRange> range =
        RecoverRange(db, cfs, head, &longer);
    if (!range.ok() && (!longer || accepting)) {
      // Derived data: made again from the events; the checkpoints below
      // decide whether those are the ones signed.
      LogInfo(
          absl::StrFormat("EventStore: the Merkle tree does not match the log "
                          "(%s); rebuilding it from the events",
                          std::string(range.status().message())));
      rocksdb::WriteBatch drop;
      drop.Delete(kTreeBuiltToKey);
      drop.Put(kFormatKey, kFormatVersionWithoutTree);
      rocksdb::WriteOptions write;
      write.sync = true;
      RETURN_IF_ERROR(
          FromRocks(db->Write(write, &drop), "dropping the Merkle tree"));
      absl::Status built = BuildTree(db, cfs, head.position_last);
      if (!built.ok()) {
        if (damage->ok()) *damage = built;
        return tree;
      }
      range = RecoverRange(db, cfs, head, &longer);
    }
    if (!range.ok()) {
      if (damage->ok()) *damage = range.status();
      return tree;
    }
    tree.range = *std::move(range);
    tree.ready = true;
  }
  if (!tree.ready) return tree;

  absl::StatusOr<std::optional<SignedCheckpoint>> latest =
      LatestStored(db, cfs[kCheckpoints], verifier);
  if (!latest.ok()) {
    if (damage->ok()) *damage = latest.status();
    return tree;
  }
  tree.latest = *std::move(latest);
  if (!tree.latest.has_value()) return tree;
  const SignedCheckpoint& signed_cp = *tree.latest;
  if (signed_cp.size > head.position_last) {
    if (accepting) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the log was signed up to position ", signed_cp.size,
          " (its latest checkpoint): continuing it from position ",
          head.position_last,
          " would sign a different history under the same key; restore the "
          "store from a backup instead"));
    }
    if (damage->ok()) {
      *damage = DataLossAt(
          head.position_last + 1,
          absl::StrCat("the log ends at position ", head.position_last,
                       ", but its checkpoint of ", signed_cp.size,
                       " events was signed: events ", head.position_last + 1,
                       " to ", signed_cp.size, " are missing"));
    }
    return tree;
  }
  StoredNodes nodes(db, cfs[kMerkle], cfs[kEvents]);
  absl::StatusOr<merkle::Hash> root = merkle::RootAt(nodes, signed_cp.size);
  if (!root.ok() || *root != signed_cp.root) {
    if (damage->ok()) {
      *damage = absl::DataLossError(absl::StrCat(
          "the log is not the one its checkpoint of ", signed_cp.size,
          " events signed (root ", merkle::Hex(signed_cp.root), "): ",
          root.ok() ? absl::StrCat("its first ", signed_cp.size,
                                   " events have root ", merkle::Hex(*root))
                    : std::string(root.status().message())));
    }
  }
  return tree;
}

void RocksEventStore::StageTreeNodes(const std::vector<v1::Event>& events,
                                     merkle::CompactRange* range,
                                     rocksdb::WriteBatch* batch) {
  TreeAppender tree(tree_);
  for (const v1::Event& event : events) {
    tree.Append(merkle::LeafHash(event.hash()));
  }
  tree.Stage(cf(kMerkle), batch);
  *range = tree.range();
}

absl::StatusOr<std::optional<SignedCheckpoint>>
RocksEventStore::StageReplicatedCheckpoint(const v1::GroupRecord& record,
                                           const merkle::CompactRange& tree,
                                           rocksdb::WriteBatch* batch) {
  if (record.checkpoint_note().empty()) return std::nullopt;
  if (!tree_verifier_.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "it carries a checkpoint of ", record.checkpoint_size(),
        " events and this store has no checkpoint key to check it with: give "
        "every node of the log its signing key"));
  }
  if (record.checkpoint_size() != tree.size()) {
    return absl::DataLossError(
        absl::StrCat("it carries a checkpoint of ", record.checkpoint_size(),
                     " events in a group ending at position ", tree.size()));
  }
  ASSIGN_OR_RETURN(SignedCheckpoint checkpoint,
                   OpenStoredCheckpoint(*tree_verifier_, tree.size(),
                                        record.checkpoint_note()));
  if (checkpoint.root != tree.Root()) {
    return absl::DataLossError(
        absl::StrCat("its checkpoint of ", tree.size(), " events signs root ",
                     merkle::Hex(checkpoint.root), ", not this log's ",
                     merkle::Hex(tree.Root())));
  }
  batch->Put(cf(kCheckpoints), CheckpointKey(tree.size()), checkpoint.note);
  return checkpoint;
}

std::optional<SignedCheckpoint> RocksEventStore::StageTree(
    const std::vector<v1::Event>& events, bool force,
    merkle::CompactRange* range, rocksdb::WriteBatch* batch) {
  StageTreeNodes(events, range, batch);
  const NoteSigner* signer = options_.checkpoint_signer.get();
  const uint64_t size = range->size();
  if (signer == nullptr || size == checkpoint_size_ ||
      damaged_.load(std::memory_order_relaxed)) {
    return std::nullopt;
  }
  const uint64_t every = options_.checkpoint_every_events;
  const bool due =
      force || (every > 0 && size - checkpoint_size_ >= every) ||
      (options_.checkpoint_every > absl::ZeroDuration() &&
       options_.clock->Now() - checkpoint_time_ >= options_.checkpoint_every);
  if (!due) return std::nullopt;
  SignedCheckpoint made{size, range->Root(), ""};
  absl::StatusOr<std::string> note =
      signer->Sign(CheckpointText(Checkpoint{signer->name(), size, made.root}));
  if (!note.ok()) {
    LogWarn(absl::StrFormat("EventStore: signing a checkpoint failed: %s",
                            note.status().ToString()));
    return std::nullopt;
  }
  made.note = *std::move(note);
  batch->Put(cf(kCheckpoints), CheckpointKey(size), made.note);
  return made;
}

bool RocksEventStore::MaySign() const {
  // Never over a damaged log: a checkpoint vouches for every event it
  // covers.
  // In a replicated log, only the node whose group is the log's last
  // (signs_): a follower's checkpoint would be a group of the log of
  // record, which takes it from any node that is caught up.
  return options_.checkpoint_signer != nullptr && tree_ready_ &&
         tree_.size() != checkpoint_size_ && write_error_.ok() && signs_ &&
         !damaged_.load(std::memory_order_relaxed);
}

absl::Time RocksEventStore::CheckpointDeadline() const {
  if (!MaySign() || options_.checkpoint_every <= absl::ZeroDuration()) {
    return absl::InfiniteFuture();
  }
  const absl::Duration left =
      options_.checkpoint_every - (options_.clock->Now() - checkpoint_time_);
  return absl::Now() + std::max(left, absl::Milliseconds(1));
}

absl::Status RocksEventStore::CheckTreeSize(uint64_t size) const {
  if (!tree_ready_) return NoTree();
  const uint64_t end = log_head().position_last;
  if (size > end) {
    return absl::OutOfRangeError(
        absl::StrCat("the log holds ", end, " events, not ", size));
  }
  return absl::OkStatus();
}

absl::StatusOr<SignedCheckpoint> RocksEventStore::LatestCheckpoint() const {
  if (!tree_ready_) return NoTree();
  absl::MutexLock lock(&head_mu_);
  if (!latest_checkpoint_.has_value()) {
    return absl::NotFoundError(
        options_.checkpoint_signer == nullptr && tree_key_.empty()
            ? "the log signs no checkpoints: it has no signing key"
            : "the log has signed no checkpoint yet");
  }
  return *latest_checkpoint_;
}

absl::StatusOr<SignedCheckpoint> RocksEventStore::CheckpointAt(
    uint64_t size) const {
  if (!tree_ready_) return NoTree();
  if (size <= log_head().position_last) {
    std::string note;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(kCheckpoints),
                                 CheckpointKey(size), &note);
    if (!s.IsNotFound()) {
      RETURN_IF_ERROR(FromRocks(s, "reading a checkpoint"));
      if (!tree_verifier_.has_value()) {
        return absl::DataLossError("the store's checkpoint key is missing");
      }
      return OpenStoredCheckpoint(*tree_verifier_, size, std::move(note));
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no checkpoint of ", size, " events was signed"));
}

absl::StatusOr<merkle::Hash> RocksEventStore::TreeRoot(uint64_t size) const {
  RETURN_IF_ERROR(CheckTreeSize(size));
  return merkle::RootAt(StoredNodes(db_.get(), cf(kMerkle), cf(kEvents)), size);
}

absl::StatusOr<std::vector<merkle::Hash>> RocksEventStore::TreeEdge(
    uint64_t size) const {
  RETURN_IF_ERROR(CheckTreeSize(size));
  ASSIGN_OR_RETURN(merkle::CompactRange range,
                   merkle::CompactRange::Read(
                       StoredNodes(db_.get(), cf(kMerkle), cf(kEvents)), size));
  return range.hashes();
}

absl::StatusOr<std::vector<merkle::Hash>> RocksEventStore::InclusionProof(
    uint64_t position, uint64_t tree_size) const {
  if (position == 0 || position > tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("position ", position, " is not in a tree of ", tree_size,
                     " events (positions 1 to ", tree_size, ")"));
  }
  RETURN_IF_ERROR(CheckTreeSize(tree_size));
  return merkle::InclusionProof(
      StoredNodes(db_.get(), cf(kMerkle), cf(kEvents)), position - 1,
      tree_size);
}

absl::StatusOr<std::vector<merkle::Hash>> RocksEventStore::ConsistencyProof(
    uint64_t from_size, uint64_t to_size) const {
  if (from_size == 0 || from_size > to_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", from_size, " events to ",
                     to_size, ": it needs 0 < from size <= to size"));
  }
  RETURN_IF_ERROR(CheckTreeSize(to_size));
  return merkle::ConsistencyProof(
      StoredNodes(db_.get(), cf(kMerkle), cf(kEvents)), from_size, to_size);
}

}  // namespace ledger::internal
