// AnalysisView: the monthly analysis (docs/rules.md §13). One row per
// case, folded from its events; the figures of a month are computed at
// query time over the cases received in that month (site time zone).
//
// Counts: by kind (latest classification, "unclassified" until then), by
// complaint category (complaints only), channel, importance, station,
// department (as named at intake).
//
// KPIs, for the cases C received in the month (targets from the sources):
//   timely acceptance  = |accepted in time| / |C with a computable
//                        acceptance deadline|                        >= 95%
//       accepted = the first handling track chosen (escalation included),
//       or on the green channel the first reply; in time = recorded by the
//       end of the day shift of the first working day after intake, on the
//       calendar in force at intake.
//   resolution         = |closed (signed off)| / |C|                 >= 90%
//       (a sign-off needs a revisit that found it resolved, or a waiver.)
//   satisfaction       = |latest first revisit very satisfied or satisfied|
//                        / |C revisited|                             >= 80%
//   repeat rate        = |complaints of C that are repeat or malicious|
//                        / |complaints of C|                         <= 5%
//   revisit rate       = |revisited| / |cases| per kind: complaints >= 100%,
//                        repair requests >= 30%, other kinds >= 10%
//   month-end revisit  = |complaints of C with a month-end second revisit|
//                        / |complaints of C closed|                  >= 50%
//   replies in time    = |first reply within its deadline| / |C replied|
//                        (reported, no target: 100% expected)
//   assists in time    = |assist requests sent before their cut-off|
//                        / |assist requests of C| (no target)
// Each KPI also carries its value for the previous month and for the same
// month a year before. Rows: those of projections/case_view.h (with the
// assist requests).
#ifndef LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_
#define LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/v1/projection_rows.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/case_fold.h"
#include "projections/case_rows.h"
#include "projections/case_view.h"
#include "projections/month_cache.h"
#include "projections/view.h"

namespace ledger {

class AnalysisView final : public CaseView {
 public:
  static constexpr char kName[] = "analysis";

  explicit AnalysisView(ViewOptions options = ViewOptions());
  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<AnalysisView>(options_);
  }

  using CaseView::Visit;
  absl::Status Visit(const v1::Event& event,
                     const v1::AssistRequested& p) override;

  // The month's figures, the previous month's and the same month's last
  // year. The KPIs of a month that has not ended at `now_us` (site time
  // zone) are pending: neither passed nor failed.
  absl::StatusOr<v1::GetMonthlyAnalysisResponse> Analysis(
      const v1::YearMonth& month, int64_t now_us) const;

 private:
  // A month's figures: from the cache while its rows are unchanged, else
  // Computed (a scan of its rows).
  absl::StatusOr<v1::MonthFigures> Figures(const v1::YearMonth& month) const;
  absl::StatusOr<v1::MonthFigures> Compute(const v1::YearMonth& month) const;
  // A month's figures while its cases are unchanged (an analysis page asks
  // for 24 months: 12 analyses, each with the month before and the year
  // before).
  MonthCache<CaseRows<v1::AnalysisCaseRow>::GroupGeneration, v1::MonthFigures>
      figures_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_
