// Child process of crash_test: appends from several threads until killed,
// and writes one line per event to stdout only after its append returned:
//   <position> <stream> <revision> <payload>
// Each append's lines go out in one write(2) under a lock, so a line is
// either whole or absent when the parent kills this process. Beside them,
// one more thread writes a projection view "crash" (at checkpoint k: rows
// at=k and r-k, r-(k-1) deleted) and saves a durable subscription checkpoint
// "crash", reported once saved:
//   sub <position>
// With CLOSE_AFTER_MS it stops by itself after that long instead: its
// threads finish their writes and the store closes.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/store/event_store.h"

int main(int argc, char** argv) {
  int close_after_ms = 0;
  if ((argc != 3 && argc != 4) ||
      (argc == 4 && !absl::SimpleAtoi(argv[3], &close_after_ms))) {
    std::fprintf(stderr,
                 "usage: crash_appender DATA_DIR RUN_ID [CLOSE_AFTER_MS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string run_id = argv[2];
  std::atomic<bool> stop{false};
  auto store = ledger::EventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_appender: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // At least once, even when stopped at once: a run with a clean stop
      // always acknowledges something, whatever the machine's speed.
      for (uint64_t i = 0; i == 0 || !stop.load(); ++i) {
        ledger::AppendRequest request;
        request.stream_id = absl::StrCat("crash-", t, "-", i % 3);
        for (uint64_t j = 0; j < 1 + i % 3; ++j) {
          request.events.push_back(
              {"test.CrashEvent", absl::StrCat(run_id, "-", t, "-", i, "-", j),
               "crash_appender", "", "", 1});
        }
        auto result = (*store)->Append(request);
        if (!result.ok()) {
          std::fprintf(stderr, "crash_appender: %s\n",
                       result.status().ToString().c_str());
          std::_Exit(1);
        }
        std::string lines;
        for (uint64_t j = 0; j < request.events.size(); ++j) {
          absl::StrAppend(&lines, result->position_first + j, " ",
                          request.stream_id, " ", result->revision_first + j,
                          " ", request.events[j].payload, "\n");
        }
        std::lock_guard<std::mutex> lock(out_mu);
        if (write(STDOUT_FILENO, lines.data(), lines.size()) !=
            static_cast<ssize_t>(lines.size())) {
          std::_Exit(1);
        }
      }
    });
  }
  threads.emplace_back([&] {
    auto view = (*store)->views().ViewCheckpoint("crash");
    auto sub = (*store)->views().LoadCheckpoint("crash");
    if (!view.ok() || !sub.ok()) std::_Exit(1);
    // At least once, even when stopped at once.
    for (uint64_t k = *view + 1, s = *sub + 1;; ++k, ++s) {
      ledger::ViewChanges changes;
      changes.view = "crash";
      changes.puts = {{"at", absl::StrCat(k)}, {absl::StrCat("r-", k), "x"}};
      changes.deletes = {absl::StrCat("r-", k - 1)};
      changes.checkpoint = k;
      absl::Status written = (*store)->views().WriteViews({changes});
      if (written.ok()) written = (*store)->views().SaveCheckpoint("crash", s);
      if (!written.ok()) {
        std::fprintf(stderr, "crash_appender: %s\n",
                     written.ToString().c_str());
        std::_Exit(1);
      }
      const std::string line = absl::StrCat("sub ", s, "\n");
      {
        std::lock_guard<std::mutex> lock(out_mu);
        if (write(STDOUT_FILENO, line.data(), line.size()) !=
            static_cast<ssize_t>(line.size())) {
          std::_Exit(1);
        }
      }
      if (stop.load()) break;
    }
  });
  if (close_after_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(close_after_ms));
    stop.store(true);
  }
  for (auto& t : threads) t.join();
  const absl::Status closed = (*store)->Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "crash_appender: %s\n", closed.ToString().c_str());
    return 1;
  }
  return 0;
}
