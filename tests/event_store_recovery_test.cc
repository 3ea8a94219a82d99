// Reopening recovers the end of the log and the stream heads; a stored
// record with one byte flipped is DATA_LOSS naming its position.
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/verify.h"
#include "tests/raw_db.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::RawDb;
using ::ledger::testing::Request;

std::unique_ptr<EventStore> MustOpen(const std::string& dir,
                                     bool read_only = false) {
  EventStoreOptions options;
  options.read_only = read_only;
  auto store = EventStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(EventStoreRecoveryTest, ReopenRecoversHeadsChainAndNextPosition) {
  testing::TempDir dir;
  LogHead before;
  {
    auto store = MustOpen(dir.path());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(
          store->Append(Request(i % 2 ? "complaint-odd" : "complaint-even", 3))
              .ok());
    }
    ASSERT_TRUE(store
                    ->Append(Request("complaint-odd", 1,
                                     ExpectedRevision::Any(), "cmd-1"))
                    .ok());
    before = store->log_head();
  }
  auto store = MustOpen(dir.path());
  EXPECT_EQ(store->log_head().position_last, before.position_last);
  EXPECT_EQ(store->log_head().hash_last, before.hash_last);
  EXPECT_EQ(store->Head("complaint-even")->revision_last, 29u);
  EXPECT_EQ(store->Head("complaint-odd")->revision_last, 30u);

  // Expected revisions, command ids and the chain all continue.
  EXPECT_TRUE(absl::IsAborted(
      store->Append(Request("complaint-even", 1, ExpectedRevision::NoStream()))
          .status()));
  auto retry = store->Append(
      Request("complaint-odd", 1, ExpectedRevision::Any(), "cmd-1"));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  auto next =
      store->Append(Request("complaint-even", 1, ExpectedRevision::Exact(29)));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->position_first, before.position_last + 1);
  VerifyReport report = VerifyStore(*store);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_verified, before.position_last + 1);
}

TEST(EventStoreRecoveryTest, FormatOneStoreIsReadAsItIsAndUpgradedAtOpen) {
  // Format 1 also kept each stream's head in the `heads` family; format 2
  // reads a head off the stream's last index entry. A format-1 store, made
  // here from a format-2 one by writing its version and a heads entry that
  // disagrees with the index (a real one agreed; this one shows it is not
  // read), opens read-only as it is and read-write upgraded.
  testing::TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->Append(Request("complaint-a", 3)).ok());
    ASSERT_TRUE(store->Append(Request("complaint-b", 1)).ok());
  }
  {
    auto raw = RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ((*raw)->Get(internal::kDefault, "ledger_format").value_or(""),
              "3");
    EXPECT_EQ((*raw)->Count(internal::kHeads).value_or(1), 0u);
    ASSERT_TRUE((*raw)->Put(internal::kDefault, "ledger_format", "1").ok());
    ASSERT_TRUE(
        (*raw)
            ->Put(internal::kHeads, "complaint-a", internal::HeadValue(7, 9))
            .ok());
  }
  {
    auto store = MustOpen(dir.path(), /*read_only=*/true);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Head("complaint-a")->revision_last, 2u);
    EXPECT_EQ(store->Head("complaint-a")->position_last, 3u);
  }
  {
    auto raw = RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ((*raw)->Get(internal::kDefault, "ledger_format").value_or(""),
              "1");
  }
  {
    auto store = MustOpen(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Head("complaint-a")->revision_last, 2u);
    EXPECT_EQ(store->Head("complaint-b")->revision_last, 0u);
    EXPECT_EQ(store->Head("complaint-b")->position_last, 4u);
    EXPECT_EQ(store->Head("complaint-c").status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_TRUE(absl::IsAborted(
        store->Append(Request("complaint-a", 1, ExpectedRevision::NoStream()))
            .status()));
    auto next =
        store->Append(Request("complaint-a", 1, ExpectedRevision::Exact(2)));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->revision_first, 3u);
  }
  auto raw = RawDb::Open(dir.path());
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ((*raw)->Get(internal::kDefault, "ledger_format").value_or(""), "3");
  EXPECT_EQ((*raw)->Count(internal::kHeads).value_or(1), 0u);
}

