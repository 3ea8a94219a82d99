// StationView: the station monthly table (docs/rules.md §11). Keeps, per
// complaint naming a station at intake, its received day and latest kind,
// category and severity, and the reference data the table needs (stations,
// monthly volumes, penalty schedules, special periods, the site's time
// zone), all folded from the log. The table for a month is computed at
// query time from those rows, so a late reclassification or a severity
// raised after the month still lands in the month the complaint came in.
//
// The monthly penalty table (003 §7.2): its lines are the table's repeat
// and malicious complaints, frozen when the draw event is folded (the log
// up to the position before it); signed, published and sent as those
// events come. A draw also finds the changes, since their signature, to
// earlier months' complaints: adjustments, priced as their own month.
//
// Rows: the complaints' StationComplaintRows by the month received
// (projections/case_rows.h), "ref" -> StationReferenceRow,
// "p/<yyyy-mm>" -> GetPenaltyTableResponse (the tables drawn up).
#ifndef LEDGER_PROJECTIONS_STATION_VIEW_H_
#define LEDGER_PROJECTIONS_STATION_VIEW_H_

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ledger/v1/projection_rows.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/case_rows.h"
#include "projections/month_cache.h"
#include "projections/view.h"

namespace ledger {

class StationView final : public View {
 public:
  static constexpr char kName[] = "stations";

  explicit StationView(ViewOptions options = ViewOptions());
  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<StationView>(options_);
  }

  // The reference data the table needs.
  absl::Status Visit(const v1::Event& event,
                     const v1::StationRegistered& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::StationMonthlyVolumeRecorded& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::PenaltySchedulePublished& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::SpecialPeriodDeclared& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::CalendarPublished& p) override;
  // A complaint's station, kind, category and severity.
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintReceived& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintClassified& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::SeverityRaised& p) override;
  // The penalty table's stages.
  absl::Status Visit(const v1::Event& event,
                     const v1::PenaltyTableDrawnUp& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::PenaltyTableSigned& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::PenaltyTablePublished& p) override;
  absl::Status Visit(const v1::Event& event,
                     const v1::PenaltyTableSentToFinance& p) override;

  // INVALID_ARGUMENT for a month that is not one.
  absl::StatusOr<v1::GetStationTableResponse> Table(
      const v1::YearMonth& month) const;

  // The month's penalty table as drawn up (and signed, ...); before its
  // first draw, what a draw would give now (state unspecified).
  // INVALID_ARGUMENT for a month that is not one.
  absl::StatusOr<v1::GetPenaltyTableResponse> PenaltyTable(
      const v1::YearMonth& month) const;
  // Sets the table's totals from its lines and adjustments.
  static void TotalPenalties(v1::GetPenaltyTableResponse* table);

 protected:
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

 private:
  // The row of the complaint whose stream `event` is in; nullptr for a
  // complaint that named no station (not in the table), or another stream.
  v1::StationComplaintRow* RowOf(const v1::Event& event);

  // The table of a month, from the cache while its complaints and the
  // reference data are unchanged (as the analysis view's figures).
  absl::StatusOr<v1::GetStationTableResponse> Compute(
      const v1::YearMonth& month) const;

  // The schedule in force for `month`; nullptr: none.
  const v1::PenaltySchedulePublished* ScheduleFor(
      const v1::YearMonth& month) const;
  // The repeat and malicious complaints of `month` at its schedule, by
  // complaint id; `causes` gets every complaint of the month's
  // changed_position.
  absl::StatusOr<std::map<std::string, v1::PenaltyLine>> PenaltyLines(
      const v1::YearMonth& month,
      std::map<std::string, uint64_t>* causes) const;
  // The table of `month` as a draw now would make it: its lines, and the
  // adjustments of every earlier signed table.
  absl::StatusOr<v1::GetPenaltyTableResponse> Draw(
      const v1::YearMonth& month) const;
  v1::GetPenaltyTableResponse& TableRow(const v1::YearMonth& month);

  // By the month received.
  CaseRows<v1::StationComplaintRow> complaints_;
  // "yyyy-mm" -> the month's table once drawn up: months, kept whole.
  std::map<std::string, v1::GetPenaltyTableResponse> penalty_tables_;
  absl::flat_hash_set<std::string> dirty_tables_;
  // Counts changes of reference_ (and restores).
  uint64_t reference_version_ = 0;
  // A month's table while its complaints and the reference data are
  // unchanged.
  MonthCache<
      std::pair<CaseRows<v1::StationComplaintRow>::GroupGeneration, uint64_t>,
      v1::GetStationTableResponse>
      tables_;
  SiteZone zone_;
  v1::StationReferenceRow reference_;
  bool reference_dirty_ = false;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_STATION_VIEW_H_
