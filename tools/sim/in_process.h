// Runs a planned workload through a ComplaintApp in this process, the clock
// set to each step's time: for tests that want ten thousand cases in
// seconds. ledger_sim drives the same plan over gRPC.
#ifndef LEDGER_TOOLS_SIM_IN_PROCESS_H_
#define LEDGER_TOOLS_SIM_IN_PROCESS_H_

#include "absl/status/status.h"
#include "ledger/base/clock.h"
#include "services/complaint_app.h"
#include "tools/sim/workload.h"

namespace ledger::sim {

// Steps [first, last) of `workload`, as RunSteps (workload.h) says.
absl::Status RunInProcess(const Workload& workload, size_t first, size_t last,
                          ComplaintApp* app, FakeClock* clock,
                          int* refused = nullptr);

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_IN_PROCESS_H_
