#include "projections/views.h"

#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"

namespace ledger {

std::vector<std::unique_ptr<View>> AllViews() {
  std::vector<std::unique_ptr<View>> views;
  views.push_back(std::make_unique<QueueView>());
  views.push_back(std::make_unique<StationView>());
  views.push_back(std::make_unique<AnalysisView>());
  views.push_back(std::make_unique<ScorecardView>());
  return views;
}

}  // namespace ledger
