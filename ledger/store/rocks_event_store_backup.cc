// RocksEventStore::Backup: a consistent copy of a store that keeps serving
// (event_store.h; ledger/FORMAT.md, "Backups").
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/internal/anchor.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/verify.h"
#include "rocksdb/utilities/checkpoint.h"

namespace ledger::internal {
namespace {

namespace fs = std::filesystem;

absl::Status FileError(const std::error_code& error, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", error.message()));
}

// Opens the copy in `dir` read-only.
absl::StatusOr<std::unique_ptr<EventStore>> OpenCopy(const std::string& dir) {
  EventStoreOptions options;
  options.read_only = true;
  return EventStore::Open(dir, options);
}

}  // namespace

absl::StatusOr<BackupReport> RocksEventStore::Backup(const std::string& dir) {
  std::error_code error;
  if (dir.empty())
    return absl::InvalidArgumentError("a backup needs a directory");
  if (fs::exists(dir, error)) {
    return absl::AlreadyExistsError(absl::StrCat(
        dir, " exists: a backup goes into a directory of its own"));
  }
  // Where the copy is made, renamed to `dir` once it verifies; what a
  // backup cut short left there before is dropped.
  const std::string partial = dir + ".partial";
  const std::string derived = dir + ".derived.partial";
  for (const std::string& stale : {partial, derived}) {
    fs::remove_all(stale, error);
    if (error) return FileError(error, absl::StrCat("removing ", stale));
  }
  fs::create_directories(derived, error);
  if (error) return FileError(error, absl::StrCat("making ", derived));

  // The derived data first, so that it is never ahead of the log copied
  // after it (a store opened on the copy catches it up from its
  // checkpoints). RocksDB wants each checkpoint's directory new.
  RETURN_IF_ERROR(views_.CheckpointTo(derived + "/views"));
  RETURN_IF_ERROR(app_state_.CheckpointTo(derived + "/app-state"));
  {
    rocksdb::Checkpoint* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw),
                              "a checkpoint of the log"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    RETURN_IF_ERROR(FromRocks(
        checkpoint->CreateCheckpoint(partial, /*log_size_for_flush=*/0),
        absl::StrCat("copying the log to ", partial)));
  }

  // The copy's anchor: the end of what it holds. (The live anchor names a
  // later end by now; the copy would open as a log missing events.)
  LogHead head;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<EventStore> copy, OpenCopy(partial));
    head = copy->log_head();
    RETURN_IF_ERROR(copy->Close());
  }
  {
    ASSIGN_OR_RETURN(std::unique_ptr<AnchorFile> anchor,
                     AnchorFile::Open(partial, /*read_only=*/false));
    RETURN_IF_ERROR(anchor->Write(Anchor{head.position_last, head.hash_last}));
    RETURN_IF_ERROR(anchor->Close());
  }
  for (const char* part : {"views", "app-state"}) {
    const fs::path from = fs::path(derived) / part;
    if (!fs::exists(from, error)) continue;
    fs::rename(from, fs::path(partial) / part, error);
    if (error) return FileError(error, absl::StrCat("moving ", from.string()));
  }
  fs::remove_all(derived, error);

  // Checked whole, as an auditor would, before it is called a backup.
  BackupReport report;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<EventStore> copy, OpenCopy(partial));
    RETURN_IF_ERROR(copy->damage());
    const VerifyReport verified = VerifyStore(*copy);
    RETURN_IF_ERROR(copy->Close());
    if (!verified.status.ok()) {
      return absl::DataLossError(
          absl::StrCat("the copy in ", partial,
                       " does not verify: ", verified.status.message()));
    }
    if (verified.position_last != head.position_last) {
      return absl::DataLossError(absl::StrCat(
          "the copy in ", partial, " verifies to position ",
          verified.position_last, ", not to its end ", head.position_last));
    }
    report.head = head;
    report.events_verified = verified.events_verified;
  }
  fs::rename(partial, dir, error);
  if (error) return FileError(error, absl::StrCat("renaming ", partial));
  return report;
}

}  // namespace ledger::internal

namespace ledger {

absl::StatusOr<LogHead> RestoreBackup(const std::string& backup,
                                      const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  for (const char* file : {"CURRENT", internal::kAnchorFileName}) {
    if (!fs::exists(fs::path(backup) / file, error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          backup, " is not a backup of a ledger (it has no ", file, ")"));
    }
  }
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error) || !fs::is_empty(dir, error)) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir, " is not empty: a backup is restored into a new directory"));
    }
    fs::remove(dir, error);
  }
  const std::string restoring = dir + ".restoring";
  fs::remove_all(restoring, error);
  fs::copy(backup, restoring, fs::copy_options::recursive, error);
  if (error) {
    return absl::InternalError(absl::StrCat("copying ", backup, " to ",
                                            restoring, ": ", error.message()));
  }
  LogHead head;
  {
    EventStoreOptions options;
    options.read_only = true;
    ASSIGN_OR_RETURN(std::unique_ptr<EventStore> copy,
                     EventStore::Open(restoring, options));
    RETURN_IF_ERROR(copy->damage());
    head = copy->log_head();
    RETURN_IF_ERROR(copy->Close());
  }
  // On disk before it takes the ledger's name.
  ::sync();
  fs::rename(restoring, dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("renaming ", restoring, " to ", dir,
                                            ": ", error.message()));
  }
  return head;
}

}  // namespace ledger
