// The Merkle tree over the global log (RFC 9162 §2.1; issue 24): one leaf
// per event, in position order (leaf index = position - 1), its data the
// event's 32-byte record hash. A leaf hashes as SHA-256(0x00 || data), a
// node as SHA-256(0x01 || left || right), the empty tree as SHA-256("").
//
// The tree is kept as its perfect subtrees: node (level L, index i) covers
// leaves [i * 2^L, (i + 1) * 2^L) and exists once all of them do. A writer
// appends leaves to a CompactRange, which hands out every node it
// completes (for storing) and keeps only what the next append needs (one
// hash per set bit of the size); any root and any proof is then a few node
// reads (NodeSource), O(log n) of them. The verifiers need nothing but the
// proof: an auditor's tools and the Python check (tests/python) do the same
// arithmetic without this code.
#ifndef LEDGER_STORE_MERKLE_H_
#define LEDGER_STORE_MERKLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger::merkle {

using Hash = std::array<uint8_t, 32>;

// SHA-256(0x00 || data).
Hash LeafHash(absl::string_view data);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// The root of the empty tree, SHA-256("").
Hash EmptyRoot();

std::string Hex(const Hash& hash);
// 32 raw bytes, or INVALID_ARGUMENT.
absl::StatusOr<Hash> FromBytes(absl::string_view bytes);
inline absl::string_view Bytes(const Hash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()),
                           hash.size());
}

// Where a tree's stored nodes are read from (a column family, a map in a
// test). Only perfect nodes of the tree at hand are asked for.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // Node (level, index); NOT_FOUND or DATA_LOSS when it is not there.
  virtual absl::StatusOr<Hash> Node(unsigned level, uint64_t index) const = 0;
};

// The right edge of a tree of `size` leaves: the perfect subtrees that
// cover [0, size), one per set bit of size, largest (leftmost) first.
class CompactRange {
 public:
  // Called for every node an append completes, leaves included, lowest
  // level first.
  using Visitor =
      std::function<void(unsigned level, uint64_t index, const Hash& hash)>;

  CompactRange() = default;

  uint64_t size() const { return size_; }
  const std::vector<Hash>& hashes() const { return hashes_; }

  // Appends a leaf whose hash is `leaf` (LeafHash of its data).
  void Append(const Hash& leaf, const Visitor& visit = nullptr);
  // The root of [0, size).
  Hash Root() const;

  // The range of a tree of `size` leaves, read from `nodes` (popcount(size)
  // reads): what a writer recovers at open.
  static absl::StatusOr<CompactRange> Read(const NodeSource& nodes,
                                           uint64_t size);
  // The range of a tree of `size` leaves from its hashes (as hashes()
  // gives them); INVALID_ARGUMENT unless there is one per set bit of size.
  static absl::StatusOr<CompactRange> FromHashes(uint64_t size,
                                                 std::vector<Hash> hashes);

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

// The root of the first `size` leaves (size <= the stored tree's).
absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size);

// RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of `size`
// leaves, leaf level first. 0 <= index < size.
absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes,
                                                 uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1: that the tree of `new_size` leaves extends the tree of
// `old_size`. 0 < old_size <= new_size (equal: empty).
absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes,
                                                   uint64_t old_size,
                                                   uint64_t new_size);

// RFC 9162 §2.1.3.2. OK, or FAILED_PRECONDITION saying what did not hold.
absl::Status VerifyInclusion(uint64_t index, uint64_t size,
                             const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 §2.1.4.2, with old_size == new_size (an empty proof, equal
// roots) and old_size == 0 (an empty proof, the empty root) accepted too.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const Hash& old_root, const Hash& new_root,
                               const std::vector<Hash>& proof);

}  // namespace ledger::merkle

#endif  // LEDGER_STORE_MERKLE_H_
