// How a case's events set its AnalysisCaseRow, and the KPIs of a set of
// such rows (docs/rules.md §12–13). Shared by the analysis view (the
// centre's month: every case received in it) and the scorecard view (an
// agent's month: the cases they own, the calls and chats they took in), so
// that an agent's KPI and the centre's are one formula over two sets.
#ifndef LEDGER_PROJECTIONS_CASE_FOLD_H_
#define LEDGER_PROJECTIONS_CASE_FOLD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "google/protobuf/repeated_ptr_field.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/projection_rows.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "ledger/v1/reference_events.pb.h"
#include "projections/view.h"

namespace ledger {

// The service norms (004 §5.3): a call answered within 10 s, an online
// chat within 3 minutes.
inline constexpr uint32_t kPhoneAnswerNormSeconds = 10;
inline constexpr uint32_t kChatAnswerNormSeconds = 180;

// The calendar in force, as a view of cases keeps it: the site's zone (for
// the month a case falls in) and the working days (for its acceptance
// deadline).
class CaseCalendar {
 public:
  // False (and no change) for a calendar that does not parse.
  bool Set(const v1::CalendarPublished& calendar);
  const SiteZone& zone() const { return zone_; }
  // The calendar as published; nullopt before any.
  const std::optional<v1::CalendarPublished>& published() const {
    return published_;
  }
  // The end of the day shift of the first working day after `time_us`; 0
  // without a calendar or beyond its years.
  int64_t AcceptanceDue(int64_t time_us) const;

 private:
  std::optional<v1::CalendarPublished> published_;
  std::optional<BusinessCalendar> calendar_;
  SiteZone zone_;
};

// A case's row from its events (the row of the case's stream).
namespace case_fold {
void Received(const v1::ComplaintReceived& p, const CaseCalendar& calendar,
              v1::AnalysisCaseRow* row);
void Classified(const v1::ComplaintClassified& p, v1::AnalysisCaseRow* row);
// The case was accepted at `event` (the first track chosen, or the first
// reply on the green channel), unless it already was.
void Accepted(const v1::Event& event, v1::AnalysisCaseRow* row);
void Replied(const v1::Event& event, const v1::Replied& p,
             v1::AnalysisCaseRow* row);
void Revisited(const v1::RevisitRecorded& p, v1::AnalysisCaseRow* row);
void AssistRequested(const v1::AssistRequested& p, v1::AnalysisCaseRow* row);
}  // namespace case_fold

// Tallies rows and turns the tally into KPIs.
class CaseTally {
 public:
  void Add(const v1::AnalysisCaseRow& c);

  // Every KPI of the centre's month, in the order of docs/rules.md §13.
  void CentreKpis(google::protobuf::RepeatedPtrField<v1::Kpi>* out) const;
  // The four KPIs of the monthly assessment (002): timely acceptance,
  // resolution, satisfaction, repeat rate.
  void AssessmentKpis(google::protobuf::RepeatedPtrField<v1::Kpi>* out) const;
  // Phone answered within 10 s, chat answered within 3 min.
  void ServiceNormKpis(google::protobuf::RepeatedPtrField<v1::Kpi>* out) const;

 private:
  int64_t cases_ = 0, acceptance_known_ = 0, accepted_in_time_ = 0, closed_ = 0,
          revisited_ = 0, satisfied_ = 0, complaints_ = 0, repeats_ = 0,
          complaints_closed_ = 0, month_end_ = 0, replied_ = 0,
          replied_in_time_ = 0, assists_ = 0, assists_in_time_ = 0,
          phone_waits_ = 0, phone_in_norm_ = 0, chat_waits_ = 0,
          chat_in_norm_ = 0;
  // Revisit quotas: complaints, repair requests, everything else.
  int64_t quota_cases_[3] = {0, 0, 0}, quota_revisited_[3] = {0, 0, 0};
};

// A KPI: numerator / denominator against `target` (at least or at most);
// no_data without a denominator.
v1::Kpi MakeKpi(std::string name, std::string formula, int64_t numerator,
                int64_t denominator, double target, bool at_least);

// Marks `kpis` pending (neither passed nor failed) when `month` has not
// ended at `now_us` in `zone`.
void MarkPendingUnlessEnded(const v1::YearMonth& month, int64_t now_us,
                            const SiteZone& zone,
                            google::protobuf::RepeatedPtrField<v1::Kpi>* kpis);

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_CASE_FOLD_H_
