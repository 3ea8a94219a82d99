// ScorecardView: agent scorecards per month (docs/rules.md §12). Cases
// owned (received in the month, owned by the agent now) and how many of
// them are repeat or malicious; replies and first revisits the agent
// recorded in the month, on time or not, and the revisits' satisfaction.
// The agent's KPIs: the assessment's four over the cases owned, the
// service norms over the calls and chats they took in
// (projections/case_fold.h: the centre's formulas).
//
// The monthly assessment (projections/assessment.h): a draft from the
// scorecards and the head's entries, frozen when the publication event is
// folded (so at the position before it), then the appeals and corrections.
//
// Rows: those of projections/case_view.h (not the assist requests),
// "a/<agent>/<yyyy-mm>" -> AgentMonthRow, "r/<agent>" -> display name,
// "m/<yyyy-mm>" -> AssessmentMonthRow.
// Months in Asia/Shanghai, or the published calendar's zone.
#ifndef LEDGER_PROJECTIONS_SCORECARD_VIEW_H_
#define LEDGER_PROJECTIONS_SCORECARD_VIEW_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/v1/projection_rows.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/case_fold.h"
#include "projections/case_rows.h"
#include "projections/case_view.h"
#include "projections/month_cache.h"
#include "projections/view.h"

namespace ledger {

class ScorecardView final : public CaseView {
 public:
  static constexpr char kName[] = "scorecards";

  explicit ScorecardView(ViewOptions options = ViewOptions());
  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<ScorecardView>(options_);
  }

  using CaseView::Visit;
  absl::Status Visit(const v1::Event& event,
                     const v1::AgentRegistered& p) override;
  // The case's row (CaseView), and the actor's month.
  absl::Status Visit(const v1::Event& event, const v1::Replied& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::RevisitRecorded& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::AssessmentPointsEntered& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::AssessmentPublished& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::AssessmentAppealed& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::AppealDecided& p) override;

  // INVALID_ARGUMENT for a missing agent or a bad month; NOT_FOUND for an
  // agent never registered. The KPIs of a month that has not ended at
  // `now_us` (site time zone) are pending.
  absl::StatusOr<v1::AgentScorecard> Scorecard(const std::string& agent_id,
                                               const v1::YearMonth& month,
                                               int64_t now_us) const;

  // The month-end second revisit sample of `agent_id`'s month, or of every
  // agent who handled a complaint in it (empty agent_id), by agent id
  // (docs/rules.md §8). INVALID_ARGUMENT for a bad month.
  absl::StatusOr<v1::GetSecondRevisitSampleResponse> SecondRevisitSample(
      const std::string& agent_id, const v1::YearMonth& month) const;

  // The month's assessment (docs/rules.md §12): as published, with the
  // accepted appeals' corrections; before that a draft judged at `now_us`.
  // Every agent assessed, or only `agent_id` (NOT_FOUND when they have no
  // row). INVALID_ARGUMENT for a bad month.
  absl::StatusOr<v1::GetAssessmentResponse> Assessment(
      const std::string& agent_id, const v1::YearMonth& month,
      int64_t now_us) const;

  // `quota` (at most the sum of `sizes`) split over strata of `sizes` in
  // proportion, by largest remainder; then every non-empty stratum gets at
  // least one while the quota allows, taken from the largest share. Never
  // more than a stratum holds; the shares sum to min(quota, total).
  static std::vector<int64_t> Apportion(const std::vector<int64_t>& sizes,
                                        int64_t quota);

 protected:
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

 private:
  std::string MonthOf(int64_t time_us) const;
  // The assessment of every agent with cases, work or entries in `month`,
  // by agent id, judged at `now_us` (no corrections).
  absl::StatusOr<v1::GetAssessmentResponse> Draft(const v1::YearMonth& month,
                                                  int64_t now_us) const;
  v1::AssessmentMonthRow& AssessmentMonth(const v1::YearMonth& month);
  v1::AgentMonthRow& AgentMonth(const std::string& agent, int64_t time_us);

  // Every agent's cases of a month (one scan of the month's cases), kept
  // while the month's cases are unchanged: the agents page asks for every
  // agent's card of one month.
  // A complaint the agent handled (owns, signed off), for the sample.
  struct Handled {
    std::string complaint_id;
    std::string customer_type;
    v1::Satisfaction satisfaction;
    bool repeat;
    bool done;  // Had its month-end second revisit.
  };
  struct AgentCases {
    int64_t owned = 0;
    int64_t repeat = 0;
    CaseTally owned_tally;     // The cases they own.
    CaseTally received_tally;  // The cases they took in.
    std::vector<Handled> handled;
  };
  using CasesByAgent = absl::flat_hash_map<std::string, AgentCases>;
  absl::StatusOr<std::shared_ptr<const CasesByAgent>> CasesIn(
      const v1::YearMonth& month) const;

  MonthCache<CaseRows<v1::AnalysisCaseRow>::GroupGeneration,
             std::shared_ptr<const CasesByAgent>>
      by_agent_;
  // "<agent>/<yyyy-mm>" -> counters: agents times months, kept whole.
  std::map<std::string, v1::AgentMonthRow> agents_;
  absl::flat_hash_set<std::string> dirty_agents_;
  // "yyyy-mm" -> the month's assessment: months, kept whole.
  std::map<std::string, v1::AssessmentMonthRow> assessments_;
  absl::flat_hash_set<std::string> dirty_assessments_;
  // Every agent registered: id -> display name.
  std::map<std::string, std::string> registered_;
  absl::flat_hash_set<std::string> dirty_registered_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_SCORECARD_VIEW_H_
