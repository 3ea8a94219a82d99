// The read path. Every record read is decoded and checked against its key
// and its hash; ReadAll also checks each link of the chain. A record that
// fails is DATA_LOSS naming its position, never a crash.
#include <algorithm>
#include <future>
#include <limits>
#include <memory>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/chain.h"
#include "ledger/store/errors.h"
#include "ledger/store/internal/append_validation.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/limits.h"
#include "rocksdb/snapshot.h"

namespace ledger::internal {
namespace {

absl::StatusOr<uint32_t> PageSize(uint32_t limit) {
  if (limit == 0) return kDefaultPageSize;
  if (limit > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit is ", limit, ", the maximum page size is ", kMaxPageSize));
  }
  return limit;
}

// True once a page holds enough: `limit` events, or kMaxPageBytes after at
// least one event.
bool PageFull(const std::vector<v1::Event>& page, size_t bytes,
              uint32_t limit) {
  return page.size() >= limit || (!page.empty() && bytes >= kMaxPageBytes);
}

// A `streams` entry of `stream_id` (`it` is on it; `prefix` is the
// stream's StreamPrefix): the revision its key ends with and the position
// it holds.
struct IndexEntry {
  uint64_t revision;
  uint64_t position;
};
absl::StatusOr<IndexEntry> DecodeIndexEntry(const rocksdb::Iterator& it,
                                            const std::string& prefix,
                                            const std::string& stream_id) {
  const rocksdb::Slice key = it.key();
  if (key.size() != prefix.size() + 8 || it.value().size() != 8) {
    return absl::DataLossError(
        absl::StrCat("a stream index entry of ", stream_id, " is malformed"));
  }
  return IndexEntry{DecodeFixed64BE(key.ToStringView().substr(prefix.size())),
                    DecodeFixed64BE(it.value().ToStringView())};
}

}  // namespace

absl::Status RocksEventStore::ParseRecord(uint64_t position,
                                          const rocksdb::Slice& value,
                                          v1::Event* event) {
  if (!event->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return DataLossAt(position, absl::StrCat("record at position ", position,
                                             " cannot be decoded"));
  }
  if (event->position() != position) {
    return DataLossAt(position,
                      absl::StrCat("record stored at position ", position,
                                   " says it is position ", event->position()));
  }
  return absl::OkStatus();
}

absl::Status RocksEventStore::DecodeRecord(uint64_t position,
                                           const rocksdb::Slice& value,
                                           v1::Event* event) {
  RETURN_IF_ERROR(ParseRecord(position, value, event));
  return CheckEventHash(*event);
}

absl::Status RocksEventStore::ParseAt(const rocksdb::Iterator& it,
                                      v1::Event* event) {
  if (it.key().size() != 8) {
    return absl::DataLossError("a key of the events family is not a position");
  }
  return ParseRecord(DecodeFixed64BE(it.key().ToStringView()), it.value(),
                     event);
}

absl::Status RocksEventStore::damage() const {
  absl::MutexLock lock(&damage_mu_);
  return damage_;
}

std::string RocksEventStore::index_rebuilt_after() const {
  absl::ReaderMutexLock lock(&index_mu_);
  return index_rebuilt_after_;
}

void RocksEventStore::NoteIndexesRebuilt(std::string why) {
  absl::WriterMutexLock lock(&index_mu_);
  index_rebuilt_after_ = std::move(why);
}

void RocksEventStore::MarkBroken(uint64_t position,
                                 const absl::Status& found) const {
  // A record that fails its own checks is the changed one; at a broken link
  // either the event before it (its content, its hash recomputed) or this
  // one (its previous_hash) was changed. The chain from a sound end back to
  // the event after them vouches for the rest.
  std::vector<uint64_t> unsound = {position};
  std::string value;
  v1::Event event;
  if (position > 1 &&
      db_->Get(rocksdb::ReadOptions(), cf(kEvents), PositionKey(position),
               &value)
          .ok() &&
      DecodeRecord(position, value, &event).ok()) {
    unsound.push_back(position - 1);
  }
  absl::MutexLock lock(&damage_mu_);
  if (damage_.ok()) {
    damage_ = DataLossAt(position,
                         absl::StrCat("the log is damaged: ", found.message()));
  }
  for (uint64_t p : unsound) {
    if (!absl::c_linear_search(unsound_, p)) unsound_.push_back(p);
  }
  damaged_.store(true);
}

absl::Status RocksEventStore::CheckSound(uint64_t position) const {
  if (!damaged_.load(std::memory_order_relaxed)) return absl::OkStatus();
  absl::MutexLock lock(&damage_mu_);
  if (!absl::c_linear_search(unsound_, position)) return absl::OkStatus();
  return DataLossAt(position, absl::StrCat("position ", position,
                                           " is damaged: ", damage_.message()));
}

absl::Status RocksEventStore::ScanAll(
    uint64_t from_position, uint64_t limit,
    const std::function<bool(const v1::Event&)>& visit) const {
  if (db_closed_.load()) {
    return absl::FailedPreconditionError("the store is closed");
  }
  uint64_t visited = 0;
  uint64_t last = 0;
  bool stopped = false;
  absl::Status scanned =
      ScanLog(from_position, limit, [&](const v1::Event& event) {
        ++visited;
        last = event.position();
        stopped = !visit(event);
        return !stopped;
      });
  if (absl::IsDataLoss(scanned)) {
    // RocksDB's own checks (a block's checksum) name no position: the one
    // after the last good event.
    std::optional<uint64_t> at = BrokenPosition(scanned);
    if (!at.has_value()) {
      at = visited > 0 ? last + 1 : std::max<uint64_t>(from_position, 1);
      scanned = DataLossAt(*at, scanned.message());
    }
    MarkBroken(*at, scanned);
    return scanned;
  }
  if (scanned.ok() && !stopped && damaged_.load(std::memory_order_relaxed)) {
    // A scan to the end of a log that ends short of what was acknowledged
    // ends with that.
    const uint64_t end = log_head().position_last;
    absl::Status damage = this->damage();
    if (BrokenPosition(damage).value_or(0) > end &&
        (visited > 0 ? last == end : from_position > end)) {
      return damage;
    }
  }
  return scanned;
}

absl::Status RocksEventStore::ScanLog(
    uint64_t from_position, uint64_t limit,
    const std::function<bool(const v1::Event&)>& visit) const {
  if (from_position == 0) from_position = 1;
  rocksdb::ReadOptions read;
  if (limit >= kPipelinedScanMinEvents) {
    // A long scan reads the log sequentially once: read ahead, and keep
    // its blocks out of the cache that point lookups use.
    read.readahead_size = 2 << 20;
    read.fill_cache = false;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf(kEvents)));

