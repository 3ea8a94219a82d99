// Crash test (after leveldb's fault_injection_test): a child process appends
// in a loop and reports each event only after its append returned; we
// SIGKILL it at random moments, at least 50 times, and after every kill
// reopen the store: every reported event is there with the same content,
// and the chain verifies. Projection views written beside the appends are
// never torn from their checkpoint nor behind what a clean stop kept (a
// store that wrote them without RocksDB's WAL would lose their latest
// writes to a kill, and must still pass), and the durable subscription
// checkpoints beside them keep every saved position. The seed is printed;
// LEDGER_CRASH_SEED replays it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/store/event_store.h"
#include "ledger/store/verify.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

struct Reported {
  std::string stream;
  uint64_t revision;
  std::string payload;
};

// Runs the appender for `run_for`, then SIGKILLs it (or, `stop_cleanly`,
// lets it stop and close the store by itself); returns what it wrote.
std::string RunAndKill(const std::string& dir, int run,
                       std::chrono::milliseconds run_for,
                       bool stop_cleanly = false) {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  std::vector<std::string> argv = {CRASH_APPENDER_PATH, dir,
                                   absl::StrCat("run", run)};
  if (stop_cleanly) argv.push_back(absl::StrCat(run_for.count() + 1));
  const pid_t pid = testing::Spawn(argv, fds[1]);
  close(fds[1]);

  std::string output;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  bool killed = false;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (!killed && !stop_cleanly && now >= deadline) {
      kill(pid, SIGKILL);
      killed = true;
    }
    const int timeout_ms =
        killed || (stop_cleanly && now >= deadline)
            ? 1000
            : static_cast<int>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - now)
                      .count()) +
                  1;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;  // EOF: the child is gone and the pipe drained.
    output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  const int status = testing::WaitFor(pid);
  if (stop_cleanly) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "the appender did not stop cleanly (status " << status << ")";
  } else {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the appender died on its own (status " << status << ")";
  }
  return output;
}

void Parse(const std::string& output, std::map<uint64_t, Reported>* reported,
           uint64_t* saved) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    uint64_t sub = 0;
    if (f.size() == 2 && f[0] == "sub" && absl::SimpleAtoi(f[1], &sub)) {
      *saved = std::max(*saved, sub);
      continue;
    }
    uint64_t position = 0, revision = 0;
    // A torn last line cannot happen (one write per append), but a line
    // must be whole to count.
    if (f.size() != 4 || !absl::SimpleAtoi(f[0], &position) ||
        !absl::SimpleAtoi(f[2], &revision)) {
      continue;
    }
    auto [it, inserted] =
        reported->emplace(position, Reported{f[1], revision, f[3]});
    EXPECT_TRUE(inserted) << "position " << position
                          << " was acknowledged twice";
  }
}

TEST(CrashTest, AcknowledgedAppendsSurviveSigkill) {
  std::random_device device;
  uint32_t seed = device();
  if (const char* s = getenv("LEDGER_CRASH_SEED")) {
    ASSERT_TRUE(absl::SimpleAtoi(s, &seed));
  }
  std::printf("crash test seed: %u (LEDGER_CRASH_SEED=%u replays it)\n", seed,
              seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> run_ms(0, 150);

  testing::TempDir dir;
  const std::string data = dir.Sub("ledger");
  std::map<uint64_t, Reported> reported;
  uint64_t saved = 0;  // The highest subscription checkpoint reported.
  uint64_t views_kept = 0;
  // 50 kills, and a clean stop after every ten.
  constexpr int kRuns = 55;
  int kills = 0;
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE(absl::StrCat("run ", run, ", seed ", seed));
    // Now and then a clean stop, after which the views must hold at least
    // what the stop wrote, whatever the kills after it lose.
    const bool stop_cleanly = run % 11 == 10;
    kills += !stop_cleanly;
    Parse(RunAndKill(data, run, std::chrono::milliseconds(run_ms(rng)),
                     stop_cleanly),
          &reported, &saved);

    auto store = EventStore::Open(data);
    ASSERT_TRUE(store.ok()) << store.status();
    VerifyReport report = VerifyStore(**store);
    ASSERT_TRUE(report.status.ok()) << report.status;
    auto log = testing::ReadWholeLog(**store);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const auto& [position, r] : reported) {
      ASSERT_LE(position, log->size()) << "acknowledged position lost";
      const v1::Event& e = (*log)[position - 1];
      ASSERT_EQ(e.stream_id(), r.stream) << "position " << position;
      ASSERT_EQ(e.revision(), r.revision) << "position " << position;
      ASSERT_EQ(e.payload(), r.payload) << "position " << position;
    }

    absl::StatusOr<uint64_t> sub = (*store)->views().LoadCheckpoint("crash");
    ASSERT_TRUE(sub.ok()) << sub.status();
    EXPECT_GE(*sub, saved) << "a saved subscription checkpoint was lost";
    absl::StatusOr<uint64_t> at = (*store)->views().ViewCheckpoint("crash");
    ASSERT_TRUE(at.ok()) << at.status();
    std::vector<std::string> rows;
    ASSERT_TRUE((*store)
                    ->views().ScanView("crash",
                               [&](absl::string_view k, absl::string_view v) {
                                 rows.push_back(absl::StrCat(k, "=", v));
                                 return true;
                               })
                    .ok());
    if (*at == 0) {
      EXPECT_TRUE(rows.empty()) << "rows without their checkpoint";
    } else {
      EXPECT_THAT(rows, ::testing::ElementsAre(absl::StrCat("at=", *at),
                                               absl::StrCat("r-", *at, "=x")))
          << "the view's rows are not those of its checkpoint " << *at;
    }
    if (stop_cleanly) {
      EXPECT_GT(*at, views_kept) << "a clean stop did not keep the views";
    } else {
      EXPECT_GE(*at, views_kept) << "a kill lost views flushed before it";
    }
    views_kept = *at;
  }
  std::printf(
      "crash test: %d kills, %d clean stops, %zu acknowledged events checked, "
      "subscription checkpoint %llu saved, view at %llu after the last run\n",
      kills, kRuns - kills, reported.size(),
      static_cast<unsigned long long>(saved),
      static_cast<unsigned long long>(views_kept));
  EXPECT_GT(reported.size(), 0u);
  EXPECT_GT(saved, 0u);
}

}  // namespace
}  // namespace ledger
