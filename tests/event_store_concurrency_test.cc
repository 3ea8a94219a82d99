// Many appenders at once: the single writer keeps positions gap-free, each
// stream's revisions contiguous, and the chain whole.
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "ledger/base/work_pool.h"
#include "ledger/store/event_store.h"
#include "ledger/store/verify.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ReadWholeLog;
using ::ledger::testing::Request;

TEST(EventStoreConcurrencyTest, EightThreadsOnOverlappingStreams) {
  testing::TempDir dir;
  auto store = EventStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();

  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 300;
  constexpr int kStreams = 5;
  std::vector<std::vector<AppendResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        const std::string stream =
            absl::StrCat("complaint-", (t + i) % kStreams);
        const size_t events = 1 + (i % 3);
        // Half the appends use optimistic concurrency and retry on conflict.
        absl::StatusOr<AppendResult> r;
        if (i % 2 == 0) {
          r = (*store)->Append(Request(stream, events));
        } else {
          do {
            auto head = (*store)->Head(stream);
            ExpectedRevision expected =
                head.ok() ? ExpectedRevision::Exact(head->revision_last)
                          : ExpectedRevision::NoStream();
            r = (*store)->Append(Request(stream, events, expected));
          } while (absl::IsAborted(r.status()));
        }
        ASSERT_TRUE(r.ok()) << r.status();
        results[t].push_back(*r);
      }
    });
  }
  for (auto& t : threads) t.join();

  auto log = ReadWholeLog(**store);
  ASSERT_TRUE(log.ok()) << log.status();
  uint64_t expected_events = 0;
  for (const auto& per_thread : results) {
    for (const AppendResult& r : per_thread) {
      expected_events += r.position_last - r.position_first + 1;
    }
  }
  ASSERT_EQ(log->size(), expected_events);

  std::map<std::string, uint64_t> next_revision;
  for (size_t i = 0; i < log->size(); ++i) {
    const v1::Event& e = (*log)[i];
    EXPECT_EQ(e.position(), i + 1) << "positions are gap-free";
    EXPECT_EQ(e.revision(), next_revision[e.stream_id()]++)
        << "revisions of " << e.stream_id() << " are contiguous";
  }
  // Each append's events are contiguous in the log and in its stream.
  for (const auto& per_thread : results) {
    for (const AppendResult& r : per_thread) {
      const v1::Event& first = (*log)[r.position_first - 1];
      const v1::Event& last = (*log)[r.position_last - 1];
      EXPECT_EQ(first.stream_id(), last.stream_id());
      EXPECT_EQ(first.revision(), r.revision_first);
      EXPECT_EQ(last.revision(), r.revision_last);
    }
  }
  for (const auto& [stream, next] : next_revision) {
    EXPECT_EQ((*store)->Head(stream)->revision_last, next - 1);
  }
  VerifyReport report = VerifyStore(**store);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_verified, expected_events);
}

// What a group's callbacks schedule on a WorkPool (ComplaintService's
// answers) reaches the pool in one piece once they have all run: one
// wake-up of one reply thread a group, not one an answer.
TEST(EventStoreConcurrencyTest, AGroupsCallbacksScheduleOnAPoolInOnePiece) {
  testing::TempDir dir;
  auto store = EventStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  WorkPool replies("test-replies", 2);
  absl::Mutex mu;
  int answered = 0;
  absl::Notification all_answered;
  std::vector<uint64_t> positions;
  // Queued at once: the writer takes them as one group.
  std::vector<EventStore::AsyncAppend> appends;
  for (int i = 0; i < 3; ++i) {
    appends.push_back(EventStore::AsyncAppend{
        Request(absl::StrCat("complaint-", i), 1),
        [&](absl::StatusOr<AppendResult> r) {
          EXPECT_TRUE(r.ok()) << r.status();
          const uint64_t position = r.ok() ? r->position_first : 0;
          replies.Schedule([&, position] {
            absl::MutexLock lock(&mu);
            positions.push_back(position);
            if (++answered == 3) all_answered.Notify();
          });
        }});
  }
  (*store)->AppendAllAsync(std::move(appends));
  all_answered.WaitForNotification();
  EXPECT_EQ((*store)->writer_stats().groups, 1);
  EXPECT_EQ(replies.pieces_enqueued(), 1);
  // In the order the appends were written, on one reply thread.
  absl::MutexLock lock(&mu);
  EXPECT_EQ(positions, (std::vector<uint64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace ledger
