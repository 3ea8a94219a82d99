#ifndef LEDGER_STORE_INTERNAL_ROCKS_STATUS_H_
#define LEDGER_STORE_INTERNAL_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace ledger::internal {

// Converts a RocksDB status to the most specific absl code, prefixed with
// what the store was doing.
inline absl::Status FromRocks(const rocksdb::Status& s,
                              absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIOError:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ROCKS_STATUS_H_
