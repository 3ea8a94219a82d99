// The views a ledger serves, in the order QueryService lists them.
#ifndef LEDGER_PROJECTIONS_VIEWS_H_
#define LEDGER_PROJECTIONS_VIEWS_H_

#include <memory>
#include <vector>

#include "projections/view.h"

namespace ledger {

// Fresh, empty: queues, stations, analysis, scorecards.
std::vector<std::unique_ptr<View>> AllViews(
    ViewOptions options = ViewOptions());

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_VIEWS_H_