  // The chain is checked from the record before the first one, itself
  // checked.
  ChainVerifier chain;
  if (from_position > 1) {
    it->Seek(PositionKey(from_position - 1));
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
    if (!it->Valid()) return absl::OkStatus();  // Past the end of the log.
    const uint64_t anchor = DecodeFixed64BE(it->key().ToStringView());
    if (anchor != from_position - 1) {
      if (anchor < from_position) return absl::OkStatus();
      return DataLossAt(from_position - 1,
                        absl::StrCat("position ", from_position - 1,
                                     " is missing from the log"));
    }
    v1::Event event;
    RETURN_IF_ERROR(DecodeRecord(anchor, it->value(), &event));
    chain = ChainVerifier(event.position(), event.hash());
    it->Next();
  } else {
    it->SeekToFirst();
  }
  RETURN_IF_ERROR(limit >= kPipelinedScanMinEvents
                      ? ScanPipelined(*it, chain, limit, visit)
                      : ScanSequential(*it, chain, limit, visit));
  return FromRocks(it->status(), "reading the log");
}

absl::Status RocksEventStore::ScanSequential(
    rocksdb::Iterator& it, ChainVerifier& chain, uint64_t limit,
    const std::function<bool(const v1::Event&)>& visit) {
  v1::Event event;
  for (uint64_t n = 0; n < limit && it.Valid(); ++n, it.Next()) {
    RETURN_IF_ERROR(ParseAt(it, &event));
    RETURN_IF_ERROR(chain.Add(event));
    if (!visit(event)) break;
  }
  return absl::OkStatus();
}

