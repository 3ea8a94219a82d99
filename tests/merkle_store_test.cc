// The Merkle tree the store keeps over its log and the checkpoints it
// signs: every root and proof matches a tree computed independently from
// the events; the tree survives reopening and is built for an older store;
// and a log changed, re-chained or cut short behind the store's back is
// refused at open against its own latest checkpoint.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ledger/base/clock.h"
#include "ledger/store/chain.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/internal/anchor.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/merkle.h"
#include "ledger/store/signed_note.h"
#include "ledger/store/verify.h"
#include "tests/raw_db.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::RawDb;
using ::ledger::testing::Request;

// transparency-dev/formats' test key for the log "Log".
constexpr char kLogKey[] =
    "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ";
constexpr char kLogVerifierKey[] =
    "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs";

std::shared_ptr<const NoteSigner> Signer(const char* key = kLogKey) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::Parse(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return std::make_shared<const NoteSigner>(*std::move(signer));
}

EventStoreOptions Signed(uint64_t every_events,
                         absl::Duration every = absl::ZeroDuration()) {
  EventStoreOptions options;
  options.checkpoint_signer = Signer();
  options.checkpoint_every_events = every_events;
  options.checkpoint_every = every;
  return options;
}

std::unique_ptr<EventStore> MustOpen(const std::string& dir,
                                     EventStoreOptions options) {
  auto store = EventStore::Open(dir, std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// The leaves of the log computed from its events, as an auditor would.
std::vector<merkle::Hash> Leaves(const EventStore& store) {
  auto events = testing::ReadWholeLog(store);
  EXPECT_TRUE(events.ok()) << events.status();
  std::vector<merkle::Hash> leaves;
  for (const v1::Event& e : *events)
    leaves.push_back(merkle::LeafHash(e.hash()));
  return leaves;
}

merkle::Hash ReferenceRoot(const std::vector<merkle::Hash>& leaves,
                           size_t size) {
  merkle::CompactRange range;
  for (size_t i = 0; i < size; ++i) range.Append(leaves[i]);
  return range.Root();
}

// Appends `events` events in appends of 1 to 17 events.
void AppendMany(EventStore& store, int events) {
  int size = 1;
  for (int done = 0; done < events; done += size) {
    size = std::min(1 + (done * 7) % 17, events - done);
    auto r = store.Append(Request(absl::StrCat("complaint-", done % 13), size));
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

TEST(MerkleStoreTest, EveryRootAndProofMatchesTheTreeOfTheEvents) {
  // 700 events cross the tree's tiles (256 leaves wide) in strips that
  // the appends cut at every place.
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  auto store = MustOpen(dir.path(), Signed(100));
  ASSERT_NE(store, nullptr);
  AppendMany(*store, 700);
  const std::vector<merkle::Hash> leaves = Leaves(*store);
  ASSERT_EQ(leaves.size(), 700u);
  merkle::CompactRange reference;
  for (uint64_t size = 1; size <= 700; ++size) {
    reference.Append(leaves[size - 1]);
    auto root = store->TreeRoot(size);
    ASSERT_TRUE(root.ok()) << root.status();
    ASSERT_EQ(*root, reference.Root()) << "size " << size;
  }
  for (uint64_t size : {1u, 255u, 256u, 257u, 511u, 700u}) {
    const merkle::Hash root = ReferenceRoot(leaves, size);
    for (uint64_t position = 1; position <= size; ++position) {
      auto proof = store->InclusionProof(position, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(merkle::VerifyInclusion(position - 1, size,
                                          leaves[position - 1], *proof, root)
                      .ok())
          << position << " in " << size;
    }
  }
  const merkle::Hash root700 = ReferenceRoot(leaves, 700);
  for (uint64_t from = 1; from <= 700; ++from) {
    auto proof = store->ConsistencyProof(from, 700);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(merkle::VerifyConsistency(
                    from, 700, ReferenceRoot(leaves, from), root700, *proof)
                    .ok())
        << from;
  }
  // A checkpoint once 100 events are past the last one: each kept, each
  // signed over the root of its size.
  auto latest = store->LatestCheckpoint();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_GE(latest->size, 600u);
  auto verifier = NoteVerifier::Parse(kLogVerifierKey);
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(store->checkpoint_key(), kLogVerifierKey);
  int checkpoints = 0;
  for (uint64_t size = 1; size <= 700; ++size) {
    auto cp = store->CheckpointAt(size);
    if (cp.status().code() == absl::StatusCode::kNotFound) continue;
    ASSERT_TRUE(cp.ok()) << cp.status();
    ++checkpoints;
    auto text = verifier->Open(cp->note);
    ASSERT_TRUE(text.ok()) << text.status();
    auto parsed = ParseCheckpointText(*text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->origin, "Log");
    EXPECT_EQ(parsed->size, size);
    EXPECT_EQ(parsed->root, ReferenceRoot(leaves, size));
  }
  EXPECT_GE(checkpoints, 6);
  EXPECT_LE(checkpoints, 7);

  // What cannot be answered, and why.
  EXPECT_EQ(store->TreeRoot(701).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store->InclusionProof(0, 700).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->InclusionProof(701, 700).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->InclusionProof(5, 701).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store->ConsistencyProof(0, 700).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ConsistencyProof(9, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CheckpointAt(701).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(MerkleStoreTest, ReopeningContinuesTheTreeAndCloseSignsTheTail) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  {
    auto store = MustOpen(dir.path(), Signed(/*every_events=*/1000));
    ASSERT_NE(store, nullptr);
    AppendMany(*store, 40);
    EXPECT_EQ(store->LatestCheckpoint().status().code(),
              absl::StatusCode::kNotFound);
  }
  {
    // Closing signed the 40 events; the tree goes on from them.
    auto store = MustOpen(dir.path(), Signed(/*every_events=*/1000));
    ASSERT_NE(store, nullptr);
    auto latest = store->LatestCheckpoint();
    ASSERT_TRUE(latest.ok()) << latest.status();
    EXPECT_EQ(latest->size, 40u);
    AppendMany(*store, 300);
    const std::vector<merkle::Hash> leaves = Leaves(*store);
    EXPECT_EQ(*store->TreeRoot(340), ReferenceRoot(leaves, 340));
    EXPECT_EQ(latest->root, ReferenceRoot(leaves, 40));
  }
  // Without a signer the store checks what was signed and signs nothing.
  auto store = MustOpen(dir.path(), EventStoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LatestCheckpoint()->size, 340u);
  EXPECT_EQ(store->checkpoint_key(), kLogVerifierKey);
  ASSERT_TRUE(store->Append(Request("complaint-x", 2)).ok());
  ASSERT_TRUE(store->Close().ok());
  auto reopened = MustOpen(dir.path(), EventStoreOptions());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->LatestCheckpoint()->size, 340u);
  EXPECT_TRUE(reopened->TreeRoot(342).ok());
}

TEST(MerkleStoreTest, VerifyChecksTheEventsAgainstTheSignedRoot) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  auto store = MustOpen(dir.path(), Signed(50));
  ASSERT_NE(store, nullptr);
  AppendMany(*store, 120);
  const SignedCheckpoint latest = *store->LatestCheckpoint();
  VerifyReport report = VerifyStore(*store);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.signed_size, latest.size);
  const PageReader pages = [&store](uint64_t from, uint32_t limit) {
    return store->ReadAll(from, limit);
  };
  // What a server's pages are held to, checkpoint by checkpoint.
  EXPECT_EQ(VerifyChain(pages, latest).signed_size, latest.size);
  SignedCheckpoint other = latest;
  other.root[0] ^= 1;
  VerifyReport rewritten = VerifyChain(pages, other);
  EXPECT_EQ(rewritten.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(rewritten.status.message().find("the log was rewritten"),
            std::string::npos)
      << rewritten.status;
  SignedCheckpoint longer = latest;
  longer.size = 200;
  VerifyReport short_log = VerifyChain(pages, longer);
  EXPECT_EQ(short_log.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(short_log.first_broken_position, 121u);
}

TEST(MerkleStoreTest, AnIdleTailIsSignedWithoutAnotherAppend) {
  // The writer wakes for a checkpoint that is due by time alone. The test
  // waits for it as long as it takes (it asserts what is signed, not when).
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  auto store =
      MustOpen(dir.path(), Signed(/*every_events=*/0, absl::Milliseconds(20)));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(Request("complaint-a", 3)).ok());
  absl::StatusOr<SignedCheckpoint> latest = store->LatestCheckpoint();
  while (!latest.ok() || latest->size < 3) {
    absl::SleepFor(absl::Milliseconds(5));
    latest = store->LatestCheckpoint();
  }
  EXPECT_EQ(latest->size, 3u);
  EXPECT_EQ(latest->root, *store->TreeRoot(3));
}

TEST(MerkleStoreTest, AnotherSigningKeyIsRefused) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  {
    auto store = MustOpen(dir.path(), Signed(10));
    ASSERT_TRUE(store->Append(Request("complaint-a", 3)).ok());
  }
  auto other = GenerateNoteKey("Log");
  ASSERT_TRUE(other.ok());
  EventStoreOptions options;
  options.checkpoint_signer = Signer(other->first.c_str());
  auto store = EventStore::Open(dir.path(), options);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition)
      << store.status();
  EXPECT_NE(store.status().message().find(kLogVerifierKey), std::string::npos)
      << store.status();
}

// The changes an insider with the files could make, each made consistent
// with everything but the signed checkpoint: the records re-chained, the
// stream index left alone (nothing reads it here), the tree dropped or
// left stale, and the anchor rewritten to the new end.
class Insider {
 public:
  explicit Insider(std::string dir) : dir_(std::move(dir)) {
    auto raw = RawDb::Open(dir_);
    EXPECT_TRUE(raw.ok()) << raw.status();
    raw_ = *std::move(raw);
  }
  ~Insider() {
    raw_.reset();
    auto anchor = internal::AnchorFile::Open(dir_, /*read_only=*/false);
    EXPECT_TRUE(anchor.ok());
    EXPECT_TRUE((*anchor)->Write(internal::Anchor{end_, hash_}).ok());
    EXPECT_TRUE((*anchor)->Close().ok());
  }

  v1::Event Get(uint64_t position) {
    v1::Event event;
    EXPECT_TRUE(event.ParseFromString(*raw_->GetRecord(position)));
    return event;
  }
  // Changes the payload of `from` and re-chains every record after it, up
  // to `end`.
  void Rewrite(uint64_t from, uint64_t end) {
    std::string previous = from == 1 ? GenesisHash() : Get(from - 1).hash();
    for (uint64_t p = from; p <= end; ++p) {
      v1::Event event = Get(p);
      if (p == from) event.set_payload(event.payload() + "x");
      event.set_previous_hash(previous);
      event.set_hash(ComputeEventHash(event));
      previous = event.hash();
      EXPECT_TRUE(raw_->PutRecord(p, event.SerializeAsString()).ok());
    }
    end_ = end;
    hash_ = previous;
  }
  // Removes the records after `end`.
  void Truncate(uint64_t end, uint64_t old_end) {
    for (uint64_t p = end + 1; p <= old_end; ++p) {
      EXPECT_TRUE(
          raw_->Delete(internal::kEvents, internal::PositionKey(p)).ok());
    }
    end_ = end;
    hash_ = Get(end).hash();
  }
  void DropTree() { EXPECT_TRUE(raw_->DeleteAll(internal::kMerkle).ok()); }

 private:
  std::string dir_;
  std::unique_ptr<RawDb> raw_;
  uint64_t end_ = 0;
  std::string hash_;
};

// A store of 60 events whose latest checkpoint covers them all.
void MakeSignedLog(const std::string& dir) {
  auto store = MustOpen(dir, Signed(1000));
  ASSERT_NE(store, nullptr);
  AppendMany(*store, 60);
  ASSERT_TRUE(store->Close().ok());
}

void ExpectRefusedAgainstTheCheckpoint(const std::string& dir,
                                       const std::string& says) {
  auto store = MustOpen(dir, Signed(1000));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->damage().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(store->damage().message().find(says), std::string::npos)
      << store->damage();
  auto append = store->Append(Request("complaint-new", 1));
  EXPECT_EQ(append.status().code(), absl::StatusCode::kDataLoss)
      << append.status();
}

TEST(MerkleStoreTest, AChangedEventIsRefusedAtOpenAndByAnOlderCheckpoint) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  // An auditor kept the checkpoint of the first 40 events.
  SignedCheckpoint kept;
  {
    auto store = MustOpen(dir.path(), Signed(1000));
    ASSERT_NE(store, nullptr);
    AppendMany(*store, 40);  // Signed at close.
  }
  {
    auto store = MustOpen(dir.path(), Signed(1000));
    ASSERT_NE(store, nullptr);
    kept = *store->LatestCheckpoint();
    ASSERT_EQ(kept.size, 40u);
    AppendMany(*store, 20);
  }
  Insider(dir.path()).Rewrite(30, 60);
  ExpectRefusedAgainstTheCheckpoint(
      dir.path(), "the log is not the one its checkpoint of 60 events signed");
  // What the damaged store still serves does not extend the kept
  // checkpoint: the auditor's own check finds the rewrite too.
  auto store = MustOpen(dir.path(), Signed(1000));
  ASSERT_NE(store, nullptr);
  auto proof = store->ConsistencyProof(40, 60);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_FALSE(
      merkle::VerifyConsistency(40, 60, kept.root, *store->TreeRoot(60), *proof)
          .ok());
}

TEST(MerkleStoreTest, ARewrittenLastEventIsRefusedEvenWithTheTreeRebuilt) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  MakeSignedLog(dir.path());
  {
    Insider insider(dir.path());
    insider.Rewrite(60, 60);
    insider.DropTree();
  }
  ExpectRefusedAgainstTheCheckpoint(
      dir.path(), "the log is not the one its checkpoint of 60 events signed");
}

TEST(MerkleStoreTest, ATruncatedLogIsRefusedAtOpen) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  MakeSignedLog(dir.path());
  {
    Insider insider(dir.path());
    insider.Truncate(52, 60);
    insider.DropTree();
  }
  ExpectRefusedAgainstTheCheckpoint(
      dir.path(), "but its checkpoint of 60 events was signed");
  // With the tree left as it was, the tree itself says so.
  testing::TempDir second(testing::TempDir::Where::kMemoryIfAvailable);
  MakeSignedLog(second.path());
  Insider(second.path()).Truncate(52, 60);
  ExpectRefusedAgainstTheCheckpoint(second.path(),
                                    "its Merkle tree covers events past it");
}

