#include "tools/sim/in_process.h"

#include "absl/strings/str_cat.h"

namespace ledger::sim {

absl::Status RunInProcess(const Workload& workload, size_t first, size_t last,
                          ComplaintApp* app, FakeClock* clock, int* refused) {
  for (size_t i = first; i < last && i < workload.steps.size(); ++i) {
    const Step& step = workload.steps[i];
    clock->Set(step.at);
    absl::Status s = std::visit(
        [&](const auto& command) {
          return app->Execute(command, step.actor).status();
        },
        step.command);
    if (s.ok()) continue;
    if (step.may_fail) {
      if (refused != nullptr) ++*refused;
      continue;
    }
    return absl::Status(
        s.code(),
        absl::StrCat(
            "step ", i, " (",
            std::visit([](const auto& c) { return c.GetDescriptor()->name(); },
                       step.command),
            " by ", step.actor, "): ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace ledger::sim
