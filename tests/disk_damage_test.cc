// A stopped ledger's files damaged one byte at a time: the store either
// opens with every acknowledged event intact and continues after them, or
// refuses appends with DATA_LOSS naming the damage. It never opens shorter
// than what it acknowledged and never hands out an acknowledged position
// again (issue 22's finding 1: a flipped WAL byte made RocksDB's default
// point-in-time recovery drop every event after it, silently).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/verify.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/raw_db.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;
using ::ledger::testing::RawDb;
using ::ledger::testing::Request;

// What the store acknowledged: the end of its log.
struct Acknowledged {
  uint64_t position_last = 0;
  std::string hash_last;
};

// A stopped store of `appends` appends of 3 events, with view rows; with
// `flushed`, the first half is in SST files (events, streams, commands,
// views) and the second in the WAL.
Acknowledged MakeStore(const std::string& dir, int appends, bool flushed) {
  auto append_some = [&](int from, int to) {
    // Its last writes left in the WAL, as a crash would leave them.
    EventStoreOptions options;
    options.flush_at_close = false;
    auto store = EventStore::Open(dir, options);
    EXPECT_TRUE(store.ok()) << store.status();
    for (int i = from; i < to; ++i) {
      EXPECT_TRUE((*store)
                      ->Append(Request(absl::StrCat("complaint-", i % 7), 3,
                                       ExpectedRevision::Any(),
                                       absl::StrCat("command-", i)))
                      .ok());
    }
    ViewChanges rows;
    rows.view = "queues";
    rows.puts = {{absl::StrCat("row-", to), "open"}};
    rows.checkpoint = (*store)->log_head().position_last;
    EXPECT_TRUE((*store)->views().WriteViews({rows}).ok());
    return (*store)->log_head();
  };
  LogHead head = append_some(0, flushed ? appends / 2 : appends);
  if (flushed) {
    {
      auto raw = RawDb::Open(dir);
      EXPECT_TRUE(raw.ok()) << raw.status();
      EXPECT_TRUE((*raw)->FlushAll().ok());
    }
    head = append_some(appends / 2, appends);
  }
  return Acknowledged{head.position_last, head.hash_last};
}

void FlipByte(const fs::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

// Opens the damaged copy and checks the promise; `what` names the flip.
// Returns true when the store refused (rather than opened whole).
bool OpensWholeOrRefuses(const std::string& dir, const Acknowledged& acked,
                         const std::string& what) {
  auto store = EventStore::Open(dir);
  if (!store.ok()) {
    // Nothing served at all: refused, naming the damage.
    EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss)
        << what << ": " << store.status();
    EXPECT_FALSE(store.status().message().empty()) << what;
    return true;
  }
  const VerifyReport report = VerifyStore(**store);
  auto next = (*store)->Append(Request("complaint-after", 1));
  if (!next.ok() && absl::StrContains(next.status().message(),
                                      "being rebuilt")) {
    // The writer found the stream index damaged: that append is
    // UNAVAILABLE, and the index is rebuilt from the log before the next.
    next = (*store)->Append(Request("complaint-after", 1));
  }
  if (!next.ok() && absl::StrContains(next.status().message(),
                                      "restart ledgerd")) {
    // A compaction read the damaged index file first and RocksDB stopped
    // writing: the next open rebuilds the index.
    store->reset();
    store = EventStore::Open(dir);
    if (!store.ok()) {
      ADD_FAILURE() << what << ": reopening to rebuild: " << store.status();
      return true;
    }
    next = (*store)->Append(Request("complaint-after", 1));
  }
  if (report.status.ok() && (*store)->damage().ok()) {
    // Opened whole: every acknowledged event, and the next position (or,
    // when the damage is in what is derived from the log, the stream
    // index or the command ids, an append refused naming it).
    EXPECT_EQ(report.position_last, acked.position_last) << what;
    EXPECT_EQ(report.hash_last, acked.hash_last) << what;
    if (next.ok()) {
      EXPECT_EQ(next->position_first, acked.position_last + 1) << what;
    } else {
      EXPECT_EQ(next.status().code(), absl::StatusCode::kDataLoss)
          << what << ": " << next.status();
    }
    return false;
  }
  // Refused: the damage is named, appends are DATA_LOSS, nothing appended.
  EXPECT_EQ((*store)->damage().code(), absl::StatusCode::kDataLoss)
      << what << ": verify said " << report.status;
  EXPECT_EQ(next.status().code(), absl::StatusCode::kDataLoss)
      << what << ": " << next.status();
  EXPECT_LE((*store)->log_head().position_last, acked.position_last) << what;
  return true;
}

void CopyDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