// Events read but not yet checked against their hashes, and the error (if
// any) that stopped the reading after them.
struct ScanBatch {
  std::vector<v1::Event> events = std::vector<v1::Event>(kScanBatchEvents);
  size_t size = 0;
  absl::Status error_after;
};

namespace {

// Index and error of the first event in `batch` whose hash is wrong.
std::pair<size_t, absl::Status> FirstBadHash(const ScanBatch& batch) {
  for (size_t i = 0; i < batch.size; ++i) {
    absl::Status s = CheckEventHash(batch.events[i]);
    if (!s.ok()) return {i, std::move(s)};
  }
  return {batch.size, absl::OkStatus()};
}

}  // namespace

void RocksEventStore::FillBatch(rocksdb::Iterator& it, uint64_t* remaining,
                                ScanBatch* batch) {
  batch->size = 0;
  batch->error_after = absl::OkStatus();
  while (batch->size < batch->events.size() && *remaining > 0 && it.Valid()) {
    batch->error_after = ParseAt(it, &batch->events[batch->size]);
    if (!batch->error_after.ok()) return;
    ++batch->size;
    --*remaining;
    it.Next();
  }
}

// Hash checks, the most expensive part of a replay, run on a helper thread
// one batch behind the reader: while batch k is hashed there, this thread
// reads and parses batch k+1. Events are visited in order, only after their
// hash and link are checked, and the first error in log order is returned.
absl::Status RocksEventStore::ScanPipelined(
    rocksdb::Iterator& it, ChainVerifier& chain, uint64_t limit,
    const std::function<bool(const v1::Event&)>& visit) {
  ScanBatch batches[2];
  uint64_t remaining = limit;
  FillBatch(it, &remaining, &batches[0]);
  int cur = 0;
  for (; batches[cur].size > 0; cur = 1 - cur) {
    ScanBatch& batch = batches[cur];
    auto hashed = std::async(std::launch::async, [&batch] {
      NameThisThread("ledger-hash");
      return FirstBadHash(batch);
    });
    batches[1 - cur].size = 0;
    if (batch.error_after.ok()) FillBatch(it, &remaining, &batches[1 - cur]);
    const auto [bad_index, bad_hash] = hashed.get();
    for (size_t i = 0; i < batch.size; ++i) {
      if (i == bad_index) return bad_hash;
      RETURN_IF_ERROR(chain.Link(batch.events[i]));
      if (!visit(batch.events[i])) return absl::OkStatus();
    }
    RETURN_IF_ERROR(batch.error_after);
  }
  // The batch that ended the scan holds no events; its error, if any, is
  // the first broken record after everything visited.
  return batches[cur].error_after;
}

absl::StatusOr<std::vector<v1::Event>> RocksEventStore::ReadAll(
    uint64_t from_position, uint32_t limit) const {
  ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(limit));
  std::vector<v1::Event> page;
  size_t bytes = 0;
  RETURN_IF_ERROR(
      ScanAll(from_position, page_size, [&](const v1::Event& event) {
        bytes += event.ByteSizeLong();
        page.push_back(event);
        return !PageFull(page, bytes, page_size);
      }));
  return page;
}

absl::StatusOr<std::vector<v1::Event>> RocksEventStore::ReadStream(
    const std::string& stream_id, std::optional<uint64_t> from_revision,
    ReadDirection direction, uint32_t limit) const {
  RETURN_IF_ERROR(ValidateStreamId(stream_id));
  ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(limit));
  auto page = ReadStreamOnce(stream_id, from_revision, direction, page_size);
  if (!page.ok() && AwaitIndexRebuild(page.status())) {
    return ReadStreamOnce(stream_id, from_revision, direction, page_size);
  }
  return page;
}

