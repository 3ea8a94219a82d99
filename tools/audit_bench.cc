// audit_bench: the Merkle tree's proofs at scale. A program that prints
// numbers, not a test (BENCHMARKS.md, "Verifiable audit").
//
// Fills a store in --data_dir to --events events (appends of
// --events_per_append events of --payload_bytes, the writer keeping the
// tree and signing checkpoints with --signing_key, made if missing), then
// reopens it (RocksDB's block cache empty) and times, in process (the
// server's share of an RPC, without gRPC), --proofs inclusion proofs of
// random positions and consistency proofs from random sizes, both to the
// latest checkpoint: p50, p99 and the worst, for the first 1,000 of each
// (cold) and for all. A store already filled is reused, so the slow part
// runs once.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/signed_note.h"
#include "tools/percentile.h"

ABSL_FLAG(std::string, data_dir, "/var/tmp/ledger-audit-bench",
          "the store (kept; filled only up to --events)");
ABSL_FLAG(std::string, signing_key, "",
          "the log's signing key (default: DATA_DIR.key, made if missing)");
ABSL_FLAG(uint64_t, events, 10000000, "events in the log");
ABSL_FLAG(int, events_per_append, 100, "events in each fill append");
ABSL_FLAG(int, payload_bytes, 200, "payload size of each event");
ABSL_FLAG(int, proofs, 100000, "proofs of each kind timed");

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<std::shared_ptr<const NoteSigner>> LoadOrMakeKey(
    const std::string& path) {
  if (!std::filesystem::exists(path)) {
    auto keys = GenerateNoteKey("bench.example/ledger");
    if (!keys.ok()) return keys.status();
    std::ofstream(path) << keys->first << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto signer = NoteSigner::Parse(absl::StripAsciiWhitespace(text.str()));
  if (!signer.ok()) return signer.status();
  return std::make_shared<const NoteSigner>(*std::move(signer));
}

// Appends until the log holds `target` events, many appends in flight.
void Fill(EventStore& store, uint64_t target) {
  const int per = absl::GetFlag(FLAGS_events_per_append);
  const std::string payload(absl::GetFlag(FLAGS_payload_bytes), 'p');
  const auto start = Clock::now();
  const uint64_t first = store.log_head().position_last;
  uint64_t next_report = 0;
  for (uint64_t round = 0; store.log_head().position_last < target; ++round) {
    const uint64_t have = store.log_head().position_last;
    std::vector<EventStore::AsyncAppend> appends;
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    const uint64_t want = std::min<uint64_t>(target - have, 50 * per);
    for (uint64_t put = 0; put < want; put += per) {
      AppendRequest request;
      request.stream_id = absl::StrCat("complaint-", round, "-", put / per);
      const uint64_t n = std::min<uint64_t>(per, want - put);
      for (uint64_t e = 0; e < n; ++e) {
        request.events.push_back(
            {"ledger.v1.Replied", payload, "agent-bench", "", "", 1});
      }
      appends.push_back(
          {std::move(request), [&](absl::StatusOr<AppendResult> r) {
             if (!r.ok()) {
               std::fprintf(stderr, "append: %s\n",
                            r.status().ToString().c_str());
               std::abort();
             }
             std::lock_guard<std::mutex> lock(mu);
             ++done;
             cv.notify_one();
           }});
    }
    const size_t total = appends.size();
    store.AppendAllAsync(std::move(appends));
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == total; });
    const uint64_t now_at = store.log_head().position_last;
    if (now_at >= next_report) {
      next_report += 1000000;
      const double s =
          std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "fill: %lu of %lu events, %.0f events/s\n",
                   static_cast<unsigned long>(now_at),
                   static_cast<unsigned long>(target),
                   static_cast<double>(now_at - first) / std::max(s, 1e-9));
    }
  }
}

struct Timings {
  std::vector<double> cold_us, all_us;
  size_t hashes = 0;
};

void Print(const char* what, Timings& t) {
  std::sort(t.cold_us.begin(), t.cold_us.end());
  std::sort(t.all_us.begin(), t.all_us.end());
  std::printf(
      "%-11s first %zu after reopen: p50 %.1f µs, p99 %.1f µs, max %.1f µs; "
      "all %zu: p50 %.1f µs, p99 %.1f µs, max %.1f µs; %.1f hashes a proof\n",
      what, t.cold_us.size(), Percentile(t.cold_us, 0.5),
      Percentile(t.cold_us, 0.99), t.cold_us.empty() ? 0 : t.cold_us.back(),
      t.all_us.size(), Percentile(t.all_us, 0.5), Percentile(t.all_us, 0.99),
      t.all_us.back(), static_cast<double>(t.hashes) / t.all_us.size());
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  std::string key_path = absl::GetFlag(FLAGS_signing_key);
  if (key_path.empty()) key_path = dir + ".key";
  auto signer = LoadOrMakeKey(key_path);
  if (!signer.ok()) {
    std::fprintf(stderr, "%s\n", signer.status().ToString().c_str());
    return 1;
  }
  const uint64_t target = absl::GetFlag(FLAGS_events);
  {
    EventStoreOptions options;
    options.checkpoint_signer = *signer;
    auto store = EventStore::Open(dir, options);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    const auto start = Clock::now();
    const uint64_t had = (*store)->log_head().position_last;
    Fill(**store, target);
    if ((*store)->log_head().position_last > had) {
      const double s =
          std::chrono::duration<double>(Clock::now() - start).count();
      std::printf(
          "filled %lu events in %.1f s (%.0f events/s, tree and "
          "checkpoints kept)\n",
          static_cast<unsigned long>((*store)->log_head().position_last - had),
          s, ((*store)->log_head().position_last - had) / s);
    }
  }
  EventStoreOptions options;
  options.checkpoint_signer = *signer;
  const auto open_start = Clock::now();
  auto store = EventStore::Open(dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  const double open_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - open_start)
          .count();
  auto latest = (*store)->LatestCheckpoint();
  if (!latest.ok()) {
    std::fprintf(stderr, "%s\n", latest.status().ToString().c_str());
    return 1;
  }
  const uint64_t n = latest->size;
  std::printf("log of %lu events, latest checkpoint %lu, reopened in %.0f ms\n",
              static_cast<unsigned long>((*store)->log_head().position_last),
              static_cast<unsigned long>(n), open_ms);
  const int proofs = absl::GetFlag(FLAGS_proofs);
  if (proofs <= 0) return 0;
  std::mt19937_64 random(42);
  Timings inclusion, consistency;
  for (int i = 0; i < proofs; ++i) {
    const uint64_t position = 1 + random() % n;
    auto t0 = Clock::now();
    auto proof = (*store)->InclusionProof(position, n);
    const double us =
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (!proof.ok()) {
      std::fprintf(stderr, "%s\n", proof.status().ToString().c_str());
      return 1;
    }
    inclusion.hashes += proof->size();
    if (i < 1000) inclusion.cold_us.push_back(us);
    inclusion.all_us.push_back(us);

    const uint64_t from = 1 + random() % n;
    t0 = Clock::now();
    auto cproof = (*store)->ConsistencyProof(from, n);
    const double cus =
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (!cproof.ok()) {
      std::fprintf(stderr, "%s\n", cproof.status().ToString().c_str());
      return 1;
    }
    consistency.hashes += cproof->size();
    if (i < 1000) consistency.cold_us.push_back(cus);
    consistency.all_us.push_back(cus);
  }
  Print("inclusion", inclusion);
  Print("consistency", consistency);
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
