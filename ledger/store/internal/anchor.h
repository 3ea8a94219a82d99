// The anchor: a record of the acknowledged end of the log (position and
// hash), kept in a file of its own beside RocksDB's (`LEDGER-ANCHOR`), so
// that a log that opens shorter than what was acknowledged, or with a
// different last event, is noticed even when the damage is in the last
// records, where RocksDB's recovery cannot tell damage from a torn tail
// (ledger/FORMAT.md, "The anchor").
//
// The writer records each committed group's end in the file before it
// acknowledges the group; a helper thread makes the file durable within
// kAnchorSyncInterval, and Close makes it durable at once. A crashed process
// loses nothing of it (the kernel holds the written pages); a power cut may
// lose the last interval, and then the anchor still names a position the
// log holds: it is a lower bound of what was acknowledged, never above it.
//
// The file holds two 64-byte slots, written alternately; each carries a
// sequence number and a checksum, so a torn write leaves the other slot,
// one group older.
#ifndef LEDGER_STORE_INTERNAL_ANCHOR_H_
#define LEDGER_STORE_INTERNAL_ANCHOR_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ledger::internal {

inline constexpr char kAnchorFileName[] = "LEDGER-ANCHOR";
inline constexpr absl::Duration kAnchorSyncInterval = absl::Milliseconds(50);

struct Anchor {
  uint64_t position = 0;
  std::string hash;  // kHashBytes.
};

class AnchorFile {
 public:
  // Opens (creating it unless `read_only`) the anchor file in `dir`.
  static absl::StatusOr<std::unique_ptr<AnchorFile>> Open(
      const std::string& dir, bool read_only);
  // Reads the newest whole slot of the file in `dir`: nullopt when there is
  // no file or it holds no whole slot; DATA_LOSS when it holds bytes that
  // are no slot at all.
  static absl::StatusOr<std::optional<Anchor>> Read(const std::string& dir);

  ~AnchorFile();
  AnchorFile(const AnchorFile&) = delete;
  AnchorFile& operator=(const AnchorFile&) = delete;

  // Records `anchor` (not yet durable). One writer at a time.
  absl::Status Write(const Anchor& anchor);
  // Makes what Write recorded durable.
  absl::Status Sync();
  // Starts the helper thread that syncs within kAnchorSyncInterval of each
  // Write.
  void StartSyncing();
  // Stops the helper and syncs.
  absl::Status Close();

  const std::string& path() const { return path_; }

 private:
  AnchorFile(std::string path, int fd, uint64_t sequence)
      : path_(std::move(path)), fd_(fd), sequence_(sequence) {}
  void SyncLoop();

  const std::string path_;
  int fd_;
  uint64_t sequence_;  // Of the last slot written.
  std::atomic<uint64_t> written_{0};
  uint64_t synced_ = 0;  // Sync loop (or Close) only.
  absl::Mutex mu_;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread syncer_;
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_ANCHOR_H_
