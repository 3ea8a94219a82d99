// ledger_bench: durable in-process appends and replay. A program that prints
// numbers, not a test (see BENCHMARKS.md).
//
// Append phase: --appenders threads, each keeping --inflight appends of
// --events_per_append events outstanding (AppendAsync), for --duration_s.
// Every append is durable (group commit, fsync) before it counts.
// Replay phase: the log is topped up to --replay_events with large appends,
// then read from position 1 with ReadAll, which decodes every record and
// checks its hash and its link to the one before.
// Head phase: 10,000 more streams of one event, the store reopened, then
// Head() of those streams, each read from RocksDB (no cache of heads yet).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/subscribe/subscription.h"
#include "tools/percentile.h"

ABSL_FLAG(int, appenders, 8, "concurrent appender threads");
ABSL_FLAG(int, inflight, 16,
          "appends each appender keeps outstanding, as a gRPC client "
          "multiplexes calls on one channel");
ABSL_FLAG(int, events_per_append, 1, "events in each append");
ABSL_FLAG(int, payload_bytes, 200, "payload size of each event");
ABSL_FLAG(double, duration_s, 5, "length of the append phase");
ABSL_FLAG(int64_t, replay_events, 1000000, "events in the log for replay");
ABSL_FLAG(bool, json, false, "print one JSON object");
ABSL_FLAG(int, subscribers, 0,
          "live subscribers (in process, no filter) during the append "
          "phase; reports their delivery lag");
ABSL_FLAG(std::string, data_dir, "",
          "where the store lives (default: a fresh temporary directory)");

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;

struct AppendStats {
  uint64_t events = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;
};

AppendRequest MakeRequest(int appender, uint64_t i, int events, int bytes) {
  AppendRequest request;
  request.stream_id = absl::StrCat("complaint-", appender, "-", i % 1000);
  for (int e = 0; e < events; ++e) {
    request.events.push_back({"ledger.v1.Replied",
                              std::string(static_cast<size_t>(bytes), 'p'),
                              "agent-bench", "", "", 1});
  }
  return request;
}

// One appender: keeps `inflight` appends outstanding until `stop`.
void Appender(EventStore& store, int id, const std::atomic<bool>& stop,
              std::vector<uint32_t>* latencies, std::atomic<uint64_t>* events) {
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const int per_append = absl::GetFlag(FLAGS_events_per_append);
  const int bytes = absl::GetFlag(FLAGS_payload_bytes);
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return outstanding < inflight; });
      ++outstanding;
    }
    const auto start = Clock::now();
    store.AppendAsync(
        MakeRequest(id, i, per_append, bytes),
        [&, start](absl::StatusOr<AppendResult> r) {
          if (!r.ok()) {
            std::fprintf(stderr, "append failed: %s\n",
                         r.status().ToString().c_str());
            std::abort();
          }
          const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              Clock::now() - start);
          events->fetch_add(r->position_last - r->position_first + 1);
          std::lock_guard<std::mutex> lock(mu);
          latencies->push_back(static_cast<uint32_t>(us.count()));
          --outstanding;
          cv.notify_one();
        });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
}

AppendStats RunAppends(EventStore& store) {
  const int appenders = absl::GetFlag(FLAGS_appenders);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> events{0};
  std::vector<std::vector<uint32_t>> latencies(appenders);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int a = 0; a < appenders; ++a) {
    threads.emplace_back(Appender, std::ref(store), a, std::cref(stop),
                         &latencies[a], &events);
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_duration_s)));
  stop = true;
  for (auto& t : threads) t.join();
  AppendStats stats;
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stats.events = events.load();
  for (auto& l : latencies) {
    stats.latencies_us.insert(stats.latencies_us.end(), l.begin(), l.end());
  }
  std::sort(stats.latencies_us.begin(), stats.latencies_us.end());
  return stats;
}

// Tops the log up to `target` events with large appends (not measured).
void Fill(EventStore& store, uint64_t target) {
  const int bytes = absl::GetFlag(FLAGS_payload_bytes);
  for (uint64_t i = 0; store.log_head().position_last < target; ++i) {
    const uint64_t missing = target - store.log_head().position_last;
    const int n =
        static_cast<int>(std::min<uint64_t>(missing, kMaxEventsPerAppend));
    AppendRequest request = MakeRequest(99, i, n, bytes);
    request.stream_id = absl::StrCat("fill-", i);
    if (!store.Append(std::move(request)).ok()) std::abort();
  }
}

