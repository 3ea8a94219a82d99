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
// month a year before. Rows: the cases' AnalysisCaseRows by the month
// received (projections/case_rows.h), "calendar" -> the CalendarPublished
// in force.
#ifndef LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_
#define LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/v1/projection_rows.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/case_fold.h"
#include "projections/case_rows.h"
#include "projections/month_cache.h"
#include "projections/view.h"

namespace ledger {

class AnalysisView final : public View {
 public:
  static constexpr char kName[] = "analysis";

  explicit AnalysisView(ViewOptions options = ViewOptions());
  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<AnalysisView>(options_);
  }

  absl::Status Visit(const v1::Event& event,
                     const v1::CalendarPublished& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintReceived& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintClassified& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::OwnerAssigned& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::OwnerHandedOver& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::SeverityRaised& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::HandlingTrackChosen& p) override;
  absl::Status Visit(const v1::Event& event, const v1::Replied& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::RevisitRecorded& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::AssistRequested& p) override;
  absl::Status Visit(const v1::Event& event, const v1::SignedOff& p) override;
  absl::Status Visit(const v1::Event& event, const v1::Reopened& p) override;

  // The month's figures, the previous month's and the same month's last
  // year. The KPIs of a month that has not ended at `now_us` (site time
  // zone) are pending: neither passed nor failed.
  absl::StatusOr<v1::GetMonthlyAnalysisResponse> Analysis(
      const v1::YearMonth& month, int64_t now_us) const;

 protected:
  // Any other event of a case's stream: the case must be known.
  absl::Status Unhandled(const v1::Event& event) override;
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

 private:
  // The row of the case whose stream `event` is in, marked changed;
  // nullptr for another stream, NOT_FOUND for a case never received.
  absl::StatusOr<v1::AnalysisCaseRow*> CaseOf(const v1::Event& event);
  // A month's figures: from the cache while its rows are unchanged, else
  // Computed (a scan of its rows).
  absl::StatusOr<v1::MonthFigures> Figures(const v1::YearMonth& month) const;
  absl::StatusOr<v1::MonthFigures> Compute(const v1::YearMonth& month) const;
  void SetCalendar(const v1::CalendarPublished& calendar);

  // By the month received.
  CaseRows<v1::AnalysisCaseRow> cases_;
  // A month's figures while its cases are unchanged (an analysis page asks
  // for 24 months: 12 analyses, each with the month before and the year
  // before).
  MonthCache<CaseRows<v1::AnalysisCaseRow>::GroupGeneration, v1::MonthFigures>
      figures_;
  CaseCalendar calendar_;
  bool calendar_dirty_ = false;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_