// The files of a stopped ledger, the views' own database's included, as
// paths relative to `dir`.
std::vector<fs::path> FilesOf(const std::string& dir,
                              const std::string& suffix = "") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || fs::file_size(entry.path()) == 0) continue;
    // RocksDB's own diagnostics, never read back.
    if (name.rfind("LOG", 0) == 0) continue;
    if (!suffix.empty() && !name.ends_with(suffix)) continue;
    // The log's WAL only, not the views'.
    if (!suffix.empty() && entry.path().parent_path() != fs::path(dir)) continue;
    files.push_back(fs::relative(entry.path(), dir));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A filesystem whose write-ahead-log files fail their fsyncs (as a disk
// going bad does) or their writes (ENOSPC) once told to.
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem()
      : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  std::atomic<bool> fail_sync{false};
  std::atomic<bool> fail_write{false};

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok() && name.ends_with(".log")) {
      *file = std::make_unique<FaultyFile>(std::move(*file), this);
    }
    return s;
  }

 private:
  class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file,
               FaultyFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_write) return rocksdb::IOStatus::NoSpace("injected");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_write) return rocksdb::IOStatus::NoSpace("injected");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_sync) return rocksdb::IOStatus::IOError("injected fsync");
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_sync) return rocksdb::IOStatus::IOError("injected fsync");
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FaultyFileSystem* fs_;
  };
};

// Appends until a fault, then checks that nothing was acknowledged past
// what is durable: every later append is refused, and a reopen (without
// the fault) holds every acknowledged event and continues after them.
void NothingUnsyncedIsAcknowledged(bool sync_fails) {
  testing::TempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  std::shared_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  std::vector<AppendResult> acknowledged;
  {
    EventStoreOptions options;
    options.env = env;
    auto store = EventStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 5; ++i) {
      auto r = (*store)->Append(Request("complaint-a", 2));
      ASSERT_TRUE(r.ok()) << r.status();
      acknowledged.push_back(*r);
    }
    (sync_fails ? fs->fail_sync : fs->fail_write) = true;
    auto failed = (*store)->Append(Request("complaint-a", 2));
    EXPECT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
        << failed.status();
    (sync_fails ? fs->fail_sync : fs->fail_write) = false;
    // Stopped: no append is taken until the store is reopened.
    auto after = (*store)->Append(Request("complaint-b", 1));
    EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable)
        << after.status();
    EXPECT_THAT(std::string(after.status().message()),
                ::testing::HasSubstr("stopped accepting appends"));
  }
  auto store = EventStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->damage().ok()) << (*store)->damage();
  const VerifyReport report = VerifyStore(**store);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_GE(report.position_last, acknowledged.back().position_last);
  for (const AppendResult& a : acknowledged) {
    auto page = (*store)->ReadAll(a.position_first, 2);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ((*page)[0].hash(), a.events[0].hash());
  }
  auto next = (*store)->Append(Request("complaint-a", 1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->position_first, report.position_last + 1);
}

TEST(DiskDamageTest, AFailedFsyncIsNeverAcknowledged) {
  NothingUnsyncedIsAcknowledged(/*sync_fails=*/true);
}

TEST(DiskDamageTest, AFullDiskIsNeverAcknowledged) {
  NothingUnsyncedIsAcknowledged(/*sync_fails=*/false);
}

TEST(DiskDamageTest, FlippedWalByteNeverOpensShort) {
  // The reproduction: 40 appends, one byte of the newest WAL
  // flipped, here at every 97th offset of it.
  testing::TempDir dir;
  const std::string pristine = dir.Sub("pristine");
  const Acknowledged acked = MakeStore(pristine, 40, /*flushed=*/false);
  std::vector<fs::path> wals = FilesOf(pristine, ".log");
  ASSERT_FALSE(wals.empty());
  const fs::path newest = wals.back();
  const uint64_t size = fs::file_size(fs::path(pristine) / newest);
  int refused = 0;
  int tried = 0;
  for (uint64_t offset = 0; offset < size; offset += 97, ++tried) {
    const std::string damaged = dir.Sub("damaged");
    CopyDir(pristine, damaged);
    FlipByte(fs::path(damaged) / newest, offset);
    refused += OpensWholeOrRefuses(
        damaged, acked, absl::StrCat(newest.string(), " offset ", offset));
  }
  // Nearly every byte of a WAL is an acknowledged record's.
  EXPECT_GT(refused, tried / 2) << refused << " of " << tried;
}

