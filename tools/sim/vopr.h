// The whole-system simulation (after TigerBeetle's VOPR): one seed drives
// random commands, valid and invalid, from many actors through the real
// application layer into a real RocksDB store with its projections, with
// random clock jumps, retries of earlier commands, power losses (the
// store's files cut back to what was synced, torn writes included:
// tools/sim/crash_fs.h) and disk faults (a failed fsync, a full disk)
// followed by a restart. Nothing in it waits on a clock: the ledger's
// clock is a FakeClock the simulation moves.
//
// After every command the ledger's answer is compared with the model
// (tools/sim/model.h, written apart from ledger/complaint): the status
// code, the complaint number an intake takes, and the complaint's state.
// Every so often, and after every restart, the queues and the station
// table are compared too, and after every restart the log is verified and
// must hold every acknowledged event unchanged. The first difference ends
// the run; its message names the seed and the step, and the same seed
// replays it exactly (tools/ledger_vopr --seed S --steps N).
#ifndef LEDGER_TOOLS_SIM_VOPR_H_
#define LEDGER_TOOLS_SIM_VOPR_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace ledger::sim {

struct VoprOptions {
  uint64_t seed = 1;
  int64_t steps = 100000;
  // An empty directory for the ledger.
  std::string dir;
  // Queues and station tables are compared every this many steps.
  int64_t check_every = 2000;
  // On average one power loss, and one disk fault, per this many steps.
  int64_t crash_every = 4000;
  int64_t fault_every = 8000;
};

struct VoprStats {
  int64_t steps = 0;
  int64_t accepted = 0;
  int64_t refused = 0;  // As the model predicted.
  int64_t retries = 0;
  int64_t crashes = 0;
  int64_t faults = 0;
  // Commands a fault cut short that were found committed after the
  // restart (their retry got the original result).
  int64_t unacknowledged_but_durable = 0;
  int64_t clock_jumps = 0;
  // Repeats the rules raised by themselves (the model's count).
  int64_t repeats_by_history = 0;
  int64_t repeats_by_revisits = 0;
  int64_t view_checks = 0;
  int64_t complaints = 0;
  uint64_t events = 0;
  uint64_t bytes_dropped = 0;
};

struct VoprResult {
  VoprStats stats;
  // OK, or the first difference (naming the seed and step).
  absl::Status status;
};

// Runs the simulation; `progress` (may be empty) hears the stats now and
// then.
VoprResult RunVopr(const VoprOptions& options,
                   const std::function<void(const VoprStats&)>& progress = {});

std::string ToString(const VoprStats& stats);

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_VOPR_H_
