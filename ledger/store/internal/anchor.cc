#include "ledger/store/internal/anchor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/sha256.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/chain.h"
#include "ledger/store/internal/keys.h"

namespace ledger::internal {
namespace {

// A slot: magic (8) | sequence (8) | position (8) | hash (32) | check (8),
// integers big-endian; check = the first 8 bytes of SHA-256 of the 56
// bytes before it.
constexpr size_t kSlotBytes = 64;
constexpr char kMagic[8] = {'L', 'G', 'A', 'N', 'C', 'H', '0', '1'};

std::string Check(absl::string_view bytes) {
  Sha256 sha;
  sha.Update(bytes);
  return sha.Finish().substr(0, 8);
}

std::string EncodeSlot(uint64_t sequence, const Anchor& anchor) {
  std::string slot(kMagic, sizeof(kMagic));
  slot += PositionKey(sequence);
  slot += PositionKey(anchor.position);
  slot += anchor.hash;
  slot += Check(slot);
  return slot;
}

struct Slot {
  uint64_t sequence;
  Anchor anchor;
};

// nullopt for a slot never written (all zeros) or torn.
std::optional<Slot> DecodeSlot(absl::string_view bytes) {
  if (bytes.size() != kSlotBytes ||
      bytes.substr(0, sizeof(kMagic)) != absl::string_view(kMagic, 8) ||
      Check(bytes.substr(0, 56)) != bytes.substr(56)) {
    return std::nullopt;
  }
  Slot slot;
  slot.sequence = DecodeFixed64BE(std::string_view(bytes.data() + 8, 8));
  slot.anchor.position = DecodeFixed64BE(std::string_view(bytes.data() + 16, 8));
  slot.anchor.hash = std::string(bytes.substr(24, kHashBytes));
  return slot;
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int e = errno;
  return absl::UnavailableError(
      absl::StrCat(what, " ", path, ": ", std::strerror(e)));
}

std::string PathIn(const std::string& dir) {
  return absl::StrCat(dir, "/", kAnchorFileName);
}

// The newest whole slot of `bytes` (the whole file).
absl::StatusOr<std::optional<Slot>> Newest(const std::string& bytes,
                                           const std::string& path) {
  if (bytes.empty()) return std::nullopt;
  if (bytes.size() != 2 * kSlotBytes) {
    return absl::DataLossError(absl::StrCat(
        path, " is ", bytes.size(), " bytes long; an anchor file is ",
        2 * kSlotBytes));
  }
  std::optional<Slot> newest;
  for (size_t i = 0; i < 2; ++i) {
    std::optional<Slot> slot =
        DecodeSlot(absl::string_view(bytes).substr(i * kSlotBytes, kSlotBytes));
    if (slot.has_value() &&
        (!newest.has_value() || slot->sequence > newest->sequence)) {
      newest = slot;
    }
  }
  if (!newest.has_value()) {
    return absl::DataLossError(
        absl::StrCat(path, " holds no whole anchor (both slots damaged)"));
  }
  return newest;
}

absl::StatusOr<std::string> ReadAllOf(int fd, const std::string& path) {
  std::string bytes(2 * kSlotBytes + 1, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got,
                              static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("reading", path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace

absl::StatusOr<std::optional<Anchor>> AnchorFile::Read(const std::string& dir) {
  const std::string path = PathIn(dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  if (fd < 0) return Errno("opening", path);
  absl::StatusOr<std::string> bytes = ReadAllOf(fd, path);
  ::close(fd);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::optional<Slot>> slot = Newest(*bytes, path);
  if (!slot.ok()) return slot.status();
  if (!slot->has_value()) return std::nullopt;
  return (*slot)->anchor;
}

absl::StatusOr<std::unique_ptr<AnchorFile>> AnchorFile::Open(
    const std::string& dir, bool read_only) {
  const std::string path = PathIn(dir);
  const int fd = ::open(path.c_str(),
                        read_only ? O_RDONLY | O_CLOEXEC
                                  : O_RDWR | O_CREAT | O_CLOEXEC,
                        0644);
  if (fd < 0) return Errno("opening", path);
  absl::StatusOr<std::string> bytes = ReadAllOf(fd, path);
  uint64_t sequence = 0;
  if (bytes.ok()) {
    absl::StatusOr<std::optional<Slot>> slot = Newest(*bytes, path);
    // A damaged file was reported by Read before the store opened this.
    if (slot.ok() && slot->has_value()) sequence = (*slot)->sequence;
  }
  return std::unique_ptr<AnchorFile>(new AnchorFile(path, fd, sequence));
}

AnchorFile::~AnchorFile() {
  Close().IgnoreError();
  ::close(fd_);
}

absl::Status AnchorFile::Write(const Anchor& anchor) {
  const uint64_t sequence = sequence_ + 1;
  const std::string slot = EncodeSlot(sequence, anchor);
  const off_t offset = static_cast<off_t>((sequence % 2) * kSlotBytes);
  const ssize_t n = ::pwrite(fd_, slot.data(), slot.size(), offset);
  if (n != static_cast<ssize_t>(slot.size())) return Errno("writing", path_);
  // A file never written holds one slot only until the other is written;
  // both are there from the second write on.
  sequence_ = sequence;
  written_.store(sequence, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status AnchorFile::Sync() {
  if (::fdatasync(fd_) != 0) return Errno("syncing", path_);
  return absl::OkStatus();
}

void AnchorFile::StartSyncing() {
  syncer_ = std::thread([this] {
    NameThisThread("ledger-anchor");
    SyncLoop();
  });
}

void AnchorFile::SyncLoop() {
  absl::MutexLock lock(&mu_);
  while (!closing_) {
    mu_.AwaitWithTimeout(absl::Condition(&closing_), kAnchorSyncInterval);
    const uint64_t written = written_.load(std::memory_order_acquire);
    if (written == synced_) continue;
    mu_.Unlock();
    const absl::Status s = Sync();
    mu_.Lock();
    // A failed sync is tried again at the next interval, and Close reports
    // it; the anchor is a lower bound until then.
    if (s.ok()) synced_ = written;
  }
}

absl::Status AnchorFile::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closing_ && !syncer_.joinable()) {
      return written_.load() == synced_ ? absl::OkStatus() : Sync();
    }
    closing_ = true;
  }
  if (syncer_.joinable()) syncer_.join();
  const uint64_t written = written_.load(std::memory_order_acquire);
  if (written == synced_) return absl::OkStatus();
  absl::Status s = Sync();
  if (s.ok()) synced_ = written;
  return s;
}

}  // namespace ledger::internal
