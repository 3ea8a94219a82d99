// CaseView: what the analysis and scorecard views share. Each case's
// AnalysisCaseRow folded from its events by projections/case_fold.h, by
// the month received (projections/case_rows.h), and the calendar in force
// as the row "calendar". A subclass adds its own rows and Visits (calling
// these first where it overrides one).
#ifndef LEDGER_PROJECTIONS_CASE_VIEW_H_
#define LEDGER_PROJECTIONS_CASE_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "ledger/v1/projection_rows.pb.h"
#include "projections/case_fold.h"
#include "projections/case_rows.h"
#include "projections/view.h"

namespace ledger {

class CaseView : public View {
 public:
  // A calendar that does not parse is skipped (counted).
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
  absl::Status Visit(const v1::Event& event, const v1::SignedOff& p) override;
  absl::Status Visit(const v1::Event& event, const v1::Reopened& p) override;

 protected:
  // `name`: the view's name (its rows' prefix).
  CaseView(const char* name, ViewOptions options);

  // Any other event of a case's stream: the case must be known (read, not
  // changed).
  absl::Status Unhandled(const v1::Event& event) override;
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

  // The row of the case whose stream `event` is in, marked changed;
  // nullptr for another stream, NOT_FOUND for a case never received.
  absl::StatusOr<v1::AnalysisCaseRow*> CaseOf(const v1::Event& event);

  // By the month received.
  CaseRows<v1::AnalysisCaseRow> cases_;
  CaseCalendar calendar_;

 private:
  const char* const name_;
  bool calendar_dirty_ = false;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_CASE_VIEW_H_
