// The log's Merkle tree and its signed checkpoints in RocksDB (format 3;
// ledger/FORMAT.md "The Merkle tree", docs/design/merkle-audit.md §3-4).
//
//   merkle       [tile level u8][tile index u64be][sublevel u8][offset u8]
//                -> a strip of consecutive 32-byte node hashes
//   checkpoints  [tree size u64be] -> the signed note of the checkpoint
//
// Node (level L, index i) lives in the tile (L / 8, i >> (8 - L % 8)) of
// height 8, as in C2SP tlog-tiles, at sublevel L % 8 and offset
// i mod (256 >> L % 8). A strip is the run of nodes one group commit
// completed at one level inside one tile: nodes never change, so strips
// never overlap, and all the levels of a tile sort together (a proof reads
// a few tiles, not one key per level).
#ifndef LEDGER_STORE_INTERNAL_MERKLE_TREE_H_
#define LEDGER_STORE_INTERNAL_MERKLE_TREE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/merkle.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {

// The key of the strip that begins with node (level, index).
std::string MerkleKey(unsigned level, uint64_t index);
// The key of the checkpoint of `size` events: the size, big-endian.
inline std::string CheckpointKey(uint64_t size) { return PositionKey(size); }

// Levels below this are not stored: a leaf is SHA-256(0x00 || the hash of
// its event), a level-1 node the hash of two leaves, computed from the
// events when read (they lie next to each other, so a proof reads about one
// block of the events family for them). The stored tree is then ~16 bytes
// an event instead of 64: less for every group commit to write and sync.
inline constexpr unsigned kFirstStoredLevel = 2;

// The tree's nodes: stored ones read through one iterator (one per request:
// a proof's reads are near each other), the lowest levels from the events.
class StoredNodes final : public merkle::NodeSource {
 public:
  StoredNodes(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* merkle,
              rocksdb::ColumnFamilyHandle* events);
  // DATA_LOSS naming the node (or its event) when it is not there.
  absl::StatusOr<merkle::Hash> Node(unsigned level,
                                    uint64_t index) const override;
  // Whether node (level >= kFirstStoredLevel, index) is stored at all.
  absl::StatusOr<bool> Has(unsigned level, uint64_t index) const;
  // Node (level, index) computed from its events alone, whatever is
  // stored.
  absl::StatusOr<merkle::Hash> FromEvents(unsigned level, uint64_t index) const;

 private:
  absl::StatusOr<std::optional<merkle::Hash>> Find(unsigned level,
                                                   uint64_t index) const;
  // The leaf of the event at position index + 1.
  absl::StatusOr<merkle::Hash> Leaf(uint64_t index) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* events_cf_;
  std::unique_ptr<rocksdb::Iterator> it_;
  mutable std::unique_ptr<rocksdb::Iterator> events_;
};

// Appends leaves to a compact range and stages the nodes they complete into
// a WriteBatch as strips.
class TreeAppender {
 public:
  explicit TreeAppender(merkle::CompactRange range)
      : range_(std::move(range)) {}

  void Append(const merkle::Hash& leaf);
  // Puts the nodes appended since the last call into `batch`.
  void Stage(rocksdb::ColumnFamilyHandle* merkle, rocksdb::WriteBatch* batch);
  const merkle::CompactRange& range() const { return range_; }

 private:
  struct Run {
    uint64_t first = 0;
    std::vector<merkle::Hash> hashes;
  };
  merkle::CompactRange range_;
  std::array<Run, 64> runs_;
};

}  // namespace ledger::internal

#endif  // LEDGER_STORE_INTERNAL_MERKLE_TREE_H_
