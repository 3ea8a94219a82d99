// EventStore semantics: expected revisions, idempotent retries, atomic
// appends, limits, paging and reverse reads.
#include "ledger/store/event_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/store/chain.h"
#include "ledger/store/limits.h"
#include "ledger/store/verify.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ReadWholeLog;
using ::ledger::testing::Request;
using ::testing::HasSubstr;

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<FakeClock>(absl::FromUnixSeconds(1790000000));
    EventStoreOptions options;
    options.clock = clock_;
    auto store = EventStore::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  AppendResult MustAppend(AppendRequest request) {
    absl::StatusOr<AppendResult> result = store_->Append(std::move(request));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(AppendResult{});
  }

  uint64_t LogLength() { return store_->log_head().position_last; }

  testing::TempDir dir_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, FirstAppendStartsAtRevisionZeroAndPositionOne) {
  AppendResult r = MustAppend(Request("complaint-1", 3));
  EXPECT_EQ(r.position_first, 1u);
  EXPECT_EQ(r.position_last, 3u);
  EXPECT_EQ(r.revision_first, 0u);
  EXPECT_EQ(r.revision_last, 2u);
  EXPECT_FALSE(r.duplicate);

  absl::StatusOr<StreamHead> head = store_->Head("complaint-1");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->revision_last, 2u);
  EXPECT_EQ(head->position_last, 3u);
  EXPECT_EQ(LogLength(), 3u);
}

TEST_F(EventStoreTest, EventsCarryEnvelopeFieldsAndRecordedTimeFromClock) {
  AppendRequest request = Request("complaint-1", 1);
  request.command_id = "cmd-1";
  request.events[0].correlation_id = "corr";
  request.events[0].causation_id = "cause";
  request.events[0].schema_version = 3;
  MustAppend(std::move(request));

  auto events = store_->ReadStream("complaint-1", std::nullopt,
                                   ReadDirection::kForward, 0);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const v1::Event& e = (*events)[0];
  EXPECT_EQ(e.position(), 1u);
  EXPECT_EQ(e.stream_id(), "complaint-1");
  EXPECT_EQ(e.event_type(), "test.Happened");
  EXPECT_EQ(e.payload(), "complaint-1/payload-0");
  EXPECT_EQ(e.actor(), "agent-1");
  EXPECT_EQ(e.command_id(), "cmd-1");
  EXPECT_EQ(e.correlation_id(), "corr");
  EXPECT_EQ(e.causation_id(), "cause");
  EXPECT_EQ(e.schema_version(), 3u);
  EXPECT_EQ(e.recorded_time_us(), int64_t{1790000000} * 1000000);
  EXPECT_EQ(e.previous_hash(), GenesisHash());
  EXPECT_EQ(e.hash(), ComputeEventHash(e));
}

TEST_F(EventStoreTest, AppendHandsBackTheEventsAsWritten) {
  MustAppend(Request("complaint-0", 2));
  clock_->Advance(absl::Seconds(3));
  AppendRequest request = Request("complaint-1", 3);
  request.command_id = "cmd-1";
  const AppendResult r = MustAppend(request);
  auto stored = store_->ReadStream("complaint-1", std::nullopt,
                                   ReadDirection::kForward, 0);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(r.events.size(), 3u);
  ASSERT_EQ(stored->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    // Position, time, hashes and all: what a read gives.
    EXPECT_EQ(r.events[i].SerializeAsString(),
              (*stored)[i].SerializeAsString());
  }
  EXPECT_EQ(r.events[0].position(), 3u);
  // A retry is answered from the record of the first: nothing written, no
  // events handed back.
  const AppendResult retry = MustAppend(request);
  EXPECT_TRUE(retry.duplicate);
  EXPECT_TRUE(retry.events.empty());
}

