#include "tests/raw_db.h"

#include "absl/strings/str_cat.h"
#include "ledger/store/chain.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/v1/event.pb.h"
#include "rocksdb/write_batch.h"

namespace ledger::testing {

absl::StatusOr<std::unique_ptr<RawDb>> RawDb::Open(const std::string& dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : internal::kColumnFamilies) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::unique_ptr<RawDb> raw(new RawDb());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families,
                                        &raw->handles_, &db);
  if (!s.ok()) return internal::FromRocks(s, "opening the raw db");
  raw->db_.reset(db);
  return raw;
}

RawDb::~RawDb() {
  for (auto* h : handles_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
}

absl::StatusOr<std::string> RawDb::GetRecord(uint64_t position) {
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[internal::kEvents],
                               internal::PositionKey(position), &value);
  if (!s.ok()) return internal::FromRocks(s, "reading a record");
  return value;
}

absl::Status RawDb::PutRecord(uint64_t position, const std::string& value) {
  rocksdb::WriteOptions write;
  write.sync = true;
  return internal::FromRocks(db_->Put(write, handles_[internal::kEvents],
                                      internal::PositionKey(position), value),
                             "writing a record");
}

absl::Status RawDb::ChangePayload(uint64_t position, bool rehash) {
  absl::StatusOr<std::string> value = GetRecord(position);
  v1::Event event;
  if (!value.ok() || !event.ParseFromString(*value) ||
      event.payload().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no record with a payload at ", position));
  }
  event.mutable_payload()->at(0) ^= 0x01;
  if (rehash) event.set_hash(ComputeEventHash(event));
  return PutRecord(position, event.SerializeAsString());
}

absl::StatusOr<std::string> RawDb::Get(int family, const std::string& key) {
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[family], key, &value);
  if (!s.ok()) return internal::FromRocks(s, "reading a key");
  return value;
}

absl::Status RawDb::Put(int family, const std::string& key,
                        const std::string& value) {
  rocksdb::WriteOptions write;
  write.sync = true;
  return internal::FromRocks(db_->Put(write, handles_[family], key, value),
                             "writing a key");
}

absl::Status RawDb::Delete(int family, const std::string& key) {
  rocksdb::WriteOptions write;
  write.sync = true;
  return internal::FromRocks(db_->Delete(write, handles_[family], key),
                             "deleting a key");
}

absl::Status RawDb::DeleteAll(int family) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[family]));
  rocksdb::WriteBatch batch;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    batch.Delete(handles_[family], it->key());
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "a scan");
  rocksdb::WriteOptions write;
  write.sync = true;
  return internal::FromRocks(db_->Write(write, &batch), "deleting keys");
}

absl::Status RawDb::FlushAll() {
  return internal::FromRocks(db_->Flush(rocksdb::FlushOptions(), handles_),
                             "flushing");
}

absl::StatusOr<size_t> RawDb::Count(int family) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[family]));
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return internal::FromRocks(it->status(), "a scan");
  return n;
}

std::vector<std::string> RawDb::TableFiles(int family) {
  rocksdb::ColumnFamilyMetaData meta;
  db_->GetColumnFamilyMetaData(handles_[family], &meta);
  std::vector<std::string> names;
  for (const auto& level : meta.levels) {
    for (const auto& file : level.files) {
      names.push_back(file.name.substr(file.name.rfind('/') + 1));
    }
  }
  return names;
}

}  // namespace ledger::testing
