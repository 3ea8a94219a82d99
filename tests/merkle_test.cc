// The log's Merkle tree (ledger/store/merkle.h): roots and proofs against
// the published RFC 6962 / RFC 9162 vectors (transparency-dev/merkle's
// reference tree of 8 leaves and its happy-path proofs), against a
// recursive implementation of the RFC's definitions for every tree up to
// 300 leaves and every leaf or older size in it, and at random sizes up to
// 10^6; every proof verifies, and every mutation of one is refused.
#include "ledger/store/merkle.h"

#include <map>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger::merkle {
namespace {

Hash H(const std::string& hex) {
  absl::StatusOr<Hash> h = FromBytes(absl::HexStringToBytes(hex));
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash{};
}

// A tree kept in memory the way a store keeps it: every node the compact
// range hands out, by level, in index order.
class MemoryTree : public NodeSource {
 public:
  void Append(absl::string_view data) {
    range_.Append(LeafHash(data), [this](unsigned level, uint64_t index,
                                         const Hash& h) {
      if (levels_.size() <= level) levels_.resize(level + 1);
      EXPECT_EQ(levels_[level].size(), index) << "nodes come in index order";
      levels_[level].push_back(h);
    });
  }
  absl::StatusOr<Hash> Node(unsigned level, uint64_t index) const override {
    if (level >= levels_.size() || index >= levels_[level].size()) {
      return absl::NotFoundError(absl::StrCat("node ", level, "/", index));
    }
    return levels_[level][index];
  }
  const CompactRange& range() const { return range_; }

 private:
  CompactRange range_;
  std::vector<std::vector<Hash>> levels_;
};

// RFC 9162 §2.1.1-2.1.4.1, recursively, over the leaves' hashes, with
// subtree roots memoised.
class Reference {
 public:
  explicit Reference(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}

  Hash Mth(uint64_t a, uint64_t b) {
    if (b == a) return EmptyRoot();
    if (b - a == 1) return leaves_[a];
    auto [it, fresh] = memo_.try_emplace({a, b});
    if (fresh) {
      const uint64_t k = Split(b - a);
      it->second = HashChildren(Mth(a, a + k), Mth(a + k, b));
    }
    return it->second;
  }
  // PATH(m, D[a:b]).
  std::vector<Hash> Path(uint64_t m, uint64_t a, uint64_t b) {
    if (b - a == 1) return {};
    const uint64_t k = Split(b - a);
    std::vector<Hash> p;
    if (m < k) {
      p = Path(m, a, a + k);
      p.push_back(Mth(a + k, b));
    } else {
      p = Path(m - k, a + k, b);
      p.push_back(Mth(a, a + k));
    }
    return p;
  }
  // SUBPROOF(m, D[a:b], known).
  std::vector<Hash> Subproof(uint64_t m, uint64_t a, uint64_t b, bool known) {
    if (m == b - a) {
      return known ? std::vector<Hash>{} : std::vector<Hash>{Mth(a, b)};
    }
    const uint64_t k = Split(b - a);
    std::vector<Hash> p;
    if (m <= k) {
      p = Subproof(m, a, a + k, known);
      p.push_back(Mth(a + k, b));
    } else {
      p = Subproof(m - k, a + k, b, false);
      p.push_back(Mth(a, a + k));
    }
    return p;
  }

