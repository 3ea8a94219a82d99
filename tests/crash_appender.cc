// Child process of crash_test: appends from several threads until killed,
// and writes one line per event to stdout only after its append returned:
//   <position> <stream> <revision> <payload>
// Each append's lines go out in one write(2) under a lock, so a line is
// either whole or absent when the parent kills this process.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/store/event_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_appender DATA_DIR RUN_ID\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string run_id = argv[2];
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
      for (uint64_t i = 0;; ++i) {
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
  for (auto& t : threads) t.join();
  return 0;
}