TEST(DiskDamageTest, TruncatedWalTailIsNoticedByTheAnchor) {
  // The last records cut off, as a torn tail would look: RocksDB drops
  // them without a word; the anchor notices.
  testing::TempDir dir;
  const Acknowledged acked = MakeStore(dir.path(), 10, /*flushed=*/false);
  std::vector<fs::path> wals = FilesOf(dir.path(), ".log");
  ASSERT_FALSE(wals.empty());
  const fs::path wal = fs::path(dir.path()) / wals.back();
  fs::resize_file(wal, fs::file_size(wal) / 2);
  auto store = EventStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  const absl::Status damage = (*store)->damage();
  EXPECT_EQ(damage.code(), absl::StatusCode::kDataLoss) << damage;
  EXPECT_NE(damage.message().find("LEDGER-ANCHOR"), absl::string_view::npos)
      << damage;
  EXPECT_EQ(BrokenPosition(damage), (*store)->log_head().position_last + 1);
  EXPECT_LT((*store)->log_head().position_last, acked.position_last);
  EXPECT_EQ((*store)->Append(Request("complaint-x", 1)).status().code(),
            absl::StatusCode::kDataLoss);
  // Verification reaches the intact end and reports what is missing.
  const VerifyReport report = VerifyStore(**store);
  EXPECT_EQ(report.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(report.events_verified, (*store)->log_head().position_last);
}

TEST(DiskDamageTest, OperatorAcceptsTheIntactLogAndTheDecisionIsAnEvent) {
  testing::TempDir dir;
  const Acknowledged acked = MakeStore(dir.path(), 10, /*flushed=*/false);
  std::vector<fs::path> wals = FilesOf(dir.path(), ".log");
  const fs::path wal = fs::path(dir.path()) / wals.back();
  fs::resize_file(wal, fs::file_size(wal) / 2);
  uint64_t intact = 0;
  {
    auto store = EventStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    intact = (*store)->log_head().position_last;
  }
  EventStoreOptions options;
  options.accept_log_end = intact + 1;  // Not where it ends: refused.
  EXPECT_EQ(EventStore::Open(dir.path(), options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  options.accept_log_end = intact;
  options.accepted_by = "operator-test";
  {
    auto store = EventStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_TRUE((*store)->damage().ok());
    auto accepted = (*store)->ReadStream("ledger-log", std::nullopt,
                                         ReadDirection::kForward, 10);
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    ASSERT_EQ(accepted->size(), 1u);
    EXPECT_EQ((*accepted)[0].event_type(), "ledger.v1.LogEndAccepted");
    EXPECT_EQ((*accepted)[0].position(), intact + 1);
    EXPECT_EQ((*accepted)[0].actor(), "operator-test");
    auto next = (*store)->Append(Request("complaint-after", 1));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->position_first, intact + 2);
  }
  // Sound from then on, without the flag; with it, refused.
  auto store = EventStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->damage().ok()) << (*store)->damage();
  EXPECT_TRUE(VerifyStore(**store).status.ok());
  (void)acked;
}

TEST(DiskDamageTest, ByteFlipsAcrossEveryFileOfAStoppedLedger) {
  // 240 flips at seeded random offsets spread over every file (WAL, SST
  // files of the log, index, command ids and views, MANIFEST, OPTIONS,
  // the anchor), each on a fresh copy.
  testing::TempDir dir;
  const std::string pristine = dir.Sub("pristine");
  const Acknowledged acked = MakeStore(pristine, 60, /*flushed=*/true);
  const std::vector<fs::path> files = FilesOf(pristine);
  ASSERT_GE(files.size(), 6u);
  std::mt19937_64 random(22);
  constexpr int kFlips = 240;
  int refused = 0;
  for (int i = 0; i < kFlips; ++i) {
    const fs::path& file = files[i % files.size()];
    const uint64_t offset =
        random() % fs::file_size(fs::path(pristine) / file);
    const std::string damaged = dir.Sub("damaged");
    CopyDir(pristine, damaged);
    FlipByte(fs::path(damaged) / file, offset);
    refused += OpensWholeOrRefuses(
        damaged, acked, absl::StrCat(file.string(), " offset ", offset));
  }
  std::printf("%d of %d flips refused, the rest opened whole\n", refused,
              kFlips);
}

// What a store holds of each stream, for comparing one with another.
std::map<std::string, std::vector<uint64_t>> StreamPositions(EventStore& store,
                                                              int streams) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (int i = 0; i < streams; ++i) {
    const std::string stream = absl::StrCat("complaint-", i);
    auto events =
        store.ReadStream(stream, std::nullopt, ReadDirection::kForward, 1000);
    if (!events.ok()) {
      out[stream] = {0};  // Unreadable.
      continue;
    }
    for (const v1::Event& e : *events) out[stream].push_back(e.position());
  }
  return out;
}

