// The monthly assessment of an agent (002 考核, 004 §4.3; docs/rules.md
// §12): the four weighted parts computed from the agent's scorecard and the
// centre head's entries, the total, and whether the agent is below
// standard. Pure: the scorecard view calls it for a draft and, once, at
// publication, where the result is frozen.
//
// In tenths of a point, rounded half away from zero:
//   attitude   30 x satisfaction                  + the head's adjustment
//   ability    40 x mean(resolution, replies on time) + the head's adjustment
//   efficiency 20 x mean(timely acceptance, replies on time,
//                        revisits on time)
//   teamwork   the head's entry
// each within 0..weight. A rate without data is left out of its mean; a
// part with no rate and no entry is n/a, and the total is the points of the
// others times 100 over their weights. Below standard: one of the four KPIs
// of 002 (timely acceptance, resolution, satisfaction, repeat rate) fails.
#ifndef LEDGER_PROJECTIONS_ASSESSMENT_H_
#define LEDGER_PROJECTIONS_ASSESSMENT_H_

#include <vector>

#include "ledger/v1/query_service.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

// `card`: the agent's scorecard of the month; `entries`: the head's latest
// entries of that agent's month (any order).
v1::AgentAssessment AssessAgent(
    const v1::AgentScorecard& card,
    const std::vector<const v1::AssessmentPointsEntered*>& entries);

// Recomputes `row`'s total from its parts.
void TotalAssessment(v1::AgentAssessment* row);

// Applies the accepted appeals of `response` to its rows (the published
// figures stay as they were; each corrected part names its appeal).
void ApplyCorrections(v1::GetAssessmentResponse* response);

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_ASSESSMENT_H_
