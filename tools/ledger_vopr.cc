// ledger_vopr: the whole-system simulation (tools/sim/vopr.h) for as many
// steps as asked, in a scratch directory (removed unless it fails):
//   ledger_vopr --seed 7 --steps 10000000
// Prints progress, then the totals; on a difference between the ledger and
// the model, what differed, the seed and the step, and exits 1. The same
// seed and steps replay it exactly. The test command runs 100,000 steps
// (tests/vopr_test.cc); long runs are in BENCHMARKS.md ("Simulation").
#include <cstdio>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/sim/vopr.h"

ABSL_FLAG(uint64_t, seed, 1, "same seed, same run");
ABSL_FLAG(int64_t, steps, 100000, "steps to run");
ABSL_FLAG(int64_t, check_every, 2000,
          "compare the queues and station tables every this many steps");
ABSL_FLAG(int64_t, crash_every, 4000, "a power loss per this many steps, "
          "on average");
ABSL_FLAG(int64_t, fault_every, 8000, "a disk fault per this many steps, "
          "on average");
ABSL_FLAG(std::string, dir, "",
          "the ledger's directory (default: a new one under the temporary "
          "directory); kept when the run fails");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs the seeded whole-system simulation: ledger_vopr --seed S "
      "--steps N");
  absl::ParseCommandLine(argc, argv);
  ledger::sim::VoprOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.steps = absl::GetFlag(FLAGS_steps);
  options.check_every = absl::GetFlag(FLAGS_check_every);
  options.crash_every = absl::GetFlag(FLAGS_crash_every);
  options.fault_every = absl::GetFlag(FLAGS_fault_every);
  if (options.steps < 1 || options.check_every < 1 ||
      options.crash_every < 1 || options.fault_every < 1) {
    std::fprintf(stderr, "ledger_vopr: --steps and the --*_every flags must "
                         "be positive\n");
    return 2;
  }
  namespace fs = std::filesystem;
  options.dir = absl::GetFlag(FLAGS_dir);
  if (options.dir.empty()) {
    options.dir = (fs::temp_directory_path() /
                   absl::StrFormat("ledger_vopr-%d-%d", options.seed,
                                   absl::ToUnixNanos(absl::Now())))
                      .string();
  }
  if (fs::exists(options.dir) && !fs::is_empty(options.dir)) {
    std::fprintf(stderr, "ledger_vopr: %s is not empty\n",
                 options.dir.c_str());
    return 2;
  }
  const absl::Time start = absl::Now();
  auto result = ledger::sim::RunVopr(
      options, [&](const ledger::sim::VoprStats& s) {
        const double done = static_cast<double>(s.steps) / options.steps;
        const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
        std::fprintf(stderr, "ledger_vopr: %3.0f%%, %.0f s, ~%.0f s left: %s\n",
                     100 * done, elapsed, elapsed / done - elapsed,
                     ledger::sim::ToString(s).c_str());
      });
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("seed %llu: %s; %.1f s\n",
              static_cast<unsigned long long>(options.seed),
              ledger::sim::ToString(result.stats).c_str(), seconds);
  if (!result.status.ok()) {
    std::printf("DIFFERENCE: %s\nthe ledger is kept in %s\n",
                std::string(result.status.message()).c_str(),
                options.dir.c_str());
    return 1;
  }
  std::error_code ec;
  fs::remove_all(options.dir, ec);
  return 0;
}
