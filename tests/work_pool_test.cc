// WorkPool: work runs in order; a Batch hands a pool its work in one piece
// at its end.
#include "ledger/base/work_pool.h"

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger {
namespace {

using ::testing::ElementsAre;

// What the pieces of work did, in the order they did it.
struct Record {
  absl::Mutex mu;
  std::vector<std::string> done ABSL_GUARDED_BY(mu);
  std::vector<std::thread::id> threads ABSL_GUARDED_BY(mu);

  std::function<void()> Note(std::string what) {
    return [this, what] {
      absl::MutexLock lock(&mu);
      done.push_back(what);
      threads.push_back(std::this_thread::get_id());
    };
  }
  std::vector<std::string> Done() {
    absl::MutexLock lock(&mu);
    return done;
  }
};

TEST(WorkPoolTest, RunsEveryPieceInOrderBeforeItsDestructorReturns) {
  Record record;
  {
    WorkPool pool("test-pool", 1);
    for (const char* what : {"a", "b", "c"}) pool.Schedule(record.Note(what));
    EXPECT_EQ(pool.pieces_enqueued(), 3);
  }
  EXPECT_THAT(record.Done(), ElementsAre("a", "b", "c"));
}

TEST(WorkPoolTest, ABatchHandsEachPoolItsWorkInOnePieceAtItsEnd) {
  Record record;
  {
    WorkPool replies("test-replies", 2);
    WorkPool others("test-others", 1);
    {
      WorkPool::Batch batch;
      replies.Schedule(record.Note("reply 1"));
      others.Schedule(record.Note("other 1"));
      replies.Schedule(record.Note("reply 2"));
      replies.Schedule(record.Note("reply 3"));
      // Held back: not one piece has reached either pool.
      EXPECT_EQ(replies.pieces_enqueued(), 0);
      EXPECT_EQ(others.pieces_enqueued(), 0);
      EXPECT_TRUE(record.Done().empty());
    }
    // One piece each, the replies' three in the order given.
    EXPECT_EQ(replies.pieces_enqueued(), 1);
    EXPECT_EQ(others.pieces_enqueued(), 1);
    // After the batch, work goes to the pool at once again.
    replies.Schedule(record.Note("reply 4"));
    EXPECT_EQ(replies.pieces_enqueued(), 2);
  }
  // The batch's three replies ran in the order given, on one thread.
  absl::MutexLock lock(&record.mu);
  ASSERT_EQ(record.done.size(), 5);
  std::vector<std::string> replies;
  std::vector<std::thread::id> reply_threads;
  for (size_t i = 0; i < record.done.size(); ++i) {
    if (record.done[i].starts_with("reply ") && record.done[i] != "reply 4") {
      replies.push_back(record.done[i]);
      reply_threads.push_back(record.threads[i]);
    }
  }
  EXPECT_THAT(replies, ElementsAre("reply 1", "reply 2", "reply 3"));
  ASSERT_EQ(reply_threads.size(), 3);
  EXPECT_EQ(reply_threads[0], reply_threads[1]);
  EXPECT_EQ(reply_threads[1], reply_threads[2]);
}

TEST(WorkPoolTest, ABatchHoldsOnlyItsOwnThreadsWork) {
  Record record;
  {
    WorkPool pool("test-pool", 1);
    WorkPool::Batch batch;
    pool.Schedule(record.Note("held"));
    // Another thread's work goes straight to the pool.
    std::thread([&] { pool.Schedule(record.Note("not held")); }).join();
    EXPECT_EQ(pool.pieces_enqueued(), 1);
  }  // The batch ends first, then the pool runs what is queued.
  EXPECT_THAT(record.Done(), ElementsAre("not held", "held"));
}

TEST(WorkPoolTest, ABatchInsideAnotherHandsOverItsOwnWorkAtItsEnd) {
  Record record;
  {
    WorkPool pool("test-pool", 1);
    {
      WorkPool::Batch outer;
      pool.Schedule(record.Note("outer"));
      {
        WorkPool::Batch inner;
        pool.Schedule(record.Note("inner"));
      }
      EXPECT_EQ(pool.pieces_enqueued(), 1);  // The inner one's.
      // Held by the outer batch again once the inner one ended.
      pool.Schedule(record.Note("outer again"));
      EXPECT_EQ(pool.pieces_enqueued(), 1);
    }
    EXPECT_EQ(pool.pieces_enqueued(), 2);
  }
  EXPECT_THAT(record.Done(), ElementsAre("inner", "outer", "outer again"));
}

}  // namespace
}  // namespace ledger
