// Sends a planned workload's steps to a ledgerd over its gRPC API, in plan
// order. The server's clock stamps the events, not the plan's times (a
// ledgerd started with --start_time gives a known calendar).
#ifndef LEDGER_TOOLS_SIM_OVER_GRPC_H_
#define LEDGER_TOOLS_SIM_OVER_GRPC_H_

#include <memory>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "tools/sim/workload.h"

namespace ledger::sim {

// Steps [first, last) of `workload`, each with a 30 s deadline, as
// RunSteps (workload.h) says.
absl::Status RunOverGrpc(const Workload& workload, size_t first, size_t last,
                         const std::shared_ptr<grpc::Channel>& channel,
                         int* refused = nullptr);

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_OVER_GRPC_H_
