#include "projections/analysis_view.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "projections/case_fold.h"

namespace ledger {
namespace {

bool InMonth(const v1::Date& d, const v1::YearMonth& m) {
  return d.year() == m.year() && d.month() == m.month();
}

v1::YearMonth Shift(const v1::YearMonth& m, int months) {
  const int index = m.year() * 12 + m.month() - 1 + months;
  v1::YearMonth out;
  out.set_year(index / 12);
  out.set_month(index % 12 + 1);
  return out;
}

void Add(std::map<std::string, int64_t>* counts, const std::string& key) {
  ++(*counts)[key.empty() ? "(none)" : key];
}

void Put(const std::map<std::string, int64_t>& counts,
         google::protobuf::RepeatedPtrField<v1::Count>* out) {
  for (const auto& [key, n] : counts) {
    v1::Count* c = out->Add();
    c->set_key(key);
    c->set_count(n);
  }
}

}  // namespace

AnalysisView::AnalysisView(ViewOptions options) : CaseView(kName, options) {}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::AssistRequested& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) case_fold::AssistRequested(p, row);
  return absl::OkStatus();
}

absl::StatusOr<v1::MonthFigures> AnalysisView::Figures(
    const v1::YearMonth& month) const {
  const std::string group = MonthGroup(month);
  return figures_.Get(group, cases_.Generation(group),
                      [&] { return Compute(month); });
}

absl::StatusOr<v1::MonthFigures> AnalysisView::Compute(
    const v1::YearMonth& month) const {
  std::map<std::string, int64_t> by_kind, by_category, by_channel,
      by_importance, by_station, by_department;
  CaseTally tally;
  int64_t cases = 0;
  RETURN_IF_ERROR(
      cases_.ForEachIn(MonthGroup(month), [&](const v1::AnalysisCaseRow& c) {
        if (!InMonth(c.received_day(), month)) return true;
        tally.Add(c);
        ++cases;
        Add(&by_kind, c.classified() ? EnumLabel(c.kind()) : "unclassified");
        Add(&by_channel, EnumLabel(c.channel()));
        Add(&by_importance,
            c.classified() ? EnumLabel(c.importance()) : "unclassified");
        Add(&by_station, c.station_id());
        Add(&by_department, c.department_id());
        if (c.kind() == v1::INFO_KIND_COMPLAINT) {
          Add(&by_category, EnumLabel(c.category()));
        }
        return true;
      }));
  v1::MonthFigures f;
  *f.mutable_month() = month;
  Put(by_kind, f.mutable_by_kind());
  Put(by_category, f.mutable_by_category());
  Put(by_channel, f.mutable_by_channel());
  Put(by_importance, f.mutable_by_importance());
  Put(by_station, f.mutable_by_station());
  Put(by_department, f.mutable_by_department());
  f.set_cases(cases);
  tally.CentreKpis(f.mutable_kpis());
  return f;
}

absl::StatusOr<v1::GetMonthlyAnalysisResponse> AnalysisView::Analysis(
    const v1::YearMonth& month, int64_t now_us) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  v1::GetMonthlyAnalysisResponse r;
  ASSIGN_OR_RETURN(*r.mutable_month(), Figures(month));
  ASSIGN_OR_RETURN(*r.mutable_previous_month(), Figures(Shift(month, -1)));
  ASSIGN_OR_RETURN(*r.mutable_same_month_last_year(),
                   Figures(Shift(month, -12)));
  for (v1::MonthFigures* figures :
       {r.mutable_month(), r.mutable_previous_month(),
        r.mutable_same_month_last_year()}) {
    MarkPendingUnlessEnded(figures->month(), now_us, calendar_.zone(),
                           figures->mutable_kpis());
  }
  for (int i = 0; i < r.month().kpis_size(); ++i) {
    v1::Kpi* kpi = r.mutable_month()->mutable_kpis(i);
    const v1::Kpi& previous = r.previous_month().kpis(i);
    const v1::Kpi& last_year = r.same_month_last_year().kpis(i);
    kpi->set_previous_month_value(previous.value());
    kpi->set_previous_month_no_data(previous.no_data());
    kpi->set_same_month_last_year_value(last_year.value());
    kpi->set_same_month_last_year_no_data(last_year.no_data());
  }
  return r;
}

}  // namespace ledger
