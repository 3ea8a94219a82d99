// CrashFileSystem: a RocksDB FileSystem over the real one that can lose
// power. It remembers, for every file written since the last power-on, how
// much of it was synced; PowerOff makes every later write, sync, create,
// rename and delete fail (the machine is off, whatever RocksDB's threads
// were doing), and PowerOn then cuts each file back to what was synced
// plus a random prefix of what was not (a torn write), as a machine that
// lost power keeps. It also fails the next write-ahead-log sync or append
// on request (a disk going bad, a full disk).
//
// Syncs are recorded, not performed: the operating system keeps the data
// anyway (this is a simulated power loss, not a real one), and a step of
// the simulation then costs microseconds rather than an fsync.
//
// What it does not model: directory entries (a created, renamed or deleted
// file is durable at once), and reordering of unsynced writes within a
// file (the kept part is always a prefix).
#ifndef LEDGER_TOOLS_SIM_CRASH_FS_H_
#define LEDGER_TOOLS_SIM_CRASH_FS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ledger::sim {

class CrashFileSystem : public rocksdb::FileSystemWrapper {
 public:
  CrashFileSystem();
  const char* Name() const override { return "CrashFileSystem"; }

  // An Env whose files go through this file system (for EventStoreOptions).
  static std::pair<std::shared_ptr<CrashFileSystem>,
                   std::shared_ptr<rocksdb::Env>>
  NewEnv();

  // The next sync (or append) of a write-ahead-log file fails; the data of
  // a failed sync stays unsynced, that of a failed append unwritten.
  void FailNextWalSync() { fail_wal_sync_ = true; }
  void FailNextWalAppend() { fail_wal_append_ = true; }

  // Every write, sync, create, rename and delete fails from now on.
  void PowerOff() { powered_ = false; }
  bool powered() const { return powered_; }
  // Cuts each file written since the last power-on to what was synced
  // plus a prefix of the rest drawn from `rng` (nothing of it, all of it,
  // or a cut inside), then powers on. Call with every file closed (the
  // store destroyed). Returns the bytes dropped.
  absl::StatusOr<uint64_t> PowerOn(std::mt19937_64& rng);

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& name,
                              const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& name,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& name, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  friend class File;

  // How much of a file was written and synced.
  struct Extent {
    uint64_t written = 0;
    uint64_t synced = 0;
  };
  rocksdb::IOStatus Off() const;
  rocksdb::IOStatus Track(const std::string& name, uint64_t size,
                          std::unique_ptr<rocksdb::FSWritableFile>* file);
  void Written(const std::string& name, uint64_t bytes);
  void Synced(const std::string& name);
  // The injected fault for a file's sync or append, consumed (OK: none).
  rocksdb::IOStatus TakeFault(const std::string& name, bool sync);

  std::atomic<bool> powered_{true};
  std::atomic<bool> fail_wal_sync_{false};
  std::atomic<bool> fail_wal_append_{false};
  absl::Mutex mu_;
  std::map<std::string, Extent> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_CRASH_FS_H_
