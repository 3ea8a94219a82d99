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
//
// The knowledge base (000 §7; docs/rules.md §9): the typical cases marked
// ("k/t/<complaint id>" -> TypicalCase), the half-month digests, frozen
// when their draw is folded ("k/d/<yyyy-mm> <half>" -> GetDigestResponse),
// the readings of each month ("k/r/<yyyy-mm>" -> GetReadingRecordResponse)
// and the agents who owe one ("k/agents").
#ifndef LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_
#define LEDGER_PROJECTIONS_ANALYSIS_VIEW_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
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
  absl::Status Visit(const v1::Event& event,
                     const v1::AgentRegistered& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::TypicalCaseMarked& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::DigestDrawnUp& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::DigestCirculated& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::ReadingRecorded& p) override;

  // Typical cases by category, month marked and words (every word found,
  // case-folded, in the summary, solution, points to watch or tags), newest
  // first.
  absl::StatusOr<v1::SearchKnowledgeBaseResponse> Search(
      const v1::SearchKnowledgeBaseRequest& request) const;
  // The half-month digest as drawn up (circulated, read); before its draw,
  // what a draw would give now. INVALID_ARGUMENT for a bad month or half.
  absl::StatusOr<v1::GetDigestResponse> Digest(const v1::YearMonth& month,
                                               v1::DigestHalf half) const;
  // Keeps the entries of `digest` that `keep` says, and counts them again
  // by category.
  static void KeepEntries(
      v1::GetDigestResponse* digest,
      const std::function<bool(const v1::DigestEntry&)>& keep);
  // Who read a digest in the month (by the time of the reading), and which
  // active agents read none.
  absl::StatusOr<v1::GetReadingRecordResponse> Readings(
      const v1::YearMonth& month) const;

  // The month's figures, the previous month's and the same month's last
  // year. The KPIs of a month that has not ended at `now_us` (site time
  // zone) are pending: neither passed nor failed.
  absl::StatusOr<v1::GetMonthlyAnalysisResponse> Analysis(
      const v1::YearMonth& month, int64_t now_us) const;

 protected:
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

 private:
  // The digest a draw would make now.
  absl::StatusOr<v1::GetDigestResponse> DrawDigest(const v1::YearMonth& month,
                                                   v1::DigestHalf half) const;

  // Complaint id -> its typical case; DigestKey -> digest; "yyyy-mm" ->
  // readings; the active agents: small, kept whole.
  std::map<std::string, v1::TypicalCase> typical_;
  std::map<std::string, v1::GetDigestResponse> digests_;
  std::map<std::string, v1::GetReadingRecordResponse> readings_;
  std::set<std::string> agents_;
  absl::flat_hash_set<std::string> dirty_;  // Row keys.

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