TEST(MerkleStoreTest, AStoreWithoutATreeHasItBuiltAtItsFirstWritableOpen) {
  testing::TempDir dir(testing::TempDir::Where::kMemoryIfAvailable);
  {
    auto store = MustOpen(dir.path(), EventStoreOptions());
    AppendMany(*store, 300);
  }
  {
    // What format 2 was: no tree, no checkpoints.
    auto raw = RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->DeleteAll(internal::kMerkle).ok());
    ASSERT_TRUE((*raw)->Put(internal::kDefault, "ledger_format", "2").ok());
  }
  {
    EventStoreOptions read_only;
    read_only.read_only = true;
    auto store = MustOpen(dir.path(), read_only);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->TreeRoot(1).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  auto store = MustOpen(dir.path(), Signed(1000));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->damage().ok()) << store->damage();
  const std::vector<merkle::Hash> leaves = Leaves(*store);
  EXPECT_EQ(*store->TreeRoot(300), ReferenceRoot(leaves, 300));
  EXPECT_EQ(*store->TreeRoot(17), ReferenceRoot(leaves, 17));
  ASSERT_TRUE(store->Close().ok());
  auto raw = RawDb::Open(dir.path());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ((*raw)->Get(internal::kDefault, "ledger_format").value_or(""), "3");
}

}  // namespace
}  // namespace ledger