 private:
  static uint64_t Split(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }
  std::vector<Hash> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, Hash> memo_;
};

// transparency-dev/merkle testonly: the RFC 6962 reference tree's leaves.
std::vector<std::string> ReferenceLeaves() {
  std::vector<std::string> hex = {"",
                                  "00",
                                  "10",
                                  "2021",
                                  "3031",
                                  "40414243",
                                  "5051525354555657",
                                  "606162636465666768696a6b6c6d6e6f"};
  std::vector<std::string> leaves;
  for (const std::string& h : hex) leaves.push_back(absl::HexStringToBytes(h));
  return leaves;
}

TEST(MerkleTest, TheReferenceTreesRootsAtEverySize) {
  const std::vector<Hash> roots = {
      H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
      H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
      H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
      H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
      H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
      H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
      H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
  };
  MemoryTree tree;
  EXPECT_EQ(Hex(tree.range().Root()), Hex(roots[0]));
  for (const std::string& leaf : ReferenceLeaves()) {
    tree.Append(leaf);
    const uint64_t n = tree.range().size();
    EXPECT_EQ(Hex(tree.range().Root()), Hex(roots[n])) << n;
    for (uint64_t size = 0; size <= n; ++size) {
      absl::StatusOr<Hash> root = RootAt(tree, size);
      ASSERT_TRUE(root.ok()) << root.status();
      EXPECT_EQ(Hex(*root), Hex(roots[size])) << size << " of " << n;
    }
    absl::StatusOr<CompactRange> read = CompactRange::Read(tree, n);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(Hex(read->Root()), Hex(roots[n]));
  }
  // The interior nodes of the reference table.
  EXPECT_EQ(Hex(*tree.Node(1, 3)),
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
  EXPECT_EQ(Hex(*tree.Node(2, 1)),
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
  EXPECT_EQ(Hex(LeafHash("data")),
            "0d3aed023148ffd2a259fbd0cdc7fb3cf975658760d3775b82af6f90aacc2dfc");
}

TEST(MerkleTest, ThePublishedProofs) {
  MemoryTree tree;
  for (const std::string& leaf : ReferenceLeaves()) tree.Append(leaf);
  auto n = [&](unsigned level, uint64_t index) {
    return Hex(*tree.Node(level, index));
  };
  const std::string l =
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e";
  auto hex = [](const std::vector<Hash>& proof) {
    std::vector<std::string> out;
    for (const Hash& h : proof) out.push_back(Hex(h));
    return out;
  };
  using V = std::vector<std::string>;
  struct Case {
    uint64_t index, size;
    V proof;
  };
  for (const Case& c : std::vector<Case>{
           {0, 1, {}},
           {0, 8, {n(0, 1), n(1, 1), n(2, 1)}},
           {5, 8, {n(0, 4), n(1, 3), n(2, 0)}},
           {2, 3, {n(1, 0)}},
           {1, 5, {n(0, 0), n(1, 1), n(0, 4)}},
           {0, 7, {n(0, 1), n(1, 1), l}},
           {3, 7, {n(0, 2), n(1, 0), l}},
           {4, 7, {n(0, 5), n(0, 6), n(2, 0)}},
           {6, 7, {n(1, 2), n(2, 0)}},
       }) {
    absl::StatusOr<std::vector<Hash>> proof =
        InclusionProof(tree, c.index, c.size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(hex(*proof), c.proof) << c.index << "," << c.size;
    EXPECT_TRUE(VerifyInclusion(c.index, c.size, *tree.Node(0, c.index), *proof,
                                *RootAt(tree, c.size))
                    .ok());
  }
  struct Consistency {
    uint64_t old_size, new_size;
    V proof;
  };
  for (const Consistency& c : std::vector<Consistency>{
           {1, 1, {}},
           {1, 8, {n(0, 1), n(1, 1), n(2, 1)}},
           {6, 8, {n(1, 2), n(1, 3), n(2, 0)}},
           {2, 5, {n(1, 1), n(0, 4)}},
           {6, 7, {n(1, 2), n(0, 6), n(2, 0)}},
           {4, 7, {l}},
           {3, 7, {n(0, 2), n(0, 3), n(1, 0), l}},
           {5, 8, {n(0, 4), n(0, 5), n(1, 3), n(2, 0)}},
           {7, 8, {n(0, 6), n(0, 7), n(1, 2), n(2, 0)}},
       }) {
    absl::StatusOr<std::vector<Hash>> proof =
        ConsistencyProof(tree, c.old_size, c.new_size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(hex(*proof), c.proof) << c.old_size << "," << c.new_size;
    EXPECT_TRUE(VerifyConsistency(c.old_size, c.new_size,
                                  *RootAt(tree, c.old_size),
                                  *RootAt(tree, c.new_size), *proof)
                    .ok());
  }
}

// Every way a proof can be wrong that an auditor could be handed.
void ExpectMutationsRefused(uint64_t index, uint64_t size, const Hash& leaf,
                            const std::vector<Hash>& proof, const Hash& root) {
  ASSERT_TRUE(VerifyInclusion(index, size, leaf, proof, root).ok());
  for (size_t i = 0; i < proof.size(); ++i) {
    std::vector<Hash> bad = proof;
    bad[i][i % 32] ^= 1;
    EXPECT_FALSE(VerifyInclusion(index, size, leaf, bad, root).ok());
  }
  if (!proof.empty()) {
    std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
    EXPECT_FALSE(VerifyInclusion(index, size, leaf, shorter, root).ok());
  }
  std::vector<Hash> longer = proof;
  longer.push_back(root);
  EXPECT_FALSE(VerifyInclusion(index, size, leaf, longer, root).ok());
  Hash other = leaf;
  other[0] ^= 0x80;
  EXPECT_FALSE(VerifyInclusion(index, size, other, proof, root).ok());
  if (size > 1) {
    const uint64_t other_index = (index + 1) % size;
    EXPECT_FALSE(VerifyInclusion(other_index, size, leaf, proof, root).ok())
        << "the proof of " << index << " proves " << other_index << " too";
  }
  EXPECT_FALSE(VerifyInclusion(index, size * 2, leaf, proof, root).ok());
  EXPECT_FALSE(VerifyInclusion(size, size, leaf, proof, root).ok());
}

TEST(MerkleTest, EveryTreeUpTo300LeavesAgreesWithTheRfcAndVerifies) {
  constexpr uint64_t kMax = 300;
  MemoryTree tree;
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kMax; ++i) {
    const std::string data = absl::StrCat("event ", i);
    tree.Append(data);
    leaves.push_back(LeafHash(data));
  }
  Reference reference(leaves);
  for (uint64_t size = 1; size <= kMax; ++size) {
    const Hash root = reference.Mth(0, size);
    ASSERT_EQ(Hex(*RootAt(tree, size)), Hex(root)) << size;
    for (uint64_t m = 0; m < size; ++m) {
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(tree, m, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, reference.Path(m, 0, size)) << m << " in " << size;
      ASSERT_TRUE(VerifyInclusion(m, size, leaves[m], *proof, root).ok())
          << m << " in " << size;
      absl::StatusOr<std::vector<Hash>> consistency =
          ConsistencyProof(tree, m + 1, size);
      ASSERT_TRUE(consistency.ok()) << consistency.status();
      ASSERT_EQ(*consistency, reference.Subproof(m + 1, 0, size, true))
          << m + 1 << " to " << size;
      const Hash old_root = reference.Mth(0, m + 1);
      ASSERT_TRUE(
          VerifyConsistency(m + 1, size, old_root, root, *consistency).ok())
          << m + 1 << " to " << size;
      // A rewritten past: the old root of another history.
      Hash forged = old_root;
      forged[31] ^= 1;
      ASSERT_FALSE(
          VerifyConsistency(m + 1, size, forged, root, *consistency).ok());
    }
  }
  // Mutations, on a sample of trees and leaves.
  for (uint64_t size : {1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300}) {
    for (uint64_t m : {uint64_t{0}, size / 2, size - 1}) {
      ExpectMutationsRefused(m, size, leaves[m], *InclusionProof(tree, m, size),
                             reference.Mth(0, size));
    }
  }
}

TEST(MerkleTest, ConsistencyProofsCatchEveryRewriteAndTruncation) {
  // The auditor kept the root at 40; the log then grew to 100. A changed
  // event, a re-chained suffix, a rewritten last event: each makes another
  // tree, which no proof reconciles with the kept root. A truncation below
  // the kept size cannot even be asked about.
  MemoryTree honest;
  for (int i = 0; i < 100; ++i) honest.Append(absl::StrCat("event ", i));
  const Hash kept = *RootAt(honest, 40);
  for (int changed : {0, 17, 39}) {
    MemoryTree forged;
    for (int i = 0; i < 100; ++i) {
      forged.Append(absl::StrCat(i == changed ? "forged " : "event ", i));
    }
    const std::vector<Hash> proof = *ConsistencyProof(forged, 40, 100);
    EXPECT_FALSE(
        VerifyConsistency(40, 100, kept, *RootAt(forged, 100), proof).ok())
        << "event " << changed << " changed";
  }
  // Events after the kept size may be rewritten only by a log that then
  // refuses to prove its old checkpoints: a later auditor's kept root (at
  // 100) does not match.
  MemoryTree suffix;
  for (int i = 0; i < 100; ++i) {
    suffix.Append(absl::StrCat(i >= 60 ? "rechained " : "event ", i));
  }
  EXPECT_TRUE(VerifyConsistency(40, 100, kept, *RootAt(suffix, 100),
                                *ConsistencyProof(suffix, 40, 100))
                  .ok())
      << "the part the old root covers is untouched";
  const Hash kept_later = *RootAt(honest, 100);
  EXPECT_NE(Hex(*RootAt(suffix, 100)), Hex(kept_later));
  EXPECT_FALSE(ConsistencyProof(honest, 101, 100).ok());
  EXPECT_EQ(ConsistencyProof(honest, 0, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(honest, 100, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyConsistency(0, 100, EmptyRoot(), kept_later, {}).ok());
  EXPECT_TRUE(VerifyConsistency(100, 100, kept_later, kept_later, {}).ok());
  EXPECT_FALSE(VerifyConsistency(100, 100, kept, kept_later, {}).ok());
}

TEST(MerkleTest, RandomSizesUpToAMillion) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr uint64_t kLeaves = 100'000;  // The sanitizers' build is slower.
#else
  constexpr uint64_t kLeaves = 1'000'000;
#endif
  MemoryTree tree;
  std::vector<Hash> roots = {EmptyRoot()};
  for (uint64_t i = 0; i < kLeaves; ++i) {
    tree.Append(absl::StrCat(i));
    // The root at each size, as the writer would have signed it.
    if ((i & 1023) == 0 || i + 1 == kLeaves) {
      roots.resize(i + 2);
      roots[i + 1] = tree.range().Root();
    }
  }
  std::mt19937_64 random(20261204);
  for (int trial = 0; trial < 300; ++trial) {
    // A size a root was kept at, and an older one.
    uint64_t size = (random() % (kLeaves / 1024)) * 1024 + 1;
    if (trial == 0) size = kLeaves;
    uint64_t old_size = (random() % ((size + 1023) / 1024)) * 1024 + 1;
    old_size = std::min(old_size, size);
    const Hash& root = roots[size];
    ASSERT_EQ(Hex(*RootAt(tree, size)), Hex(root)) << size;
    const uint64_t index = random() % size;
    absl::StatusOr<std::vector<Hash>> proof = InclusionProof(tree, index, size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    ASSERT_TRUE(
        VerifyInclusion(index, size, *tree.Node(0, index), *proof, root).ok())
        << index << " in " << size;
    absl::StatusOr<std::vector<Hash>> consistency =
        ConsistencyProof(tree, old_size, size);
    ASSERT_TRUE(consistency.ok()) << consistency.status();
    ASSERT_TRUE(
        VerifyConsistency(old_size, size, roots[old_size], root, *consistency)
            .ok())
        << old_size << " to " << size;
  }
  absl::StatusOr<CompactRange> read = CompactRange::Read(tree, kLeaves);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->hashes(), tree.range().hashes());
}

}  // namespace
}  // namespace ledger::merkle
