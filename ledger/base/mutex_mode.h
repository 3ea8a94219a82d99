#ifndef LEDGER_BASE_MUTEX_MODE_H_
#define LEDGER_BASE_MUTEX_MODE_H_

#include "absl/synchronization/mutex.h"

namespace ledger {

// Debian builds abseil without NDEBUG, which leaves absl::Mutex's deadlock
// detection on: every Lock records the locks held in a process-wide graph
// (GraphCycles, under a global lock), and gRPC's locks are absl::Mutex too.
// The tests keep it, as a check; ledgerd and the tools (ledger_load,
// ledger_sim, ledger_seed, ledger_bench, projections_bench) call this first
// thing in main().
inline void TurnOffMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace ledger

#endif  // LEDGER_BASE_MUTEX_MODE_H_
