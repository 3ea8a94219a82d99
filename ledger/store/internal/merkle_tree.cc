#include "ledger/store/internal/merkle_tree.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/errors.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_status.h"

namespace ledger::internal {
namespace {

constexpr unsigned kTileHeight = 8;
constexpr size_t kPrefixBytes = 1 + 8 + 1;  // Tile level, index, sublevel.

// How many nodes of sublevel `r` a tile holds.
uint64_t TileWidth(unsigned level) {
  return uint64_t{256} >> (level % kTileHeight);
}

}  // namespace

std::string MerkleKey(unsigned level, uint64_t index) {
  const unsigned r = level % kTileHeight;
  std::string key;
  key.reserve(kPrefixBytes + 1);
  key.push_back(static_cast<char>(level / kTileHeight));
  PutFixed64BE(&key, index >> (kTileHeight - r));
  key.push_back(static_cast<char>(r));
  key.push_back(static_cast<char>(index & (TileWidth(level) - 1)));
  return key;
}

StoredNodes::StoredNodes(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* merkle,
                         rocksdb::ColumnFamilyHandle* events)
    : db_(db),
      events_cf_(events),
      it_(db->NewIterator(rocksdb::ReadOptions(), merkle)) {}

absl::StatusOr<merkle::Hash> StoredNodes::Leaf(uint64_t index) const {
  if (events_ == nullptr) {
    events_.reset(db_->NewIterator(rocksdb::ReadOptions(), events_cf_));
  }
  const std::string key = PositionKey(index + 1);
  events_->Seek(key);
  if (!events_->Valid() || events_->key() != key) {
    RETURN_IF_ERROR(FromRocks(events_->status(), "reading the log"));
    return DataLossAt(index + 1,
                      absl::StrCat("event ", index + 1,
                                   ", a leaf of the Merkle tree, is missing"));
  }
  v1::Event event;
  RETURN_IF_ERROR(
      RocksEventStore::ParseRecord(index + 1, events_->value(), &event));
  return merkle::LeafHash(event.hash());
}

absl::StatusOr<merkle::Hash> StoredNodes::FromEvents(unsigned level,
                                                     uint64_t index) const {
  if (level == 0) return Leaf(index);
  ASSIGN_OR_RETURN(merkle::Hash left, FromEvents(level - 1, 2 * index));
  ASSIGN_OR_RETURN(merkle::Hash right, FromEvents(level - 1, 2 * index + 1));
  return merkle::HashChildren(left, right);
}

absl::StatusOr<std::optional<merkle::Hash>> StoredNodes::Find(
    unsigned level, uint64_t index) const {
  const std::string key = MerkleKey(level, index);
  it_->SeekForPrev(key);
  if (!it_->Valid()) {
    RETURN_IF_ERROR(FromRocks(it_->status(), "reading the Merkle tree"));
    return std::nullopt;
  }
  const rocksdb::Slice found = it_->key();
  if (found.size() != key.size() ||
      std::memcmp(found.data(), key.data(), kPrefixBytes) != 0) {
    return std::nullopt;
  }
  const unsigned first = static_cast<unsigned char>(found[kPrefixBytes]);
  const unsigned wanted = static_cast<unsigned char>(key[kPrefixBytes]);
  const rocksdb::Slice strip = it_->value();
  if (strip.size() % 32 != 0) {
    return absl::DataLossError(
        absl::StrCat("a strip of the Merkle tree at level ", level, " has ",
                     strip.size(), " bytes, not a multiple of 32"));
  }
  if (wanted - first >= strip.size() / 32) return std::nullopt;
  merkle::Hash h;
  std::memcpy(h.data(), strip.data() + 32 * (wanted - first), 32);
  return h;
}

absl::StatusOr<merkle::Hash> StoredNodes::Node(unsigned level,
                                               uint64_t index) const {
  if (level < kFirstStoredLevel) return FromEvents(level, index);
  absl::StatusOr<std::optional<merkle::Hash>> found = Find(level, index);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::DataLossError(absl::StrCat("node ", index, " at level ", level,
                                            " of the Merkle tree is missing"));
  }
  return **found;
}

absl::StatusOr<bool> StoredNodes::Has(unsigned level, uint64_t index) const {
  absl::StatusOr<std::optional<merkle::Hash>> found = Find(level, index);
  if (!found.ok()) return found.status();
  return found->has_value();
}

void TreeAppender::Append(const merkle::Hash& leaf) {
  range_.Append(
      leaf, [this](unsigned level, uint64_t index, const merkle::Hash& hash) {
        Run& run = runs_[level];
        if (run.hashes.empty()) run.first = index;
        run.hashes.push_back(hash);
      });
}

void TreeAppender::Stage(rocksdb::ColumnFamilyHandle* merkle,
                         rocksdb::WriteBatch* batch) {
  std::string value;
  for (unsigned level = kFirstStoredLevel; level < runs_.size(); ++level) {
    Run& run = runs_[level];
    const uint64_t width = TileWidth(level);
    size_t i = 0;
    while (i < run.hashes.size()) {
      // Up to the end of the run or of its tile.
      const uint64_t index = run.first + i;
      const size_t n = std::min<uint64_t>(run.hashes.size() - i,
                                          width - (index & (width - 1)));
      value.assign(reinterpret_cast<const char*>(run.hashes[i].data()), 32 * n);
      batch->Put(merkle, MerkleKey(level, index), value);
      i += n;
    }
    run.hashes.clear();
  }
}

}  // namespace ledger::internal
