// Subscriptions against a real store: catch-up then live under full-speed
// writers, filters and checkpoints, a stalled subscriber, limits.
#include "ledger/subscribe/subscription.h"

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "app/complaint_tags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/reference_events.pb.h"
#include "tests/test_util.h"

namespace ledger::testing {
namespace {

// What one subscriber received.
struct Received {
  std::vector<uint64_t> positions;  // Of events.
  std::vector<std::string> streams;
  std::vector<uint64_t> checkpoints;
  int caught_up = 0;
  int heartbeats = 0;
  uint64_t last_covered = 0;  // By an event or a checkpoint.
};

class SubscriptionTest : public ::testing::Test {
 protected:
  void Open(size_t max_subscribers = kMaxSubscribers,
            size_t buffer_events = kSubscriberBufferEvents) {
    hub_ = std::make_unique<SubscriptionHub>(0, max_subscribers, buffer_events);
    EventStoreOptions options;
    SubscriptionHub* hub = hub_.get();
    options.on_commit = [hub](const EventBatch& b) { hub->Publish(b); };
    auto store = EventStore::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    hub_->Reset(store_->log_head().position_last);
    tagger_ = std::make_unique<ComplaintTagger>(store_.get());
  }
  void SetUp() override { Open(); }
  void TearDown() override {
    if (store_) {
      ASSERT_TRUE(store_->Close().ok());
    }
  }

  // Runs a subscription until it has covered `until` (by events or
  // checkpoints), then stops it.
  Received Collect(SubscriptionOptions options, uint64_t until,
                   const std::function<void()>& on_first = nullptr) {
    Received got;
    Subscription subscription(store_.get(), hub_.get(), tagger_.get(),
                              std::move(options));
    bool first = true;
    absl::Status s = subscription.Run(
        [&](const v1::SubscribeResponse& r) {
          if (first && on_first) on_first();
          first = false;
          if (r.has_event()) {
            got.positions.push_back(r.event().position());
            got.streams.push_back(r.event().stream_id());
            got.last_covered = r.event().position();
          } else if (r.has_checkpoint()) {
            got.checkpoints.push_back(r.checkpoint().position());
            got.last_covered = r.checkpoint().position();
          } else if (r.has_caught_up()) {
            ++got.caught_up;
          } else if (r.has_heartbeat()) {
            ++got.heartbeats;
          }
          return got.last_covered < until;
        },
        [] { return false; });
    EXPECT_TRUE(s.ok()) << s;
    return got;
  }

  void Append(const std::string& stream, const std::string& type,
              const std::string& payload = "") {
    AppendRequest request;
    request.stream_id = stream;
    request.events.push_back(Event(type, payload));
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
  }

  // A ComplaintReceived for `stream` naming `station`.
  void Receive(const std::string& stream, const std::string& station) {
    v1::ComplaintReceived received;
    received.set_complaint_id(stream.substr(10));
    received.set_station_id(station);
    Append(stream, EventTypeOf<v1::ComplaintReceived>(),
           received.SerializeAsString());
  }

  TempDir dir_;
  std::unique_ptr<SubscriptionHub> hub_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintTagger> tagger_;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> v;
  for (uint64_t p = first; p <= last; ++p) v.push_back(p);
  return v;
}

TEST_F(SubscriptionTest, CatchUpThenLiveRaceDeliversEveryPositionOnceInOrder) {
  constexpr int kWriters = 8;
  constexpr int kAppendsPerWriter = 1500;  // 2 events each: 24,000 events.
  constexpr int kSubscribers = 6;
  constexpr uint64_t kTotal = kWriters * kAppendsPerWriter * 2;
  std::atomic<int> started{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        started = 1;
        ASSERT_TRUE(
            store_->Append(Request(absl::StrCat("s-", w, "-", i % 7), 2)).ok());
      }
    });
  }
  // Subscribers start while the writers run flat out, from the beginning
  // and from wherever the log is at that moment.
  std::vector<Received> got(kSubscribers);
  std::vector<uint64_t> from(kSubscribers, 1);
  std::vector<std::thread> subscribers;
  std::mt19937 random(42);
  for (int i = 0; i < kSubscribers; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 40));
    if (i % 2 == 1) from[i] = store_->log_head().position_last + 1;
    subscribers.emplace_back([&, i] {
      SubscriptionOptions options;
      options.from_position = from[i];
      got[i] = Collect(options, kTotal);
    });
  }
  for (auto& t : writers) t.join();
  for (auto& t : subscribers) t.join();
  ASSERT_EQ(store_->log_head().position_last, kTotal);
  for (int i = 0; i < kSubscribers; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].positions, Range(from[i], kTotal));
    EXPECT_EQ(got[i].caught_up, 1);
  }
}

