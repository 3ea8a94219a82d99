#include "tools/sim/in_process.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "app/personal_data.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/statutory.h"

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

absl::Status RunOnDataDir(
    const Workload& workload, const std::string& dir, int* refused,
    const std::function<void(size_t done, size_t total)>& progress,
    const std::string& key_file) {
  if (workload.steps.empty()) {
    return absl::InvalidArgumentError("the workload plans no step");
  }
  auto clock = std::make_shared<FakeClock>(workload.steps.front().at);
  EventStoreOptions store_options;
  store_options.clock = clock;
  ComplaintAppOptions app_options;
  app_options.clock = clock;
  // Months past the shipped calendar (and the deadlines a month after the
  // last step): the law's days off, provisional (calendar/statutory.h).
  ASSIGN_OR_RETURN(app_options.initial_calendar,
                   ShippedCalendarCovering(workload.steps.back().at));
  if (!key_file.empty()) {
    RETURN_IF_ERROR(UsePersonalData(key_file, absl::StrCat(dir, "/keys"),
                                    store_options, app_options));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store,
                   EventStore::Open(dir, store_options));
  ASSIGN_OR_RETURN(std::unique_ptr<ComplaintApp> app,
                   ComplaintApp::Create(store.get(), app_options));
  const size_t total = workload.steps.size();
  constexpr size_t kSlice = 10000;
  for (size_t i = 0; i < total; i += kSlice) {
    const size_t last = std::min(i + kSlice, total);
    RETURN_IF_ERROR(
        RunInProcess(workload, i, last, app.get(), clock.get(), refused));
    if (progress) progress(last, total);
  }
  app->Close();
  return store->Close();
}

}  // namespace ledger::sim
