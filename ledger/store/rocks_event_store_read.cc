// The read path. Every record read is decoded and checked against its key
// and its hash; ReadAll also checks each link of the chain. A record that
// fails is DATA_LOSS naming its position, never a crash.
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
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

}  // namespace

absl::StatusOr<v1::Event> RocksEventStore::DecodeRecord(
    uint64_t position, const rocksdb::Slice& value) {
  v1::Event event;
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return DataLossAt(position, absl::StrCat("record at position ", position,
                                             " cannot be decoded"));
  }
  if (event.position() != position) {
    return DataLossAt(position,
                      absl::StrCat("record stored at position ", position,
                                   " says it is position ", event.position()));
  }
  RETURN_IF_ERROR(CheckEventHash(event));
  return event;
}

absl::StatusOr<std::vector<v1::Event>> RocksEventStore::ReadAll(
    uint64_t from_position, uint32_t limit) const {
  ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(limit));
  if (from_position == 0) from_position = 1;
  std::vector<v1::Event> page;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kEvents)));

  // The chain is checked from the record before the page, itself checked.
  ChainVerifier chain;
  if (from_position > 1) {
    it->Seek(PositionKey(from_position - 1));
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
    if (!it->Valid()) return page;  // Past the end of the log.
    const uint64_t anchor_position = DecodeFixed64BE(it->key().ToStringView());
    if (anchor_position != from_position - 1) {
      if (anchor_position < from_position) return page;
      return DataLossAt(from_position - 1,
                        absl::StrCat("position ", from_position - 1,
                                     " is missing from the log"));
    }
    ASSIGN_OR_RETURN(v1::Event anchor,
                     DecodeRecord(anchor_position, it->value()));
    chain = ChainVerifier(anchor.position(), anchor.hash());
    it->Next();
  } else {
    it->SeekToFirst();
  }

  size_t bytes = 0;
  for (; it->Valid() && !PageFull(page, bytes, page_size); it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError("a key of the events family is not a "
                                 "position");
    }
    const uint64_t position = DecodeFixed64BE(it->key().ToStringView());
    ASSIGN_OR_RETURN(v1::Event event, DecodeRecord(position, it->value()));
    RETURN_IF_ERROR(chain.Add(event));
    bytes += it->value().size();
    page.push_back(std::move(event));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
  return page;
}

absl::StatusOr<std::vector<v1::Event>> RocksEventStore::ReadStream(
    const std::string& stream_id, std::optional<uint64_t> from_revision,
    ReadDirection direction, uint32_t limit) const {
  RETURN_IF_ERROR(ValidateStreamId(stream_id));
  ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(limit));

  // Index and events are read from one snapshot: an event an index entry
  // points to is always there.
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
    const rocksdb::Slice key = it->key();
    if (key.size() != prefix.size() + 8 || it->value().size() != 8) {
      return absl::DataLossError(absl::StrCat(
          "a stream index entry of ", stream_id, " is malformed"));
    }
    const uint64_t revision =
        DecodeFixed64BE(key.ToStringView().substr(prefix.size()));
    const uint64_t position = DecodeFixed64BE(it->value().ToStringView());
    rocksdb::Status s =
        db_->Get(read, cf(kEvents), PositionKey(position), &value);
    if (s.IsNotFound()) {
      return DataLossAt(position, absl::StrCat(
                                      "stream ", stream_id, " revision ",
                                      revision, " points to missing position ",
                                      position));
    }
    RETURN_IF_ERROR(FromRocks(s, "reading an event"));
    ASSIGN_OR_RETURN(v1::Event event, DecodeRecord(position, value));
    if (event.stream_id() != stream_id || event.revision() != revision) {
      return DataLossAt(position,
                        absl::StrCat("record at position ", position,
                                     " is not revision ", revision,
                                     " of stream ", stream_id));
    }
    bytes += value.size();
    page.push_back(std::move(event));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading a stream"));
  return page;
}

absl::StatusOr<StreamHead> RocksEventStore::Head(
    const std::string& stream_id) const {
  RETURN_IF_ERROR(ValidateStreamId(stream_id));
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf(kHeads), stream_id, &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("stream ", stream_id, " has no events"));
  }
  RETURN_IF_ERROR(FromRocks(s, "reading a stream head"));
  if (value.size() != 16) {
    return absl::DataLossError(
        absl::StrCat("the head record of stream ", stream_id,
                     " is malformed"));
  }
  return StreamHead{DecodeFixed64BE(value),
                    DecodeFixed64BE(std::string_view(value).substr(8))};
}

LogHead RocksEventStore::log_head() const {
  absl::MutexLock lock(&head_mu_);
  return published_head_;
}

}  // namespace ledger::internal
