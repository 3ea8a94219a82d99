#include "ledger/store/internal/index_rebuild.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/storage.pb.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {

namespace {

// Replaces `*family` by an empty one of the same name and options.
absl::Status Recreate(rocksdb::DB* db, rocksdb::ColumnFamilyHandle** family) {
  rocksdb::ColumnFamilyDescriptor descriptor;
  RETURN_IF_ERROR(FromRocks((*family)->GetDescriptor(&descriptor),
                            "reading an index family's options"));
  RETURN_IF_ERROR(FromRocks(db->DropColumnFamily(*family),
                            absl::StrCat("dropping ", descriptor.name)));
  RETURN_IF_ERROR(FromRocks(db->DestroyColumnFamilyHandle(*family),
                            absl::StrCat("closing ", descriptor.name)));
  *family = nullptr;
  return FromRocks(
      db->CreateColumnFamily(descriptor.options, descriptor.name, family),
      absl::StrCat("creating ", descriptor.name, " afresh"));
}

}  // namespace

absl::StatusOr<uint64_t> RebuildIndexes(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
    rocksdb::ColumnFamilyHandle** streams,
    rocksdb::ColumnFamilyHandle** commands) {
  RETURN_IF_ERROR(Recreate(db, streams));
  RETURN_IF_ERROR(Recreate(db, commands));
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, events));
  rocksdb::WriteBatch batch;
  uint64_t indexed = 0;
  // The append being gathered into a command record.
  v1::CommandRecord record;
  std::string command_id;
  auto end_command = [&]() -> absl::Status {
    if (command_id.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(FromRocks(
        batch.Put(*commands, command_id, record.SerializeAsString()),
        "rebuilding a command record"));
    command_id.clear();
    return absl::OkStatus();
  };
  auto flush = [&]() -> absl::Status {
    rocksdb::WriteOptions write;
    write.disableWAL = true;  // Flushed and synced below.
    RETURN_IF_ERROR(FromRocks(db->Write(write, &batch), "rebuilding indexes"));
    batch.Clear();
    return absl::OkStatus();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Event event;
    const uint64_t position = DecodeFixed64BE(it->key().ToStringView());
    RETURN_IF_ERROR(
        RocksEventStore::DecodeRecord(position, it->value(), &event));
    RETURN_IF_ERROR(FromRocks(
        batch.Put(*streams, StreamKey(event.stream_id(), event.revision()),
                  PositionKey(position)),
        "rebuilding an index entry"));
    // An append's events are consecutive, on one stream, under one id.
    const bool same_append = !command_id.empty() &&
                             event.command_id() == command_id &&
                             event.stream_id() == record.stream_id() &&
                             position == record.position_last() + 1;
    if (same_append) {
      record.set_position_last(position);
      record.set_revision_last(event.revision());
    } else {
      RETURN_IF_ERROR(end_command());
      if (!event.command_id().empty()) {
        command_id = event.command_id();
        record.Clear();
        record.set_position_first(position);
        record.set_position_last(position);
        record.set_revision_first(event.revision());
        record.set_revision_last(event.revision());
        record.set_stream_id(event.stream_id());
      }
    }
    ++indexed;
    if (batch.Count() >= 4096) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the events to index"));
  RETURN_IF_ERROR(end_command());
  RETURN_IF_ERROR(flush());
  // Durable before anything relies on them: written without the WAL, so
  // flushed to SST files (synced) here.
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  RETURN_IF_ERROR(FromRocks(db->Flush(flush_options, {*streams, *commands}),
                            "flushing the rebuilt indexes"));
  return indexed;
}

}  // namespace ledger::internal
