#include "tools/sim/over_grpc.h"

#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/simulation_service.grpc.pb.h"
#include "rpc/command_client.h"
#include "rpc/status.h"

namespace ledger::sim {
namespace {

struct Stubs {
  std::unique_ptr<v1::SimulationService::Stub> simulation;
};

grpc::Status SetClock(Stubs& s, absl::Time at) {
  v1::SetClockRequest request;
  request.set_time_us(absl::ToUnixMicros(at));
  v1::SetClockResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  return s.simulation->SetClock(&context, request, &response);
}

}  // namespace

absl::Status RunOverGrpc(const Workload& workload, size_t first, size_t last,
                         const std::shared_ptr<grpc::Channel>& channel,
                         int* refused, bool* on_plan_clock) {
  return RunOverGrpc(
      workload, first, last, [&channel](const std::string&) { return channel; },
      refused, on_plan_clock);
}

absl::Status RunOverGrpc(const Workload& workload, size_t first, size_t last,
                         const ChannelOf& channel_of, int* refused,
                         bool* on_plan_clock) {
  // Each actor's commands on their own channel, made once.
  absl::flat_hash_map<std::string, std::unique_ptr<CommandClient>> clients;
  auto commands = [&](const std::string& actor) -> CommandClient& {
    std::unique_ptr<CommandClient>& client = clients[actor];
    if (client == nullptr) {
      client = std::make_unique<CommandClient>(channel_of(actor));
    }
    return *client;
  };
  Stubs stubs{v1::SimulationService::NewStub(channel_of(kWorkloadHead))};
  bool simulated = false;
  if (first < last) {
    const grpc::Status s = SetClock(stubs, workload.steps[first].at);
    if (s.ok()) {
      simulated = true;
    } else if (s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      const absl::Status error = FromGrpcStatus(s);
      return absl::Status(
          error.code(),
          absl::StrCat("setting the ledger's simulated clock to the plan's "
                       "first step: ",
                       error.message()));
    }
  }
  if (on_plan_clock != nullptr) *on_plan_clock = simulated;
  return RunSteps(
      workload, first, last,
      [&stubs, &commands, &workload, simulated](size_t i, const Step& step) {
        if (simulated) {
          if (grpc::Status s = SetClock(stubs, step.at); !s.ok()) {
            return FromGrpcStatus(s);
          }
        }
        v1::CommandResult result;
        return FromGrpcStatus(std::visit(
            [&](auto command) {
              command.mutable_context()->set_actor_agent_id(step.actor);
              // The plan's position: a retry after a lost answer is
              // answered, not applied twice.
              command.mutable_context()->set_command_id(
                  absl::StrCat("sim-", workload.seed, "-", i));
              grpc::ClientContext context;
              context.set_deadline(std::chrono::system_clock::now() +
                                   std::chrono::seconds(30));
              return commands(step.actor).Execute(&context, command, &result);
            },
            step.command));
      },
      refused);
}

}  // namespace ledger::sim
