#include "projections/views.h"

#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"

namespace ledger {

std::vector<std::unique_ptr<View>> AllViews(ViewOptions options) {
  std::vector<std::unique_ptr<View>> views;
  views.push_back(std::make_unique<QueueView>(options));
  views.push_back(std::make_unique<StationView>(options));
  views.push_back(std::make_unique<AnalysisView>(options));
  views.push_back(std::make_unique<ScorecardView>(options));
  return views;
}

}  // namespace ledger
