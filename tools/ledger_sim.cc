// ledger_sim: a call centre's traffic (tools/sim/workload.h), seeded, either
// through the real gRPC API of a running ledgerd (--target host:port; on a
// ledgerd started with --simulated_clock the events carry the plan's times,
// on any other the server's clock stamps them) or written straight into a
// ledger directory through the same rules in this process (--data_dir; the
// plan's clock, for building large ledgers fast, e.g. the 1,000,000-case
// ledger of the projection benchmarks). Same seed, same commands.
#include <cstdio>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "app/complaint_app.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/store/event_store.h"
#include "ledger/store/version.h"
#include "rpc/channel.h"
#include "tools/progress.h"
#include "tools/sim/in_process.h"
#include "tools/sim/over_grpc.h"
#include "tools/sim/workload.h"

ABSL_FLAG(uint64_t, seed, 1, "same seed, same commands");
ABSL_FLAG(int, cases, 1000, "cases to take in");
ABSL_FLAG(std::string, first_month, "2026-09", "YYYY-MM of the first intake");
ABSL_FLAG(int, months, 3, "months the intakes spread over");
ABSL_FLAG(int, stations, 5, "distribution stations");
ABSL_FLAG(int, customers, 0, "distinct customers (0: cases / 2.5)");
ABSL_FLAG(std::string, target, "", "host:port of a ledgerd to drive");
ABSL_FLAG(std::string, identity, "",
          "with --target: TLS and each actor's token from this directory "
          "(ca.pem, tokens/AGENT.token, as tools/dev_identity.sh makes "
          "them); a new ledger's --bootstrap_head must be h1");
ABSL_FLAG(std::string, data_dir, "",
          "instead of --target: write into this ledger directory in process "
          "(no ledgerd may have it open)");

namespace ledger {
namespace {

int Main() {
  sim::WorkloadOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.cases = absl::GetFlag(FLAGS_cases);
  options.months = absl::GetFlag(FLAGS_months);
  options.stations = absl::GetFlag(FLAGS_stations);
  options.customers = absl::GetFlag(FLAGS_customers) > 0
                          ? absl::GetFlag(FLAGS_customers)
                          : std::max(1, options.cases * 2 / 5);
  if (!absl::ParseCivilTime(absl::GetFlag(FLAGS_first_month),
                            &options.first_month)) {
    std::fprintf(stderr, "ledger_sim: --first_month wants YYYY-MM\n");
    return 2;
  }
  if (options.cases < 1 || options.months < 1 || options.stations < 1 ||
      absl::GetFlag(FLAGS_target).empty() ==
          absl::GetFlag(FLAGS_data_dir).empty()) {
    std::fprintf(stderr,
                 "ledger_sim: give --target or --data_dir, and positive "
                 "--cases, --months, --stations\n");
    return 2;
  }
  const sim::Workload workload = sim::PlanWorkload(options);
  const absl::Time start = absl::Now();
  int refused = 0;
  absl::Status s;
  const char* clock = "the plan's clock";
  if (!absl::GetFlag(FLAGS_target).empty()) {
    bool on_plan_clock = false;
    // Each actor as themselves (all the same without --identity).
    std::map<std::string, ClientSecurity> security;
    for (const sim::Step& step : workload.steps) security[step.actor];
    security[sim::kWorkloadHead];
    if (const std::string dir = absl::GetFlag(FLAGS_identity); !dir.empty()) {
      for (auto& [actor, loaded] : security) {
        absl::StatusOr<ClientSecurity> read = LoadIdentity(dir, actor);
        if (!read.ok()) {
          std::string actors;
          for (const auto& [name, unused] : security) {
            absl::StrAppend(&actors, " ", name);
          }
          std::fprintf(stderr,
                       "ledger_sim: %s\nledger_sim: the plan's actors need "
                       "tokens: tools/dev_identity.sh %s%s\n",
                       std::string(read.status().message()).c_str(),
                       dir.c_str(), actors.c_str());
          return 2;
        }
        loaded = *std::move(read);
      }
    }
    const std::string target = absl::GetFlag(FLAGS_target);
    // Each actor's channel made once, for every slice.
    std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
    for (auto& [actor, secure] : security) {
      channels[actor] = MakeChannel(target, secure);
    }
    // In slices, with progress.
    constexpr size_t kSlice = 2000;
    const size_t total = workload.steps.size();
    Progress progress("ledger_sim: steps", total);
    for (size_t first = 0; first < total && s.ok(); first += kSlice) {
      const size_t last = std::min(first + kSlice, total);
      s = sim::RunOverGrpc(
          workload, first, last,
          [&](const std::string& actor) { return channels.at(actor); },
          &refused, &on_plan_clock);
      progress.Update(last);
    }
    progress.Finish();
    if (!on_plan_clock) {
      clock =
          "the server's clock (start ledgerd with --simulated_clock for the "
          "plan's)";
    }
  } else {
    // In slices, with progress: a million cases take a while.
    Progress progress("ledger_sim: steps", workload.steps.size());
    s = sim::RunOnDataDir(
        workload, absl::GetFlag(FLAGS_data_dir), &refused,
        [&progress](size_t done, size_t) { progress.Update(done); });
    progress.Finish();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "ledger_sim: %s\n", s.ToString().c_str());
    return 1;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf(
      "ledger_sim: %d cases, %zu commands (%d refused as planned: malicious "
      "marks on cases that are no repeat) in %.1f s, %.0f commands/s, on "
      "%s\n",
      options.cases, workload.steps.size(), refused, seconds,
      static_cast<double>(workload.steps.size()) / seconds, clock);
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledger_sim --target HOST:PORT | --data_dir DIR [--seed S --cases N "
      "--first_month YYYY-MM --months M]");
  ledger::SetVersionFlag("ledger_sim");
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
