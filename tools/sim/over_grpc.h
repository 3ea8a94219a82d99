// Sends a planned workload's steps to a ledgerd over its gRPC API, in plan
// order. On a ledgerd started with --simulated_clock each step first sets
// its clock to the step's time (SimulationService.SetClock), so the events
// carry the plan's times and months pass as planned; on any other the
// server's clock stamps them.
#ifndef LEDGER_TOOLS_SIM_OVER_GRPC_H_
#define LEDGER_TOOLS_SIM_OVER_GRPC_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "tools/sim/workload.h"

namespace ledger::sim {

// Steps [first, last) of `workload`, each with a 30 s deadline, as
// RunSteps (workload.h) says. *on_plan_clock (if given) tells whether the
// server ran on the plan's clock. FAILED_PRECONDITION when the server's
// simulated clock is already past the plan's first step.
absl::Status RunOverGrpc(const Workload& workload, size_t first, size_t last,
                         const std::shared_ptr<grpc::Channel>& channel,
                         int* refused = nullptr, bool* on_plan_clock = nullptr);

// The same, each step sent as its actor, on the channel `channel_of` gives
// for them (a ledgerd that checks tokens takes each actor's own); the
// clock is set as the plan's centre head (kWorkloadHead).
using ChannelOf =
    std::function<std::shared_ptr<grpc::Channel>(const std::string& actor)>;
absl::Status RunOverGrpc(const Workload& workload, size_t first, size_t last,
                         const ChannelOf& channel_of, int* refused = nullptr,
                         bool* on_plan_clock = nullptr);

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_OVER_GRPC_H_
