#include "ledger/store/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/sha256.h"

namespace ledger::merkle {
namespace {

// The largest power of two below n; n >= 2.
uint64_t PowerOfTwoBelow(uint64_t n) {
  return uint64_t{1} << (std::bit_width(n - 1) - 1);
}

absl::string_view View(const Hash& h) { return Bytes(h); }

// MTH(D[a:b]) for a subtree of the RFC's recursion: `a` is a multiple of
// the smallest power of two >= b - a, so [a, b) is aligned perfect nodes
// of decreasing size, folded from the right.
absl::StatusOr<Hash> RangeHash(const NodeSource& nodes, uint64_t a,
                               uint64_t b) {
  std::vector<Hash> parts;
  for (uint64_t pos = a; pos < b;) {
    unsigned level = pos == 0 ? 63 : std::countr_zero(pos);
    while ((uint64_t{1} << level) > b - pos) --level;
    absl::StatusOr<Hash> node = nodes.Node(level, pos >> level);
    if (!node.ok()) return node.status();
    parts.push_back(*node);
    pos += uint64_t{1} << level;
  }
  Hash h = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) h = HashChildren(parts[i], h);
  return h;
}

absl::Status Failed(absl::string_view why) {
  return absl::FailedPreconditionError(why);
}

// One step up the path in RFC 9162's verifiers (fn: the node's index, sn:
// the last index at its level): whether the proof's next hash is a left
// sibling, to be hashed in front; fn and sn then move up a level, and past
// the levels where the node is on the right border and has no sibling.
bool StepIsLeft(uint64_t& fn, uint64_t& sn) {
  const bool left = (fn & 1) != 0 || fn == sn;
  if (left && (fn & 1) == 0) {
    do {
      fn >>= 1;
      sn >>= 1;
    } while ((fn & 1) == 0 && fn != 0);
  }
  fn >>= 1;
  sn >>= 1;
  return left;
}

}  // namespace

Hash LeafHash(absl::string_view data) {
  Sha256 sha;
  sha.Update(absl::string_view("\x00", 1));
  sha.Update(data);
  Hash h;
  sha.Finish(h.data());
  return h;
}

Hash HashChildren(const Hash& left, const Hash& right) {
  Sha256 sha;
  sha.Update(absl::string_view("\x01", 1));
  sha.Update(View(left));
  sha.Update(View(right));
  Hash h;
  sha.Finish(h.data());
  return h;
}

Hash EmptyRoot() {
  Sha256 sha;
  Hash h;
  sha.Finish(h.data());
  return h;
}

std::string Hex(const Hash& hash) { return absl::BytesToHexString(View(hash)); }

absl::StatusOr<Hash> FromBytes(absl::string_view bytes) {
  Hash h;
  if (bytes.size() != h.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a hash has 32 bytes, not ", bytes.size()));
  }
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

void CompactRange::Append(const Hash& leaf, const Visitor& visit) {
  Hash h = leaf;
  uint64_t index = size_;
  unsigned level = 0;
  if (visit) visit(level, index, h);
  // Each set low bit of the old size is a perfect left sibling to merge.
  while (index & 1) {
    h = HashChildren(hashes_.back(), h);
    hashes_.pop_back();
    index >>= 1;
    ++level;
    if (visit) visit(level, index, h);
  }
  hashes_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash h = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) h = HashChildren(hashes_[i], h);
  return h;
}

