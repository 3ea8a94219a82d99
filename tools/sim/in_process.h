// Runs a planned workload through a ComplaintApp in this process, the clock
// set to each step's time: for tests that want ten thousand cases in
// seconds. ledger_sim drives the same plan over gRPC.
#ifndef LEDGER_TOOLS_SIM_IN_PROCESS_H_
#define LEDGER_TOOLS_SIM_IN_PROCESS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "app/complaint_app.h"
#include "ledger/base/clock.h"
#include "tools/sim/workload.h"

namespace ledger::sim {

// Steps [first, last) of `workload`, as RunSteps (workload.h) says.
absl::Status RunInProcess(const Workload& workload, size_t first, size_t last,
                          ComplaintApp* app, FakeClock* clock,
                          int* refused = nullptr);

// The whole workload into the ledger in `dir` (created when missing): the
// store and the app on a clock that follows the plan, steps in slices of
// 10,000 with `progress(done, total)` after each (may be empty); the store
// is closed at the end. For ledger_sim --data_dir and ledger_seed.
// With `key_file`, customers' personal data is sealed with the site's keys
// (app/personal_data.h), the data keys kept in <dir>/keys.
absl::Status RunOnDataDir(
    const Workload& workload, const std::string& dir, int* refused = nullptr,
    const std::function<void(size_t done, size_t total)>& progress = {},
    const std::string& key_file = "");

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_IN_PROCESS_H_