absl::StatusOr<std::vector<v1::Event>> RocksEventStore::ReadStreamOnce(
    const std::string& stream_id, std::optional<uint64_t> from_revision,
    ReadDirection direction, uint32_t page_size) const {
  // Index and events are read from one snapshot: an event an index entry
  // points to is always there.
  absl::ReaderMutexLock index_lock(&index_mu_);
  RETURN_IF_ERROR(index_unusable_);
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  const std::string prefix = StreamPrefix(stream_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf(kStreams)));
  const bool forward = direction == ReadDirection::kForward;
  if (forward) {
    it->Seek(StreamKey(stream_id, from_revision.value_or(0)));
  } else {
    it->SeekForPrev(StreamKey(
        stream_id,
        from_revision.value_or(std::numeric_limits<uint64_t>::max())));
  }

  std::vector<v1::Event> page;
  size_t bytes = 0;
  std::string value;
  for (; it->Valid() && it->key().starts_with(prefix) &&
         !PageFull(page, bytes, page_size);
       forward ? it->Next() : it->Prev()) {
    ASSIGN_OR_RETURN(const IndexEntry entry,
                     DecodeIndexEntry(*it, prefix, stream_id));
    const uint64_t revision = entry.revision;
    const uint64_t position = entry.position;
    RETURN_IF_ERROR(CheckSound(position));
    rocksdb::Status s =
        db_->Get(read, cf(kEvents), PositionKey(position), &value);
    if (s.IsNotFound()) {
      return DataLossAt(
          position, absl::StrCat("stream ", stream_id, " revision ", revision,
                                 " points to missing position ", position));
    }
    RETURN_IF_ERROR(FromRocks(s, "reading an event"));
    v1::Event event;
    RETURN_IF_ERROR(DecodeRecord(position, value, &event));
    if (event.stream_id() != stream_id || event.revision() != revision) {
      return DataLossAt(position, absl::StrCat("record at position ", position,
                                               " is not revision ", revision,
                                               " of stream ", stream_id));
    }
    bytes += value.size();
    page.push_back(std::move(event));
  }
  if (it->status().IsCorruption()) {
    return IndexDamaged(it->status(), "reading a stream");
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading a stream"));
  return page;
}

absl::StatusOr<StreamHead> RocksEventStore::Head(
    const std::string& stream_id) const {
  RETURN_IF_ERROR(ValidateStreamId(stream_id));
  ASSIGN_OR_RETURN(std::optional<StreamHead> head, ReadHead(stream_id));
  if (!head.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("stream ", stream_id, " has no events"));
  }
  return *head;
}

absl::StatusOr<std::optional<StreamHead>> RocksEventStore::ReadHead(
    const std::string& stream_id) const {
  if (!head_filter_.MayContain(stream_id)) return std::nullopt;
  auto head = ReadHeadOnce(stream_id);
  if (!head.ok() && AwaitIndexRebuild(head.status())) {
    return ReadHeadOnce(stream_id);
  }
  return head;
}

absl::StatusOr<std::optional<StreamHead>> RocksEventStore::ReadHeadOnce(
    const std::string& stream_id) const {
  // The stream's last `streams` entry: its key ends with the last revision,
  // its value is that event's position.
  const std::string prefix = StreamPrefix(stream_id);
  const rocksdb::Slice lower(prefix);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower;
  absl::ReaderMutexLock index_lock(&index_mu_);
  RETURN_IF_ERROR(index_unusable_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf(kStreams)));
  it->SeekForPrev(StreamKey(stream_id, std::numeric_limits<uint64_t>::max()));
  if (!it->Valid()) {
    if (it->status().IsCorruption()) {
      return IndexDamaged(it->status(), "reading a stream head");
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading a stream head"));
    return std::nullopt;
  }
  if (!it->key().starts_with(prefix)) return std::nullopt;
  ASSIGN_OR_RETURN(const IndexEntry last,
                   DecodeIndexEntry(*it, prefix, stream_id));
  return StreamHead{last.revision, last.position};
}

LogHead RocksEventStore::log_head() const {
  absl::MutexLock lock(&head_mu_);
  return published_head_;
}

std::vector<DbProperty> RocksEventStore::db_properties() const {
  std::vector<DbProperty> out;
  AppendDbProperties(db_.get(), "log", &out);
  views_.AppendProperties("views", &out);
  app_state_.AppendProperties("app_state", &out);
  return out;
}

WriterStats RocksEventStore::writer_stats() const {
  absl::MutexLock lock(&head_mu_);
  return stats_;
}

}  // namespace ledger::internal