absl::StatusOr<CompactRange> CompactRange::Read(const NodeSource& nodes,
                                                uint64_t size) {
  CompactRange range;
  range.size_ = size;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    absl::StatusOr<Hash> node = nodes.Node(level, (size >> level) - 1);
    if (!node.ok()) return node.status();
    range.hashes_.push_back(*node);
  }
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromHashes(
    uint64_t size, std::vector<Hash> hashes) {
  if (hashes.size() != static_cast<size_t>(std::popcount(size))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the edge of a tree of ", size, " leaves has ",
                     std::popcount(size), " hashes, not ", hashes.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.hashes_ = std::move(hashes);
  return range;
}

absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(nodes, 0, size);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes,
                                                 uint64_t index,
                                                 uint64_t size) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf ", index, " is not in a tree of ", size, " leaves"));
  }
  std::vector<Hash> proof;
  uint64_t a = 0, b = size;
  while (b - a > 1) {
    const uint64_t k = PowerOfTwoBelow(b - a);
    if (index < a + k) {
      absl::StatusOr<Hash> right = RangeHash(nodes, a + k, b);
      if (!right.ok()) return right.status();
      proof.push_back(*right);
      b = a + k;
    } else {
      const unsigned level = std::countr_zero(k);
      absl::StatusOr<Hash> left = nodes.Node(level, a >> level);
      if (!left.ok()) return left.status();
      proof.push_back(*left);
      a += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes,
                                                   uint64_t old_size,
                                                   uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", old_size, " leaves to ",
                     new_size, ": it needs 0 < old size <= new size"));
  }
  std::vector<Hash> proof;
  uint64_t m = old_size, a = 0, b = new_size;
  bool whole = true;  // [a, a + m) is the old tree itself.
  while (m != b - a) {
    const uint64_t k = PowerOfTwoBelow(b - a);
    if (m <= k) {
      absl::StatusOr<Hash> right = RangeHash(nodes, a + k, b);
      if (!right.ok()) return right.status();
      proof.push_back(*right);
      b = a + k;
    } else {
      const unsigned level = std::countr_zero(k);
      absl::StatusOr<Hash> left = nodes.Node(level, a >> level);
      if (!left.ok()) return left.status();
      proof.push_back(*left);
      m -= k;
      a += k;
      whole = false;
    }
  }
  if (!whole) {
    absl::StatusOr<Hash> rest = RangeHash(nodes, a, b);
    if (!rest.ok()) return rest.status();
    proof.push_back(*rest);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size,
                             const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return Failed(
        absl::StrCat("leaf ", index, " is not in a tree of ", size, " leaves"));
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Failed("the inclusion proof is too long");
    r = StepIsLeft(fn, sn) ? HashChildren(p, r) : HashChildren(r, p);
  }
  if (sn != 0) return Failed("the inclusion proof is too short");
  if (r != root) {
    return Failed(absl::StrCat("the inclusion proof of leaf ", index,
                               " leads to root ", Hex(r), ", not ", Hex(root)));
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const Hash& old_root, const Hash& new_root,
                               const std::vector<Hash>& proof) {
  if (old_size > new_size) {
    return Failed(absl::StrCat("a tree of ", new_size,
                               " leaves cannot extend one of ", old_size));
  }
  if (old_size == new_size || old_size == 0) {
    if (!proof.empty()) return Failed("the consistency proof should be empty");
    if (old_size == 0 && old_root != EmptyRoot()) {
      return Failed("the old root is not the empty tree's");
    }
    if (old_size == new_size && old_root != new_root) {
      return Failed("trees of the same size with different roots");
    }
    return absl::OkStatus();
  }
  if (proof.empty()) return Failed("the consistency proof is empty");
  std::vector<Hash> path;
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Failed("the consistency proof is too long");
    if (StepIsLeft(fn, sn)) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
    } else {
      sr = HashChildren(sr, c);
    }
  }
  if (sn != 0) return Failed("the consistency proof is too short");
  if (fr != old_root) {
    return Failed(absl::StrCat("the consistency proof leads to old root ",
                               Hex(fr), ", not ", Hex(old_root)));
  }
  if (sr != new_root) {
    return Failed(absl::StrCat("the consistency proof leads to new root ",
                               Hex(sr), ", not ", Hex(new_root)));
  }
  return absl::OkStatus();
}

}  // namespace ledger::merkle