TEST_F(EventStoreTest, EachAppendOfAGroupGetsItsOwnRunOfEvents) {
  // Queued back to back, the appends share group commits (and, with them,
  // the group's events); each must still get exactly its own.
  constexpr int kAppends = 60;
  absl::Mutex mu;
  std::vector<absl::StatusOr<AppendResult>> results(kAppends);
  int done = 0;
  for (int i = 0; i < kAppends; ++i) {
    store_->AppendAsync(Request(absl::StrCat("complaint-", i % 7), 1 + i % 3),
                        [&, i](absl::StatusOr<AppendResult> r) {
                          absl::MutexLock lock(&mu);
                          results[i] = std::move(r);
                          ++done;
                        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kAppends; }, &done));
  }
  absl::StatusOr<std::vector<v1::Event>> log = ReadWholeLog(*store_);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    const AppendResult& r = *results[i];
    ASSERT_EQ(r.events.size(), static_cast<size_t>(1 + i % 3)) << i;
    for (size_t k = 0; k < r.events.size(); ++k) {
      const v1::Event& e = r.events[k];
      EXPECT_EQ(e.stream_id(), absl::StrCat("complaint-", i % 7));
      EXPECT_EQ(e.position(), r.position_first + k);
      EXPECT_EQ(e.revision(), r.revision_first + k);
      EXPECT_EQ(e.SerializeAsString(),
                (*log)[e.position() - 1].SerializeAsString());
    }
  }
}

TEST_F(EventStoreTest, AppendAllAsyncIsEachAppendInOrder) {
  // Queued together: the invalid one is refused alone, and the second
  // creation of one stream loses to the first as it would queued one by one.
  AppendRequest invalid = Request("complaint-x", 1);
  invalid.stream_id.clear();
  std::vector<AppendRequest> requests;
  requests.push_back(Request("complaint-a", 2, ExpectedRevision::NoStream()));
  requests.push_back(std::move(invalid));
  requests.push_back(Request("complaint-b", 1, ExpectedRevision::NoStream()));
  requests.push_back(Request("complaint-a", 1, ExpectedRevision::NoStream()));
  requests.push_back(Request("complaint-a", 1));

  absl::Mutex mu;
  std::vector<absl::StatusOr<AppendResult>> results(
      requests.size(), absl::UnknownError("not done"));
  size_t done = 0;
  std::vector<EventStore::AsyncAppend> appends;
  for (size_t i = 0; i < requests.size(); ++i) {
    appends.push_back(EventStore::AsyncAppend{
        std::move(requests[i]), [&, i](absl::StatusOr<AppendResult> r) {
          absl::MutexLock lock(&mu);
          results[i] = std::move(r);
          ++done;
        }});
  }
  store_->AppendAllAsync(std::move(appends));
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](size_t* n) { return *n == 5; }, &done));
  }
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->position_first, 1u);
  EXPECT_EQ(results[0]->position_last, 2u);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ(results[2]->position_first, 3u);
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(results[4].ok()) << results[4].status();
  EXPECT_EQ(results[4]->stream_id, "complaint-a");
  EXPECT_EQ(results[4]->revision_first, 2u);
  EXPECT_EQ(results[4]->position_first, 4u);
  EXPECT_EQ(LogLength(), 4u);
}

TEST_F(EventStoreTest, NoStreamOnExistingStreamIsAbortedNamingRevision) {
  MustAppend(Request("complaint-1", 2));
  absl::StatusOr<AppendResult> r =
      store_->Append(Request("complaint-1", 1, ExpectedRevision::NoStream()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(r.status().message(), HasSubstr("revision 1"));
  EXPECT_EQ(LogLength(), 2u);
}

TEST_F(EventStoreTest, OfRacingAppendsToANewStreamExactlyOneCreatesIt) {
  // Each racer reads the (missing) head before queueing; the writer must
  // still see the stream the first of them created.
  constexpr int kRacers = 16;
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<AppendResult>> results(kRacers);
  for (int round = 0; round < 5; ++round) {
    const std::string stream = absl::StrCat("complaint-", round);
    threads.clear();
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        results[i] = store_->Append(
            Request(stream, 1 + i % 2, ExpectedRevision::NoStream()));
      });
    }
    for (auto& t : threads) t.join();
    int created = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++created;
        EXPECT_EQ(r->revision_first, 0u);
      } else {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
      }
    }
    EXPECT_EQ(created, 1) << stream;
  }
}