TEST(DiskDamageTest, DamagedStreamAndCommandIndexesAreRebuiltFromTheLog) {
  // Issue 22's finding 3: a flipped byte in the stream index (or the
  // command ids) made the ledger refuse to start, though both are derived
  // from the log. Every flip below, in an SST file of either, leaves a
  // store that opens sound, reads every stream whole, answers a retry with
  // its original result and appends after the acknowledged end.
  testing::TempDir dir;
  const std::string pristine = dir.Sub("pristine");
  const Acknowledged acked = MakeStore(pristine, 60, /*flushed=*/true);
  std::map<std::string, std::vector<uint64_t>> streams;
  AppendResult command_5;
  {
    auto store = EventStore::Open(pristine);
    ASSERT_TRUE(store.ok()) << store.status();
    streams = StreamPositions(**store, 7);
    auto retry = (*store)->Append(Request("complaint-5", 3,
                                          ExpectedRevision::Any(),
                                          "command-5"));
    ASSERT_TRUE(retry.ok() && retry->duplicate);
    command_5 = *retry;
  }
  std::vector<fs::path> files;
  {
    auto raw = RawDb::Open(pristine);
    ASSERT_TRUE(raw.ok()) << raw.status();
    for (int family : {internal::kStreams, internal::kCommands}) {
      for (const std::string& name : (*raw)->TableFiles(family)) {
        files.push_back(name);
      }
    }
  }
  ASSERT_GE(files.size(), 2u);
  std::mt19937_64 random(3);
  int healed = 0;
  int after_restart = 0;
  for (int i = 0; i < 40; ++i) {
    const fs::path& file = files[i % files.size()];
    const uint64_t size = fs::file_size(fs::path(pristine) / file);
    const uint64_t offset = random() % size;
    const std::string what = absl::StrCat(file.string(), " offset ", offset);
    const std::string damaged = dir.Sub("damaged");
    CopyDir(pristine, damaged);
    FlipByte(fs::path(damaged) / file, offset);
    // One pass of what a client does and sees. "restart": RocksDB stopped
    // writing (a compaction read the damaged file before anyone else did),
    // so the indexes refuse every read, never answering short, and the
    // next open rebuilds them; the pass is made again after it.
    auto pass = [&](EventStore& store) -> std::string {
      auto needs_restart = [](const absl::Status& s) {
        return absl::StrContains(s.message(), "restart ledgerd");
      };
      auto retry = store.Append(
          Request("complaint-5", 3, ExpectedRevision::Any(), "command-5"));
      if (!retry.ok() && absl::StrContains(retry.status().message(),
                                           "being rebuilt")) {
        // The writer found the damage itself: that append is
        // UNAVAILABLE, and the rebuild comes before its next one.
        retry = store.Append(
            Request("complaint-5", 3, ExpectedRevision::Any(), "command-5"));
      }
      if (!retry.ok() && needs_restart(retry.status())) return "restart";
      const auto positions = StreamPositions(store, 7);
      auto next = store.Append(Request("complaint-3", 1));
      if (!next.ok() && needs_restart(next.status())) return "restart";
      EXPECT_EQ(positions, streams) << what;
      EXPECT_TRUE(retry.ok()) << what << ": " << retry.status();
      if (retry.ok()) {
        EXPECT_TRUE(retry->duplicate) << what;
        EXPECT_EQ(retry->position_first, command_5.position_first) << what;
      }
      EXPECT_TRUE(next.ok()) << what << ": " << next.status();
      if (next.ok()) {
        EXPECT_EQ(next->position_first, acked.position_last + 1) << what;
        EXPECT_EQ(next->revision_first, streams["complaint-3"].size())
            << what;
      }
      return "";
    };
    auto store = EventStore::Open(damaged);
    ASSERT_TRUE(store.ok()) << what << ": " << store.status();
    EXPECT_TRUE((*store)->damage().ok()) << what << ": " << (*store)->damage();
    if (pass(**store) == "restart") {
      EXPECT_EQ((*store)
                    ->ReadStream("complaint-1", std::nullopt,
                                 ReadDirection::kForward, 10)
                    .status()
                    .code(),
                absl::StatusCode::kUnavailable)
          << what;
      store->reset();
      store = EventStore::Open(damaged);
      ASSERT_TRUE(store.ok()) << what << ": " << store.status();
      ++after_restart;
      EXPECT_EQ(pass(**store), "") << what;
    }
    const VerifyReport report = VerifyStore(**store);
    EXPECT_TRUE(report.status.ok()) << what << ": " << report.status;
    healed += !(*store)->index_rebuilt_after().empty();
  }
  std::printf("%d of 40 flips were found and the indexes rebuilt (%d of "
              "them at the next open); the rest hit no byte that is read\n",
              healed, after_restart);
}

}  // namespace
}  // namespace ledger
