#include "tools/sim/in_process.h"

namespace ledger::sim {

absl::Status RunInProcess(const Workload& workload, size_t first, size_t last,
                          ComplaintApp* app, FakeClock* clock, int* refused) {
  return RunSteps(
      workload, first, last,
      [app, clock](size_t, const Step& step) {
        clock->Set(step.at);
        return std::visit(
            [&](const auto& command) {
              return app->Execute(command, step.actor).status();
            },
            step.command);
      },
      refused);
}

}  // namespace ledger::sim