TEST_F(EventStoreTest, ANewStreamsHeadReadBeforeACacheClearIsReadAgain) {
  // An append expecting a new stream reads its head when queued. Here the
  // stream is created after that read, and then dropped from the writer's
  // cache of heads (two heads, started afresh by each large group), all
  // before the append is staged: the writer must not trust the old read.
  ASSERT_TRUE(store_->Close().ok());
  absl::Notification writer_held, release;
  std::atomic<bool> hold{true};
  EventStoreOptions options;
  options.max_cached_stream_heads = 2;
  options.on_commit = [&](CommittedEvents) {
    if (hold.exchange(false)) {
      writer_held.Notify();
      release.WaitForNotification();
    }
  };
  absl::StatusOr<std::unique_ptr<EventStore>> opened =
      EventStore::Open(dir_.path(), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EventStore& store = **opened;

  std::vector<absl::StatusOr<AppendResult>> results;
  std::vector<std::unique_ptr<absl::Notification>> done;
  auto queue = [&](AppendRequest request) {
    const size_t i = results.size();
    results.emplace_back(absl::UnknownError("not done"));
    done.push_back(std::make_unique<absl::Notification>());
    store.AppendAsync(std::move(request),
                      [&, i](absl::StatusOr<AppendResult> r) {
                        results[i] = std::move(r);
                        done[i]->Notify();
                      });
  };
  // Each group commit takes at most kMaxEventsPerCommit events: fill one.
  auto fill_group = [&](const std::string& name, size_t events) {
    for (int k = 0; events > 0; ++k) {
      const size_t n = std::min(events, kMaxEventsPerAppend);
      queue(Request(absl::StrCat(name, "-", k), n));
      events -= n;
    }
  };
  results.reserve(64);
  done.reserve(64);
  queue(Request("first", 1));
  writer_held.WaitForNotification();  // In the first group's on_commit.
  queue(Request("complaint-s", 1, ExpectedRevision::NoStream()));
  fill_group("creates-s", kMaxEventsPerCommit - 1);
  fill_group("drops-s", kMaxEventsPerCommit);
  const size_t late = results.size();
  queue(Request("complaint-s", 1, ExpectedRevision::NoStream()));
  release.Notify();
  for (auto& d : done) d->WaitForNotification();

  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_EQ(results[late].status().code(), absl::StatusCode::kAborted)
      << results[late].status();
  absl::StatusOr<StreamHead> head = store.Head("complaint-s");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->revision_last, 0u);
}

TEST_F(EventStoreTest, ExactRevisionAppendsWhenItMatches) {
  MustAppend(Request("complaint-1", 2, ExpectedRevision::NoStream()));
  AppendResult r =
      MustAppend(Request("complaint-1", 1, ExpectedRevision::Exact(1)));
  EXPECT_EQ(r.revision_first, 2u);
  EXPECT_EQ(r.position_first, 3u);
}

TEST_F(EventStoreTest, AppendWithStaleRevisionIsAbortedNamingCurrent) {
  MustAppend(Request("complaint-1", 3));
  absl::StatusOr<AppendResult> r =
      store_->Append(Request("complaint-1", 1, ExpectedRevision::Exact(0)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(r.status().message(), HasSubstr("it is at revision 2"));
}

TEST_F(EventStoreTest, ExactRevisionOnMissingStreamIsAborted) {
  absl::StatusOr<AppendResult> r =
      store_->Append(Request("complaint-9", 1, ExpectedRevision::Exact(0)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(r.status().message(), HasSubstr("does not exist"));
}

TEST_F(EventStoreTest, RetryWithSameCommandIdReturnsOriginalResult) {
  AppendResult first = MustAppend(
      Request("complaint-1", 2, ExpectedRevision::NoStream(), "cmd-a"));
  MustAppend(Request("complaint-1", 1));  // The stream moves on.
  // The retry's expected revision no longer holds; it still gets the
  // original result because the command already happened.
  AppendResult retry = MustAppend(
      Request("complaint-1", 2, ExpectedRevision::NoStream(), "cmd-a"));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.position_first, first.position_first);
  EXPECT_EQ(retry.position_last, first.position_last);
  EXPECT_EQ(retry.revision_first, first.revision_first);
  EXPECT_EQ(retry.revision_last, first.revision_last);
  EXPECT_EQ(LogLength(), 3u);
}

TEST_F(EventStoreTest, RetriesInOneGroupAppendOnce) {
  // Queue the same command many times at once so that several land in one
  // group commit.
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<AppendResult>> results(16);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = store_->Append(
          Request("complaint-1", 2, ExpectedRevision::Any(), "cmd-x"));
    });
  }
  for (auto& t : threads) t.join();
  int originals = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->position_first, 1u);
    originals += r->duplicate ? 0 : 1;
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(LogLength(), 2u);
}