TEST(EventStoreRecoveryTest, CommandsAndStreamsFromBeforeAReopenAreFound) {
  // The store answers "never written" from memory once it has read which
  // command ids and streams exist (on a thread of its own after opening):
  // before and after that, what was written before the reopen is found.
  testing::TempDir dir;
  constexpr int kAppends = 300;
  {
    auto store = MustOpen(dir.path());
    for (int i = 0; i < kAppends; ++i) {
      ASSERT_TRUE(store
                      ->Append(Request(absl::StrCat("complaint-", i), 1,
                                       ExpectedRevision::NoStream(),
                                       absl::StrCat("cmd-", i)))
                      .ok());
    }
  }
  auto store = MustOpen(dir.path());
  const absl::Time until = absl::Now() + absl::Milliseconds(300);
  for (int round = 0; round == 0 || absl::Now() < until; ++round) {
    const int i = (round * 37) % kAppends;
    absl::StatusOr<std::optional<AppendResult>> found =
        store->FindCommand(absl::StrCat("cmd-", i), "");
    EXPECT_TRUE(absl::IsAlreadyExists(found.status()) ||
                (found.ok() && found->has_value()))
        << "round " << round << ": " << found.status();
    absl::StatusOr<StreamHead> head =
        store->Head(absl::StrCat("complaint-", i));
    ASSERT_TRUE(head.ok()) << "round " << round << ": " << head.status();
    EXPECT_EQ(head->revision_last, 0u);
    EXPECT_TRUE(
        absl::IsAborted(store
                            ->Append(Request(absl::StrCat("complaint-", i), 1,
                                             ExpectedRevision::NoStream()))
                            .status()))
        << "round " << round;
    absl::StatusOr<AppendResult> retry = store->Append(
        Request(absl::StrCat("complaint-", i), 1, ExpectedRevision::NoStream(),
                absl::StrCat("cmd-", i)));
    ASSERT_TRUE(retry.ok()) << retry.status();
    EXPECT_TRUE(retry->duplicate) << "round " << round;
  }
  // And what was never written is not.
  EXPECT_TRUE(absl::IsNotFound(store->Head("complaint-none").status()));
  EXPECT_EQ(*store->FindCommand("cmd-none", ""), std::nullopt);
  EXPECT_EQ(store->log_head().position_last, uint64_t{kAppends});
}

TEST(EventStoreRecoveryTest, FlippedByteIsDataLossAtItsPosition) {
  testing::TempDir dir;
  constexpr uint64_t kVictim = 7;
  {
    auto store = MustOpen(dir.path());
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(store->Append(Request("complaint-1", 3)).ok());
    }
  }
  auto raw = RawDb::Open(dir.path());
  ASSERT_TRUE(raw.ok()) << raw.status();
  const absl::StatusOr<std::string> stored = (*raw)->GetRecord(kVictim);
  ASSERT_TRUE(stored.ok()) << stored.status();
  const std::string& original = *stored;
  // Every single-byte flip anywhere in the record is caught, by decoding or
  // by the hash, and never crashes.
  for (size_t offset = 0; offset < original.size(); ++offset) {
    std::string tampered = original;
    tampered[offset] = static_cast<char>(tampered[offset] ^ 0x01);
    ASSERT_TRUE((*raw)->PutRecord(kVictim, tampered).ok());
    auto store = MustOpen(dir.path(), /*read_only=*/true);
    ASSERT_NE(store, nullptr);

    auto page = store->ReadAll(1, 100);
    ASSERT_EQ(page.status().code(), absl::StatusCode::kDataLoss)
        << "offset " << offset;
    EXPECT_EQ(BrokenPosition(page.status()), kVictim) << page.status();
    auto stream = store->ReadStream("complaint-1", std::nullopt,
                                    ReadDirection::kForward, 100);
    EXPECT_EQ(stream.status().code(), absl::StatusCode::kDataLoss)
        << "offset " << offset;
    // Reads that do not touch it still work.
    EXPECT_TRUE(store->ReadAll(kVictim + 2, 100).ok());
    VerifyReport report = VerifyStore(*store);
    EXPECT_EQ(report.first_broken_position, kVictim) << report.status;
    EXPECT_EQ(report.events_verified, kVictim - 1);
  }
  ASSERT_TRUE((*raw)->PutRecord(kVictim, original).ok());
  auto store = MustOpen(dir.path(), /*read_only=*/true);
  EXPECT_TRUE(VerifyStore(*store).status.ok());
}

TEST(EventStoreRecoveryTest, CorruptLastRecordFailsOpenWithDataLoss) {
  testing::TempDir dir;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store->Append(Request("complaint-1", 3)).ok());
  }
  {
    auto raw = RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    std::string value = *(*raw)->GetRecord(3);
    value[value.size() / 2] ^= 0x20;
    ASSERT_TRUE((*raw)->PutRecord(3, value).ok());
  }
  auto store = EventStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BrokenPosition(store.status()), 3u);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

