// The SimulationService gRPC service of a ledgerd started with
// --simulated_clock (proto/ledger/v1/simulation_service.proto): moves the
// clock every decision and every event's time is taken from, forward only.
#ifndef LEDGER_SERVICES_SIMULATION_SERVICE_H_
#define LEDGER_SERVICES_SIMULATION_SERVICE_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "ledger/base/clock.h"
#include "ledger/v1/simulation_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class SimulationService final
    : public ParsedRequests<v1::SimulationService::CallbackService> {
 public:
  explicit SimulationService(std::shared_ptr<FakeClock> clock)
      : clock_(std::move(clock)) {
    ParseRequests(v1::SimulationService::service_full_name(), "SetClock",
                  &SimulationService::SetClock);
  }

  grpc::ServerUnaryReactor* SetClock(grpc::CallbackServerContext* context,
                                     const v1::SetClockRequest* request,
                                     v1::SetClockResponse* response) override;

 private:
  grpc::Status Set(const v1::SetClockRequest& request,
                   v1::SetClockResponse* response);

  absl::Mutex mu_;  // Makes the forward-only check and the move one step.
  const std::shared_ptr<FakeClock> clock_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_SIMULATION_SERVICE_H_