TEST_F(EventStoreTest, SameCommandIdWithDifferentContentIsAlreadyExists) {
  MustAppend(Request("complaint-1", 1, ExpectedRevision::Any(), "cmd-a"));
  absl::StatusOr<AppendResult> other_stream = store_->Append(
      Request("complaint-2", 1, ExpectedRevision::Any(), "cmd-a"));
  EXPECT_EQ(other_stream.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other_stream.status().message(), HasSubstr("cmd-a"));

  AppendRequest other_payload =
      Request("complaint-1", 1, ExpectedRevision::Any(), "cmd-a");
  other_payload.events[0].payload = "something else";
  EXPECT_EQ(store_->Append(other_payload).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(LogLength(), 1u);
}

TEST_F(EventStoreTest, ARetryNamingAnotherStreamGetsTheFirstAppendsStream) {
  // A command that numbers its own complaint names a new stream each time
  // it is decided: its retry is still the first append, in the first stream.
  AppendRequest first =
      Request("complaint-1", 1, ExpectedRevision::NoStream(), "cmd-n");
  first.command_fingerprint = "receive:alice:hash-of-request";
  const AppendResult original = MustAppend(first);
  EXPECT_EQ(original.stream_id, "complaint-1");

  AppendRequest retry = first;
  retry.stream_id = "complaint-2";
  const AppendResult again = MustAppend(retry);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.stream_id, "complaint-1");
  EXPECT_EQ(again.position_first, original.position_first);
  absl::StatusOr<std::optional<AppendResult>> found =
      store_->FindCommand("cmd-n", first.command_fingerprint);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->stream_id, "complaint-1");
  EXPECT_EQ(LogLength(), 1u);
}

TEST_F(EventStoreTest, FingerprintRecognisesARetryWhoseEventsDiffer) {
  AppendRequest first =
      Request("complaint-1", 1, ExpectedRevision::Any(), "cmd-f");
  first.command_fingerprint = "receive:alice:hash-of-request";
  AppendResult original = MustAppend(first);

  // Decided again a moment later: same command, different stamped time.
  AppendRequest retry = first;
  retry.events[0].payload = "decided later";
  AppendResult again = MustAppend(retry);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.position_first, original.position_first);

  AppendRequest other = first;
  other.command_fingerprint = "receive:alice:another-request";
  EXPECT_EQ(store_->Append(other).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(LogLength(), 1u);
}