TEST_F(SubscriptionTest, FiltersMatchStreamPrefixTypeAndStation) {
  Receive("complaint-1", "s1");
  Receive("complaint-2", "s2");
  Append("complaint-1", EventTypeOf<v1::Replied>());      // 3
  Append("complaint-2", EventTypeOf<v1::Replied>());      // 4
  Append("ref-org", EventTypeOf<v1::AgentRegistered>());  // 5
  v1::AssistRequested assist;
  assist.add_targets()->set_station_id("s1");
  Append("complaint-2", EventTypeOf<v1::AssistRequested>(),
         assist.SerializeAsString());                 // 6
  Append("complaint-3", EventTypeOf<v1::Replied>());  // 7: no intake

  struct Case {
    const char* name;
    v1::SubscriptionFilter filter;
    std::vector<uint64_t> positions;
  };
  std::vector<Case> cases(5);
  cases[0] = {"prefix ref-", {}, {5}};
  cases[0].filter.set_stream_prefix("ref-");
  cases[1] = {"one stream", {}, {2, 4, 6}};
  cases[1].filter.set_stream_id("complaint-2");
  cases[2] = {"type Replied (short name)", {}, {3, 4, 7}};
  cases[2].filter.add_event_types("Replied");
  cases[3] = {
      "station s1: its complaint and assist requests to it", {}, {1, 3, 6}};
  cases[3].filter.set_station_id("s1");
  cases[4] = {"station s2 and type Replied", {}, {4}};
  cases[4].filter.set_station_id("s2");
  cases[4].filter.add_event_types("ledger.v1.Replied");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SubscriptionOptions options;
    options.filter = c.filter;
    Received got = Collect(options, 7);
    EXPECT_EQ(got.positions, c.positions);
    // The stretch after the last match is covered by a checkpoint.
    EXPECT_EQ(got.last_covered, 7u);
  }
}

TEST_F(SubscriptionTest, HundredConcurrentSubscribersWithMixedFilters) {
  // The test's own record of what it wrote: stream -> station.
  std::map<std::string, std::string> station_of;
  auto write = [&](int i) {
    const std::string stream = absl::StrCat("complaint-", i % 40);
    if (!station_of.contains(stream)) {
      station_of[stream] = absl::StrCat("s", i % 3);
      Receive(stream, station_of[stream]);
    } else if (i % 5 == 0) {
      Append(absl::StrCat("ref-", i % 2), "test.Happened");
    } else {
      Append(stream, EventTypeOf<v1::Replied>());
    }
  };
  for (int i = 0; i < 600; ++i) write(i);

  constexpr int kSubscribers = 100;
  std::vector<SubscriptionOptions> options(kSubscribers);
  for (int i = 0; i < kSubscribers; ++i) {
    switch (i % 5) {
      case 0:
        break;  // Everything.
      case 1:
        options[i].filter.set_stream_prefix("ref-");
        break;
      case 2:
        options[i].filter.add_event_types("Replied");
        break;
      case 3:
        options[i].filter.set_station_id(absl::StrCat("s", i % 3));
        break;
      case 4:
        options[i].filter.set_stream_id(absl::StrCat("complaint-", i % 40));
    }
  }
  constexpr uint64_t kTotal = 1200;  // Positions, once the writer is done.
  std::vector<Received> got(kSubscribers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubscribers; ++i) {
    threads.emplace_back([&, i] { got[i] = Collect(options[i], kTotal); });
  }
  while (store_->log_head().position_last < kTotal) {
    write(static_cast<int>(store_->log_head().position_last));
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(store_->log_head().position_last, kTotal);

  auto log = ReadWholeLog(*store_);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < kSubscribers; ++i) {
    const v1::SubscriptionFilter& f = options[i].filter;
    std::vector<uint64_t> expected;
    for (const v1::Event& e : *log) {
      const bool complaint = e.stream_id().rfind("complaint-", 0) == 0;
      bool match = true;
      if (!f.stream_prefix().empty())
        match = e.stream_id().rfind("ref-", 0) == 0;
      if (!f.event_types().empty()) match = Is<v1::Replied>(e);
      if (!f.station_id().empty()) {
        match = complaint && station_of[e.stream_id()] == f.station_id();
      }
      if (!f.stream_id().empty()) match = e.stream_id() == f.stream_id();
      if (match) expected.push_back(e.position());
    }
    EXPECT_EQ(got[i].positions, expected) << "subscriber " << i;
    EXPECT_EQ(got[i].last_covered, kTotal) << "subscriber " << i;
  }
}