// Long scans check hashes on a helper thread; they must still visit events
// in order, only checked ones, and report the first broken record in log
// order whichever check finds it.
TEST(EventStoreRecoveryTest, LongScanStopsAtTheFirstBrokenRecord) {
  testing::TempDir dir;
  constexpr uint64_t kEvents = 20000;
  {
    auto store = MustOpen(dir.path());
    for (uint64_t i = 0; i < kEvents / 100; ++i) {
      ASSERT_TRUE(store->Append(testing::Request("complaint-1", 100)).ok());
    }
    uint64_t next = 1;
    ASSERT_TRUE(store
                    ->ScanAll(1, kEvents,
                              [&next](const v1::Event& e) {
                                EXPECT_EQ(e.position(), next++);
                                return true;
                              })
                    .ok());
    EXPECT_EQ(next, kEvents + 1);
  }
  constexpr uint64_t kBadHash = 9000;  // Decodes, wrong hash.
  constexpr uint64_t kUndecodable = 12000;
  {
    auto raw = testing::RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok());
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(*(*raw)->GetRecord(kBadHash)));
    event.set_payload("changed");
    ASSERT_TRUE((*raw)->PutRecord(kBadHash, event.SerializeAsString()).ok());
    ASSERT_TRUE((*raw)->PutRecord(kUndecodable, "\xff\xff\xff").ok());
  }
  auto scan_from = [&](uint64_t from) {
    auto store = MustOpen(dir.path(), /*read_only=*/true);
    uint64_t visited = 0;
    absl::Status s = store->ScanAll(from, kEvents, [&](const v1::Event& e) {
      EXPECT_EQ(e.position(), from + visited);
      ++visited;
      return true;
    });
    return std::make_pair(s, visited);
  };
  auto [status, visited] = scan_from(1);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BrokenPosition(status), kBadHash) << status;
  EXPECT_EQ(visited, kBadHash - 1);

  // A scan from the next position checks the broken one as its anchor.
  std::tie(status, visited) = scan_from(kBadHash + 1);
  EXPECT_EQ(BrokenPosition(status), kBadHash) << status;
  EXPECT_EQ(visited, 0u);

  std::tie(status, visited) = scan_from(kBadHash + 2);
  EXPECT_EQ(BrokenPosition(status), kUndecodable) << status;
  EXPECT_EQ(visited, kUndecodable - kBadHash - 2);

  auto store = MustOpen(dir.path(), /*read_only=*/true);
  VerifyReport report = VerifyStore(*store);
  EXPECT_EQ(report.first_broken_position, kBadHash);
  EXPECT_EQ(report.events_verified, kBadHash - 1);
}

// A record that cannot be decoded at the very start of a batch (here the
// second batch of 1,024) must still end the scan with DATA_LOSS, not look
// like the end of the log.
TEST(EventStoreRecoveryTest, LongScanReportsUndecodableRecordAtBatchStart) {
  testing::TempDir dir;
  constexpr uint64_t kEvents = 10000;
  constexpr uint64_t kBroken = 1 + 1024;
  {
    auto store = MustOpen(dir.path());
    for (uint64_t i = 0; i < kEvents / 100; ++i) {
      ASSERT_TRUE(store->Append(testing::Request("complaint-1", 100)).ok());
    }
  }
  {
    auto raw = testing::RawDb::Open(dir.path());
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->PutRecord(kBroken, "\xff\xff\xff").ok());
  }
  auto store = MustOpen(dir.path(), /*read_only=*/true);
  uint64_t visited = 0;
  absl::Status s = store->ScanAll(1, kEvents, [&visited](const v1::Event&) {
    ++visited;
    return true;
  });
  EXPECT_EQ(BrokenPosition(s), kBroken) << s;
  EXPECT_EQ(visited, kBroken - 1);
}

// A visitor that stops early ends the scan without error.
TEST(EventStoreRecoveryTest, ScanStopsWhenTheVisitorSaysSo) {
  testing::TempDir dir;
  auto store = MustOpen(dir.path());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store->Append(testing::Request("complaint-1", 100)).ok());
  }
  for (uint64_t limit : {uint64_t{100}, uint64_t{10000}}) {
    uint64_t visited = 0;
    EXPECT_TRUE(
        store
            ->ScanAll(5, limit,
                      [&visited](const v1::Event&) { return ++visited < 5000; })
            .ok());
    EXPECT_EQ(visited, std::min<uint64_t>(limit, 5000));
  }
}

}  // namespace
}  // namespace ledger
