#include "projections/case_view.h"

#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

constexpr char kCalendarRow[] = "calendar";

}  // namespace

CaseView::CaseView(const char* name, ViewOptions options)
    : View(options),
      cases_(name, /*grouped=*/true, options.cached_cases),
      name_(name) {
  cases_.Attach(&store());
}

absl::Status CaseView::Restore(const ViewStore& store) {
  cases_.Attach(&store);
  calendar_ = CaseCalendar();
  calendar_dirty_ = false;
  v1::CalendarPublished calendar;
  ASSIGN_OR_RETURN(const bool stored,
                   ReadRow(store, name_, kCalendarRow, &calendar));
  if (stored && !calendar_.Set(calendar)) Skip();
  return absl::OkStatus();
}

void CaseView::Changes(ViewChanges* changes) {
  cases_.TakeChanges(changes);
  if (calendar_dirty_ && calendar_.published().has_value()) {
    changes->puts.emplace_back(kCalendarRow,
                               calendar_.published()->SerializeAsString());
  }
  calendar_dirty_ = false;
}

absl::StatusOr<v1::AnalysisCaseRow*> CaseView::CaseOf(const v1::Event& e) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return nullptr;
  return CaseFound(e, cases_.Change(id));
}

absl::Status CaseView::Unhandled(const v1::Event& e) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return absl::OkStatus();
  return CaseFound(e, cases_.Peek(id)).status();
}

absl::Status CaseView::Visit(const v1::Event&, const v1::CalendarPublished& p) {
  if (!calendar_.Set(p)) Skip();
  calendar_dirty_ = true;
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e,
                             const v1::ComplaintReceived& p) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return absl::OkStatus();
  const v1::Date day = calendar_.zone().DayOf(p.received_time_us());
  case_fold::Received(p, calendar_, cases_.Create(id, MonthGroup(day)));
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e,
                             const v1::ComplaintClassified& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) case_fold::Classified(p, row);
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::OwnerAssigned& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_owner_agent_id(p.owner_agent_id());
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::OwnerHandedOver& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_owner_agent_id(p.owner_agent_id());
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::SeverityRaised& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_severity(p.severity());
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e,
                             const v1::HandlingTrackChosen&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) case_fold::Accepted(e, row);
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::Replied& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) case_fold::Replied(e, p, row);
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::RevisitRecorded& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) case_fold::Revisited(p, row);
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::SignedOff&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_closed(true);
  return absl::OkStatus();
}

absl::Status CaseView::Visit(const v1::Event& e, const v1::Reopened&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_closed(false);
  return absl::OkStatus();
}

}  // namespace ledger