TEST_F(SubscriptionTest, BadFilterIsInvalidArgument) {
  SubscriptionOptions options;
  options.filter.add_event_types("NoSuchEvent");
  Subscription subscription(store_.get(), hub_.get(), tagger_.get(), options);
  absl::Status s =
      subscription.Run([](const auto&) { return true; }, [] { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("NoSuchEvent"));
}

TEST_F(SubscriptionTest, LiveFilteredStretchesStillAdvanceCheckpoints) {
  Append("complaint-1", "test.Happened");
  std::thread writer;
  SubscriptionOptions options;
  options.filter.set_stream_id("complaint-1");
  options.heartbeat = absl::Milliseconds(50);
  Received got = Collect(options, 3001, [&] {
    writer = std::thread([&] {
      for (int i = 0; i < 3000; ++i) Append("other", "test.Happened");
    });
  });
  writer.join();
  EXPECT_EQ(got.positions, std::vector<uint64_t>{1});
  EXPECT_FALSE(got.checkpoints.empty());
  EXPECT_EQ(got.last_covered, 3001u);
  for (size_t i = 1; i < got.checkpoints.size(); ++i) {
    EXPECT_GT(got.checkpoints[i], got.checkpoints[i - 1]);
  }
}

TEST_F(SubscriptionTest, IdleStreamGetsHeartbeats) {
  Append("complaint-1", "test.Happened");
  SubscriptionOptions options;
  options.heartbeat = absl::Milliseconds(20);
  Received got;
  Subscription subscription(store_.get(), hub_.get(), tagger_.get(), options);
  ASSERT_TRUE(subscription
                  .Run(
                      [&](const v1::SubscribeResponse& r) {
                        got.heartbeats += r.has_heartbeat();
                        got.caught_up += r.has_caught_up();
                        return got.heartbeats < 3;
                      },
                      [] { return false; })
                  .ok());
  EXPECT_EQ(got.caught_up, 1);
  EXPECT_EQ(got.heartbeats, 3);
}

TEST_F(SubscriptionTest, StalledSubscriberNeverBlocksWritersAndLosesNothing) {
  store_->Close().IgnoreError();
  store_.reset();
  Open(kMaxSubscribers, /*buffer_events=*/64);
  Append("complaint-0", "test.Happened");
  absl::Notification writers_done;
  std::thread writer;
  SubscriptionOptions options;
  constexpr uint64_t kTotal = 1 + 4 * 2000;
  Received got;
  std::atomic<bool> stalled{true};
  std::thread subscriber([&] {
    Subscription subscription(store_.get(), hub_.get(), tagger_.get(),
                              options);
    ASSERT_TRUE(
        subscription
            .Run(
                [&](const v1::SubscribeResponse& r) {
                  if (r.has_caught_up() && stalled.exchange(false)) {
                    // Live now: stop reading until the writers are
                    // done, far past the 64-event buffer.
                    writer = std::thread([&] {
                      std::vector<std::thread> w;
                      for (int t = 0; t < 4; ++t) {
                        w.emplace_back([&, t] {
                          for (int i = 0; i < 2000; ++i) {
                            Append(absl::StrCat("w", t), "test.Happened");
                          }
                        });
                      }
                      for (auto& x : w) x.join();
                      writers_done.Notify();
                    });
                    writers_done.WaitForNotification();
                  }
                  if (r.has_event()) {
                    got.positions.push_back(r.event().position());
                  }
                  return got.positions.empty() || got.positions.back() < kTotal;
                },
                [] { return false; })
            .ok());
  });
  subscriber.join();
  writer.join();
  EXPECT_EQ(got.positions, Range(1, kTotal));
  EXPECT_GE(hub_->overflows(), 1u);  // It did fall back to disk.
}

TEST_F(SubscriptionTest, OverTheSubscriberLimitIsResourceExhausted) {
  store_->Close().IgnoreError();
  store_.reset();
  Open(/*max_subscribers=*/2);
  auto a = hub_->Join();
  auto b = hub_->Join();
  ASSERT_TRUE(a.ok() && b.ok());
  Subscription third(store_.get(), hub_.get(), tagger_.get(), {});
  absl::Status s =
      third.Run([](const auto&) { return true; }, [] { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  a->reset();
  EXPECT_TRUE(hub_->Join().ok());
}

}  // namespace
}  // namespace ledger::testing
