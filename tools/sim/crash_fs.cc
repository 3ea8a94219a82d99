#include "tools/sim/crash_fs.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ledger::sim {

namespace {

bool IsWal(const std::string& name) { return name.ends_with(".log"); }

}  // namespace

// Fails a File's call when the power is off, or with the injected fault.
#define RETURN_IF_OFF_OR_FAULT(sync)                                  \
  do {                                                                \
    if (!fs_->powered_) return fs_->Off();                            \
    if (rocksdb::IOStatus f = fs_->TakeFault(name_, sync); !f.ok()) { \
      return f;                                                       \
    }                                                                 \
  } while (false)

// A writable file whose writes and syncs are recorded, and fail once the
// power is off.
class CrashFileSystem::File : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(std::unique_ptr<rocksdb::FSWritableFile> file, CrashFileSystem* fs,
       std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)),
        fs_(fs),
        name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    RETURN_IF_OFF_OR_FAULT(false);
    rocksdb::IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->Written(name_, data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    RETURN_IF_OFF_OR_FAULT(false);
    rocksdb::IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) fs_->Written(name_, data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice&, uint64_t,
                                     const rocksdb::IOOptions&,
                                     rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("CrashFileSystem: positioned");
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice&, uint64_t,
                                     const rocksdb::IOOptions&,
                                     const rocksdb::DataVerificationInfo&,
                                     rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("CrashFileSystem: positioned");
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (!fs_->powered_) return fs_->Off();
    return target()->Truncate(size, options, dbg);
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (!fs_->powered_) return fs_->Off();
    return target()->Flush(options, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions&,
                         rocksdb::IODebugContext*) override {
    return DoSync();
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions&,
                          rocksdb::IODebugContext*) override {
    return DoSync();
  }
  rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions&,
                              rocksdb::IODebugContext*) override {
    // A hint to start writing back, not a promise: nothing becomes synced.
    if (!fs_->powered_) return fs_->Off();
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    // The descriptor is let go either way; what was written stays as it
    // is (synced or not) until PowerOn.
    rocksdb::IOStatus s = target()->Close(options, dbg);
    if (!fs_->powered_) return fs_->Off();
    return s;
  }

 private:
  rocksdb::IOStatus DoSync() {
    RETURN_IF_OFF_OR_FAULT(true);
    fs_->Synced(name_);
    return rocksdb::IOStatus::OK();
  }
#undef RETURN_IF_OFF_OR_FAULT

  CrashFileSystem* const fs_;
  const std::string name_;
};

CrashFileSystem::CrashFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::pair<std::shared_ptr<CrashFileSystem>, std::shared_ptr<rocksdb::Env>>
CrashFileSystem::NewEnv() {
  auto fs = std::make_shared<CrashFileSystem>();
  std::shared_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  return {fs, env};
}

rocksdb::IOStatus CrashFileSystem::Off() const {
  return rocksdb::IOStatus::IOError("CrashFileSystem: the power is off");
}

rocksdb::IOStatus CrashFileSystem::TakeFault(const std::string& name,
                                             bool sync) {
  if (!IsWal(name)) return rocksdb::IOStatus::OK();
  if (sync && fail_wal_sync_.exchange(false)) {
    return rocksdb::IOStatus::IOError("CrashFileSystem: injected fsync "
                                      "failure");
  }
  if (!sync && fail_wal_append_.exchange(false)) {
    return rocksdb::IOStatus::NoSpace("CrashFileSystem: injected ENOSPC");
  }
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus CrashFileSystem::Track(
    const std::string& name, uint64_t size,
    std::unique_ptr<rocksdb::FSWritableFile>* file) {
  {
    absl::MutexLock lock(&mu_);
    Extent& e = files_[name];
    e.written = size;
    e.synced = std::min(e.synced, size);
  }
  *file = std::make_unique<File>(std::move(*file), this, name);
  return rocksdb::IOStatus::OK();
}

void CrashFileSystem::Written(const std::string& name, uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  files_[name].written += bytes;
}

void CrashFileSystem::Synced(const std::string& name) {
  absl::MutexLock lock(&mu_);
  Extent& e = files_[name];
  e.synced = e.written;
}

rocksdb::IOStatus CrashFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
  if (!s.ok()) return s;
  {
    // A new file is empty, and so it stays after a power loss until synced.
    absl::MutexLock lock(&mu_);
    files_[name] = Extent{};
  }
  return Track(name, 0, file);
}

rocksdb::IOStatus CrashFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, file, dbg);
  if (!s.ok()) return s;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(name, ec);
  {
    absl::MutexLock lock(&mu_);
    // What is there already was there before: synced, unless we saw it
    // written.
    if (!files_.contains(name)) files_[name] = Extent{size, size};
  }
  return Track(name, ec ? 0 : size, file);
}

rocksdb::IOStatus CrashFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s =
      target()->ReuseWritableFile(name, old_name, options, file, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_.erase(old_name);
    files_[name] = Extent{};
  }
  return Track(name, 0, file);
}

rocksdb::IOStatus CrashFileSystem::RenameFile(const std::string& from,
                                              const std::string& to,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s = target()->RenameFile(from, to, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  files_.erase(to);
  if (auto it = files_.find(from); it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  }
  return s;
}

rocksdb::IOStatus CrashFileSystem::LinkFile(const std::string& from,
                                            const std::string& to,
                                            const rocksdb::IOOptions& options,
                                            rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  return target()->LinkFile(from, to, options, dbg);
}

rocksdb::IOStatus CrashFileSystem::DeleteFile(const std::string& name,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s = target()->DeleteFile(name, options, dbg);
  absl::MutexLock lock(&mu_);
  files_.erase(name);
  return s;
}

rocksdb::IOStatus CrashFileSystem::CreateDir(const std::string& name,
                                             const rocksdb::IOOptions& options,
                                             rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  return target()->CreateDir(name, options, dbg);
}

rocksdb::IOStatus CrashFileSystem::CreateDirIfMissing(
    const std::string& name, const rocksdb::IOOptions& options,
    rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  return target()->CreateDirIfMissing(name, options, dbg);
}

rocksdb::IOStatus CrashFileSystem::Truncate(const std::string& name,
                                            size_t size,
                                            const rocksdb::IOOptions& options,
                                            rocksdb::IODebugContext* dbg) {
  if (!powered_) return Off();
  rocksdb::IOStatus s = target()->Truncate(name, size, options, dbg);
  absl::MutexLock lock(&mu_);
  if (auto it = files_.find(name); it != files_.end()) {
    it->second.written = std::min<uint64_t>(it->second.written, size);
    it->second.synced = std::min<uint64_t>(it->second.synced, size);
  }
  return s;
}

absl::StatusOr<uint64_t> CrashFileSystem::PowerOn(std::mt19937_64& rng) {
  uint64_t dropped = 0;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, extent] : files_) {
    if (extent.written <= extent.synced) continue;
    const uint64_t unsynced = extent.written - extent.synced;
    // Nothing of the unsynced part, all of it, or a cut inside.
    uint64_t kept = 0;
    switch (rng() % 3) {
      case 0:
        break;
      case 1:
        kept = unsynced;
        break;
      default:
        kept = rng() % (unsynced + 1);
        break;
    }
    std::error_code ec;
    if (!std::filesystem::exists(name, ec)) continue;
    std::filesystem::resize_file(name, extent.synced + kept, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cutting ", name, " back: ", ec.message()));
    }
    dropped += unsynced - kept;
  }
  files_.clear();
  powered_ = true;
  return dropped;
}

}  // namespace ledger::sim