// Streams "head-<i>" for the head phase, one event each (not measured).
constexpr uint64_t kHeadStreams = 10000;
void AddHeadStreams(EventStore& store) {
  std::vector<EventStore::AsyncAppend> appends;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t done = 0;
  for (uint64_t i = 0; i < kHeadStreams; ++i) {
    AppendRequest request = MakeRequest(98, 0, 1, 100);
    request.stream_id = absl::StrCat("head-", i);
    appends.push_back({std::move(request), [&](absl::StatusOr<AppendResult> r) {
                         if (!r.ok()) std::abort();
                         std::lock_guard<std::mutex> lock(mu);
                         if (++done == kHeadStreams) cv.notify_one();
                       }});
  }
  store.AppendAllAsync(std::move(appends));
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == kHeadStreams; });
}

// Head() of the head-phase streams in a scattered order, on a store just
// opened (its cache of heads empty; RocksDB's block cache warms up): what
// the writer pays for a stream it has not seen since the store opened.
// Returns µs per read.
double HeadReads(const EventStore& store) {
  constexpr uint64_t kReads = 20000;
  const auto start = Clock::now();
  for (uint64_t k = 0; k < kReads; ++k) {
    const uint64_t i = (k * 7919) % kHeadStreams;
    if (!store.Head(absl::StrCat("head-", i)).ok()) std::abort();
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
             .count() /
         kReads;
}

// Replays the whole log through ScanAll (the path of replays and
// projections); returns events per second.
double Replay(const EventStore& store, uint64_t* events) {
  const auto start = Clock::now();
  uint64_t n = 0;
  absl::Status s =
      store.ScanAll(1, store.log_head().position_last, [&n](const v1::Event&) {
        ++n;
        return true;
      });
  if (!s.ok()) {
    std::fprintf(stderr, "replay failed: %s\n", s.ToString().c_str());
    std::abort();
  }
  *events = n;
  return static_cast<double>(n) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

// Reads the whole log in ReadAll pages (the path the gRPC service serves,
// which copies each event into the page); returns events per second.
double ReadAllPages(const EventStore& store) {
  const auto start = Clock::now();
  uint64_t next = 1;
  while (true) {
    auto page = store.ReadAll(next, kMaxPageSize);
    if (!page.ok()) {
      std::fprintf(stderr, "ReadAll failed: %s\n",
                   page.status().ToString().c_str());
      std::abort();
    }
    if (page->empty()) break;
    next = page->back().position() + 1;
  }
  return static_cast<double>(next - 1) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

// A fresh directory for the store, removed at exit, unless --data_dir.
class BenchDir {
 public:
  BenchDir() : path_(absl::GetFlag(FLAGS_data_dir)) {
    if (!path_.empty()) return;
    std::string pattern = "/tmp/ledger-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
    owned_ = true;
  }
  ~BenchDir() {
    std::error_code ignored;
    if (owned_) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

double PerGroup(uint64_t total, const WriterStats& stats) {
  return stats.groups == 0
             ? 0
             : static_cast<double>(total) / static_cast<double>(stats.groups);
}

// Live subscribers for the length of the append phase, each measuring, for
// every 8th event it receives, the time since the event's recorded time
// (set by the writer just before the group's fsync): commit-to-delivery
// lag. Each also counts what it received.
class Subscribers {
 public:
  Subscribers(EventStore* store, SubscriptionHub* hub, int n)
      : lags_(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, store, hub, i] {
        SubscriptionOptions options;
        options.from_position = store->log_head().position_last + 1;
        options.heartbeat = absl::Milliseconds(100);
        Subscription subscription(store, hub, /*tagger=*/nullptr, options);
        std::vector<uint32_t>& lags = lags_[static_cast<size_t>(i)];
        lags.reserve(1 << 20);
        uint64_t n = 0;
        absl::Status s = subscription.Run(
            [&lags, &n](const v1::SubscribeResponse& r) {
              // Every 8th event: reading the clock for each would be the
              // benchmark's own cost, not the subscription's.
              if (r.has_event() && (n++ & 7) == 0) {
                lags.push_back(
                    static_cast<uint32_t>(absl::ToUnixMicros(absl::Now()) -
                                          r.event().recorded_time_us()));
              }
              return true;
            },
            [this] { return stop_.load(); });
        if (!s.ok())
          std::fprintf(stderr, "subscriber: %s\n", s.ToString().c_str());
        deliveries_ += n;
      });
    }
  }
  uint64_t deliveries() const { return deliveries_.load(); }
  // Stops them; the sampled lags, sorted.
  std::vector<uint32_t> Finish() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    std::vector<uint32_t> all;
    for (auto& l : lags_) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    return all;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> deliveries_{0};
  std::vector<std::vector<uint32_t>> lags_;
  std::vector<std::thread> threads_;
};

int Main() {
  BenchDir dir;
  SubscriptionHub hub(0);
  EventStoreOptions options;
  const int n_subscribers = absl::GetFlag(FLAGS_subscribers);
  if (n_subscribers > 0) {
    options.on_commit = [&hub](const EventBatch& b) { hub.Publish(b); };
  }
  auto opened = EventStore::Open(dir.path(), options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<EventStore> store = *std::move(opened);
  hub.Reset(store->log_head().position_last);
  auto subscribers =
      std::make_unique<Subscribers>(store.get(), &hub, n_subscribers);
  // Let them attach before the clock starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  AppendStats appends = RunAppends(*store);
  // Give the last deliveries a moment, then stop them.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::vector<uint32_t> lags = subscribers->Finish();
  const uint64_t deliveries = subscribers->deliveries();
  subscribers.reset();
  const WriterStats writer = store->writer_stats();
  Fill(*store, static_cast<uint64_t>(absl::GetFlag(FLAGS_replay_events)));
  uint64_t replayed = 0;
  const double replay_eps = Replay(*store, &replayed);
  const double read_all_eps = ReadAllPages(*store);
  AddHeadStreams(*store);
  store.reset();
  opened = EventStore::Open(dir.path());
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  const double head_read_us = HeadReads(**opened);
  opened->reset();  // Closes RocksDB before the directory goes.

  const double append_eps =
      static_cast<double>(appends.events) / appends.seconds;
  const uint32_t p50 = Percentile(appends.latencies_us, 0.50);
  const uint32_t p99 = Percentile(appends.latencies_us, 0.99);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf(
        "{\"appenders\":%d,\"inflight\":%d,\"events_per_append\":%d,"
        "\"payload_bytes\":%d,\"append_durable_eps\":%.0f,"
        "\"append_latency_us_p50\":%u,\"append_latency_us_p99\":%u,"
        "\"appends\":%zu,\"replay_events\":%lu,\"replay_eps\":%.0f,"
        "\"read_all_eps\":%.0f,\"head_read_us\":%.2f,"
        "\"group_events_avg\":%.1f,"
        "\"group_stage_us_avg\":%.0f,\"group_write_us_avg\":%.0f,"
        "\"subscribers\":%d,\"deliveries\":%lu,\"live_lag_us_p50\":%u,"
        "\"live_lag_us_p99\":%u}\n",
        absl::GetFlag(FLAGS_appenders), absl::GetFlag(FLAGS_inflight),
        absl::GetFlag(FLAGS_events_per_append),
        absl::GetFlag(FLAGS_payload_bytes), append_eps, p50, p99,
        appends.latencies_us.size(), replayed, replay_eps, read_all_eps,
        head_read_us, PerGroup(writer.events, writer),
        PerGroup(writer.stage_us, writer), PerGroup(writer.write_us, writer),
        n_subscribers, deliveries, Percentile(lags, 0.50),
        Percentile(lags, 0.99));
  } else {
    std::printf(
        "durable appends: %.0f events/s (%zu appends of %d events, "
        "%d appenders x %d in flight), latency p50 %u us, p99 %u us\n",
        append_eps, appends.latencies_us.size(),
        absl::GetFlag(FLAGS_events_per_append), absl::GetFlag(FLAGS_appenders),
        absl::GetFlag(FLAGS_inflight), p50, p99);
    std::printf(
        "group commits: %.1f events each, %.0f us staging, %.0f us "
        "in RocksDB Write (fsync included)\n",
        PerGroup(writer.events, writer), PerGroup(writer.stage_us, writer),
        PerGroup(writer.write_us, writer));
    std::printf(
        "replay (ScanAll): %.0f events/s over %lu events, each "
        "decoded, hashed and chain-checked\n",
        replay_eps, replayed);
    std::printf("ReadAll pages of %u: %.0f events/s\n", kMaxPageSize,
                read_all_eps);
    std::printf(
        "a stream's head read from RocksDB after a reopen (Head of %lu "
        "streams, scattered): %.2f us\n",
        static_cast<unsigned long>(kHeadStreams), head_read_us);
    if (n_subscribers > 0) {
      std::printf(
          "%d live subscribers: %lu deliveries (%.2f per subscriber per "
          "event), commit-to-delivery lag p50 %u us, p99 %u us\n",
          n_subscribers, deliveries,
          static_cast<double>(deliveries) / static_cast<double>(n_subscribers) /
              static_cast<double>(std::max<uint64_t>(appends.events, 1)),
          Percentile(lags, 0.50), Percentile(lags, 0.99));
    }
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
