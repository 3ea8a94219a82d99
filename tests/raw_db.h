// The raw RocksDB under an event store, for tests that tamper with stored
// bytes the way a disk fault or an insider would. The store must be closed
// (or open read-only) while a RawDb is open.
#ifndef LEDGER_TESTS_RAW_DB_H_
#define LEDGER_TESTS_RAW_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace ledger::testing {

class RawDb {
 public:
  static absl::StatusOr<std::unique_ptr<RawDb>> Open(const std::string& dir);
  ~RawDb();

  // The stored record at `position` in the events column family.
  absl::StatusOr<std::string> GetRecord(uint64_t position);
  absl::Status PutRecord(uint64_t position, const std::string& value);
  // Rewrites the record at `position` with the first byte of its payload
  // changed and its old hash kept, as an insider editing the database
  // would; with `rehash`, its hash recomputed over the change (so only the
  // link from the next record gives it away). FAILED_PRECONDITION when
  // there is no record with a payload there.
  absl::Status ChangePayload(uint64_t position, bool rehash = false);

  // Any key of a column family (internal::ColumnFamily); NOT_FOUND when
  // absent.
  absl::StatusOr<std::string> Get(int family, const std::string& key);
  absl::Status Put(int family, const std::string& key,
                   const std::string& value);
  absl::Status Delete(int family, const std::string& key);
  // Removes every key of the family.
  absl::Status DeleteAll(int family);
  // Writes every family's memtable to SST files, so that a stopped store
  // has each kind of file RocksDB keeps.
  absl::Status FlushAll();
  // How many keys the family holds.
  absl::StatusOr<size_t> Count(int family);
  // The names of the family's SST files ("000012.sst").
  std::vector<std::string> TableFiles(int family);

 private:
  RawDb() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_RAW_DB_H_