TEST_F(EventStoreTest, FindCommandAnswersBeforeDecidingAgain) {
  EXPECT_EQ(*store_->FindCommand("cmd-f", "fp"), std::nullopt);
  AppendRequest request =
      Request("complaint-7", 2, ExpectedRevision::Any(), "cmd-f");
  request.command_fingerprint = "fp";
  AppendResult original = MustAppend(request);

  absl::StatusOr<std::optional<AppendResult>> found =
      store_->FindCommand("cmd-f", "fp");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->stream_id, "complaint-7");
  EXPECT_TRUE((*found)->duplicate);
  EXPECT_EQ((*found)->position_last, original.position_last);
  EXPECT_EQ((*found)->revision_last, original.revision_last);

  absl::StatusOr<std::optional<AppendResult>> reused =
      store_->FindCommand("cmd-f", "other");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(reused.status().message(), HasSubstr("complaint-7"));
  // An id used by an append without a fingerprint is never "the same".
  MustAppend(Request("complaint-8", 1, ExpectedRevision::Any(), "cmd-e"));
  EXPECT_EQ(store_->FindCommand("cmd-e", "fp").status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(EventStoreTest, ViewRowsAndCheckpointsAreWrittenTogetherAndDropped) {
  EXPECT_EQ(*store_->views().ViewCheckpoint("queues"), 0u);
  ViewChanges queues{"queues", {{"c-1", "open"}, {"c-2", "open"}}, {}, 7};
  ViewChanges stations{"stations", {{"s1", "3"}}, {}, 7};
  ASSERT_TRUE(store_->views().WriteViews({queues, stations}).ok());
  ViewChanges next{"queues", {{"c-3", "open"}}, {"c-1"}, 9};
  ASSERT_TRUE(store_->views().WriteViews({next}).ok());
  EXPECT_EQ(*store_->views().ViewCheckpoint("queues"), 9u);
  EXPECT_EQ(*store_->views().ViewCheckpoint("stations"), 7u);
  std::vector<std::string> rows;
  ASSERT_TRUE(store_->views()
                  .ScanView("queues",
                            [&](absl::string_view k, absl::string_view v) {
                              rows.push_back(absl::StrCat(k, "=", v));
                              return true;
                            })
                  .ok());
  EXPECT_THAT(rows, ::testing::ElementsAre("c-2=open", "c-3=open"));
  ASSERT_TRUE(store_->views().DropView("queues").ok());
  rows.clear();
  ASSERT_TRUE(store_->views()
                  .ScanView("queues",
                            [&](absl::string_view k, absl::string_view v) {
                              rows.push_back(std::string(k));
                              return true;
                            })
                  .ok());
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(*store_->views().ViewCheckpoint("queues"), 0u);
  EXPECT_EQ(*store_->views().ViewCheckpoint("stations"), 7u);  // Untouched.
  EXPECT_EQ(store_->views().WriteViews({{"a/b", {}, {}, 1}}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, RejectedMultiEventAppendWritesNothing) {
  MustAppend(Request("complaint-1", 3));
  absl::StatusOr<AppendResult> r =
      store_->Append(Request("complaint-1", 5, ExpectedRevision::Exact(0)));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(LogLength(), 3u);
  EXPECT_EQ(store_->Head("complaint-1")->revision_last, 2u);
  auto all = ReadWholeLog(*store_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  // The next good append continues without a gap.
  AppendResult next =
      MustAppend(Request("complaint-1", 2, ExpectedRevision::Exact(2)));
  EXPECT_EQ(next.position_first, 4u);
  EXPECT_EQ(next.revision_first, 3u);
}

TEST_F(EventStoreTest, RequestsOverALimitAreInvalidArgument) {
  struct Case {
    std::string name;
    AppendRequest request;
  };
  std::vector<Case> cases;
  cases.push_back({"empty stream id", Request("", 1)});
  cases.push_back(
      {"long stream id", Request(std::string(kMaxStreamIdBytes + 1, 's'), 1)});
  cases.push_back({"space in stream id", Request("complaint 1", 1)});
  cases.push_back({"NUL in stream id", Request(std::string("a\0b", 3), 1)});
  cases.push_back({"no events", Request("complaint-1", 0)});
  cases.push_back(
      {"too many events", Request("complaint-1", kMaxEventsPerAppend + 1)});
  AppendRequest big = Request("complaint-1", 1);
  big.events[0].payload.assign(kMaxEventBytes + 1, 'x');
  cases.push_back({"event too big", big});
  AppendRequest heavy = Request("complaint-1", 20);
  for (auto& e : heavy.events) e.payload.assign(kMaxEventBytes - 100, 'x');
  cases.push_back({"append too big", heavy});
  AppendRequest no_type = Request("complaint-1", 1);
  no_type.events[0].event_type.clear();
  cases.push_back({"empty event type", no_type});
  AppendRequest zero_schema = Request("complaint-1", 1);
  zero_schema.events[0].schema_version = 0;
  cases.push_back({"schema version 0", zero_schema});
  cases.push_back(
      {"long command id", Request("complaint-1", 1, ExpectedRevision::Any(),
                                  std::string(kMaxCommandIdBytes + 1, 'c'))});
  AppendRequest long_actor = Request("complaint-1", 1);
  long_actor.events[0].actor.assign(kMaxActorBytes + 1, 'a');
  cases.push_back({"long actor", long_actor});

  for (Case& c : cases) {
    absl::StatusOr<AppendResult> r = store_->Append(std::move(c.request));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_FALSE(r.status().message().empty()) << c.name;
  }
  EXPECT_EQ(LogLength(), 0u);
  EXPECT_EQ(store_->ReadAll(1, kMaxPageSize + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_
                ->ReadStream("complaint-1", std::nullopt,
                             ReadDirection::kForward, kMaxPageSize + 1)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Head("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, ReadAllPagesThroughTheLog) {
  for (int i = 0; i < 25; ++i) {
    MustAppend(Request(absl::StrCat("complaint-", i % 4), 10));
  }
  std::vector<size_t> page_sizes;
  uint64_t next = 1;
  while (true) {
    auto page = store_->ReadAll(next, 100);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    page_sizes.push_back(page->size());
    for (const v1::Event& e : *page) EXPECT_EQ(e.position(), next++);
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{100, 100, 50}));
  // Default page size, and reading from the middle.
  EXPECT_EQ(store_->ReadAll(0, 0)->size(), kDefaultPageSize);
  auto tail = store_->ReadAll(241, 0);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 10u);
  EXPECT_EQ(tail->front().position(), 241u);
  EXPECT_TRUE(store_->ReadAll(251, 10)->empty());
  EXPECT_TRUE(store_->ReadAll(100000, 10)->empty());
}

TEST_F(EventStoreTest, PagesStopAtTheByteLimit) {
  for (int i = 0; i < 40; ++i) {
    AppendRequest r = Request("complaint-big", 1);
    r.events[0].payload.assign(kMaxEventBytes - 1000, 'x');
    MustAppend(std::move(r));
  }
  auto page = store_->ReadAll(1, kMaxPageSize);
  ASSERT_TRUE(page.ok());
  const size_t per_page = kMaxPageBytes / (kMaxEventBytes - 1000) + 1;
  EXPECT_EQ(page->size(), per_page);
  auto stream = store_->ReadStream("complaint-big", std::nullopt,
                                   ReadDirection::kForward, kMaxPageSize);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->size(), per_page);
}

TEST_F(EventStoreTest, ReadStreamForwardAndBackwardFromARevision) {
  for (int i = 0; i < 5; ++i) {
    MustAppend(Request("complaint-a", 2));
    MustAppend(Request("complaint-b", 1));
  }
  auto revisions = [](const absl::StatusOr<std::vector<v1::Event>>& events) {
    std::vector<uint64_t> out;
    for (const auto& e : *events) {
      EXPECT_EQ(e.stream_id(), "complaint-a");
      out.push_back(e.revision());
    }
    return out;
  };
  using V = std::vector<uint64_t>;
  auto fwd = store_->ReadStream("complaint-a", 3, ReadDirection::kForward, 4);
  ASSERT_TRUE(fwd.ok()) << fwd.status();
  EXPECT_EQ(revisions(fwd), (V{3, 4, 5, 6}));
  auto back_end = store_->ReadStream("complaint-a", std::nullopt,
                                     ReadDirection::kBackward, 3);
  EXPECT_EQ(revisions(back_end), (V{9, 8, 7}));
  auto back_from =
      store_->ReadStream("complaint-a", 2, ReadDirection::kBackward, 10);
  EXPECT_EQ(revisions(back_from), (V{2, 1, 0}));
  auto past_end =
      store_->ReadStream("complaint-a", 10, ReadDirection::kForward, 10);
  EXPECT_TRUE(past_end->empty());
  auto missing = store_->ReadStream("complaint-zzz", std::nullopt,
                                    ReadDirection::kForward, 10);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  // A stream whose id is a prefix of another's reads only its own events.
  MustAppend(Request("complaint", 1));
  auto prefix = store_->ReadStream("complaint", std::nullopt,
                                   ReadDirection::kBackward, 10);
  ASSERT_EQ(prefix->size(), 1u);
  EXPECT_EQ((*prefix)[0].stream_id(), "complaint");
}

TEST_F(EventStoreTest, HeadOfUnknownStreamIsNotFound) {
  EXPECT_EQ(store_->Head("complaint-404").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EventStoreTest, ChainLinksEveryEventToTheOneBefore) {
  for (int i = 0; i < 10; ++i) MustAppend(Request("complaint-1", 3));
  VerifyReport report = VerifyStore(*store_);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_verified, 30u);
  EXPECT_EQ(report.hash_last, store_->log_head().hash_last);
}

TEST_F(EventStoreTest, WriterStatsCountGroupsAppendsAndWrittenEvents) {
  MustAppend(Request("complaint-1", 3));
  MustAppend(Request("complaint-1", 2));
  ASSERT_TRUE(absl::IsAborted(
      store_->Append(Request("complaint-1", 4, ExpectedRevision::NoStream()))
          .status()));
  WriterStats stats = store_->writer_stats();
  // Sequential appends: one group each; the refused one writes nothing.
  EXPECT_EQ(stats.groups, 3u);
  EXPECT_EQ(stats.appends, 3u);
  EXPECT_EQ(stats.events, 5u);
}

TEST_F(EventStoreTest, AppendAfterCloseIsUnavailable) {
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(store_->Append(Request("complaint-1", 1)).status().code(),
            absl::StatusCode::kUnavailable);
  // A new stream's head is read before the append is queued: not after.
  EXPECT_EQ(
      store_->Append(Request("complaint-2", 1, ExpectedRevision::NoStream()))
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
}

TEST_F(EventStoreTest, AppendToReadOnlyStoreIsFailedPrecondition) {
  MustAppend(Request("complaint-1", 1));
  EventStoreOptions options;
  options.read_only = true;
  auto reader = EventStore::Open(dir_.path(), options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->Append(Request("complaint-1", 1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->log_head().position_last, 1u);
}

// RocksDB's memory is what the options say, for the three databases
// together: one block cache (its capacity the same under each), and one
// memtable budget, past which memtables are written out early. The same
// writes to a store with the default budget (64 MiB memtables) leave every
// entry in the active memtables; under a 4 MiB budget some were switched
// out (RocksDB switches a memtable on the write that passes the budget).
TEST(StoreMemoryTest, OneCacheAndOneMemtableBudgetForTheThreeDatabases) {
  auto entries_after_writes = [](const std::string& dir, size_t cache_bytes,
                                 size_t memtable_bytes, uint64_t* active) {
    EventStoreOptions options;
    options.block_cache_bytes = cache_bytes;
    options.memtable_bytes = memtable_bytes;
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    // 6,000 events of ~2 KB: ~12 MB.
    const std::string payload(2000, 'x');
    for (int i = 0; i < 60; ++i) {
      AppendRequest request;
      request.stream_id = absl::StrCat("complaint-", i);
      for (int k = 0; k < 100; ++k) {
        request.events.push_back(testing::Event("Noted", payload));
      }
      ASSERT_TRUE((*store)->Append(std::move(request)).ok());
    }
    std::map<std::string, uint64_t> capacity;
    *active = 0;
    for (const DbProperty& p : (*store)->db_properties()) {
      if (p.name == "rocksdb.block-cache-capacity") capacity[p.db] = p.value;
      if (p.name == "rocksdb.num-entries-active-mem-table" && p.db == "log") {
        *active = p.value;
      }
    }
    EXPECT_EQ(capacity,
              (std::map<std::string, uint64_t>{{"app_state", cache_bytes},
                                               {"log", cache_bytes},
                                               {"views", cache_bytes}}));
  };
  testing::TempDir dir;
  uint64_t active_default = 0;
  entries_after_writes(dir.Sub("default"), kDefaultBlockCacheBytes,
                       kDefaultMemtableBytes, &active_default);
  uint64_t active_budgeted = 0;
  entries_after_writes(dir.Sub("budgeted"), size_t{3} << 20, size_t{4} << 20,
                       &active_budgeted);
  EXPECT_GE(active_default, 6000u);  // At least each event's own entry.
  EXPECT_LT(active_budgeted, active_default);
}

}  // namespace
}  // namespace ledger
