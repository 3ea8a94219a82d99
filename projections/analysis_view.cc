#include "projections/analysis_view.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

constexpr char kCalendarRow[] = "calendar";

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

v1::Kpi Kpi(std::string name, std::string formula, int64_t numerator,
            int64_t denominator, double target, bool at_least) {
  v1::Kpi kpi;
  kpi.set_name(std::move(name));
  kpi.set_formula(std::move(formula));
  kpi.set_numerator(numerator);
  kpi.set_denominator(denominator);
  kpi.set_target(target);
  kpi.set_at_least(at_least);
  kpi.set_no_data(denominator == 0);
  if (denominator > 0) {
    kpi.set_value(static_cast<double>(numerator) /
                  static_cast<double>(denominator));
    kpi.set_pass(at_least ? kpi.value() >= target : kpi.value() <= target);
  }
  return kpi;
}

}  // namespace

void AnalysisView::SetCalendar(const v1::CalendarPublished& calendar) {
  absl::StatusOr<BusinessCalendar> parsed =
      BusinessCalendar::FromProto(calendar);
  if (!parsed.ok()) {
    ++skipped_;
    return;
  }
  calendar_proto_ = calendar;
  calendar_.emplace(*std::move(parsed));
  zone_.Set(calendar.time_zone());
}

AnalysisView::AnalysisView(ViewOptions options)
    : View(options), cases_(kName, /*grouped=*/true, options.cached_cases) {
  cases_.Attach(&store());
}

absl::Status AnalysisView::Restore(const ViewStore& store) {
  cases_.Attach(&store);
  calendar_proto_.reset();
  calendar_.reset();
  zone_ = SiteZone();
  calendar_dirty_ = false;
  v1::CalendarPublished calendar;
  ASSIGN_OR_RETURN(const bool stored,
                   ReadRow(store, kName, kCalendarRow, &calendar));
  if (stored) SetCalendar(calendar);
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event&,
                                 const v1::CalendarPublished& p) {
  SetCalendar(p);
  calendar_dirty_ = true;
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::ComplaintReceived& p) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return absl::OkStatus();
  const v1::Date day = zone_.DayOf(p.received_time_us());
  v1::AnalysisCaseRow& row = *cases_.Create(id, MonthGroup(day));
  const absl::Time received = absl::FromUnixMicros(p.received_time_us());
  *row.mutable_received_day() = day;
  row.set_channel(p.channel());
  row.set_station_id(p.station_id());
  row.set_department_id(p.department_id());
  row.set_severity(v1::SEVERITY_GENERAL);
  row.set_green_channel(p.green_channel());
  if (calendar_.has_value()) {
    absl::StatusOr<absl::Time> due = calendar_->WorkingDaysAfter(received, 1);
    if (due.ok()) row.set_acceptance_due_us(absl::ToUnixMicros(*due));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AnalysisCaseRow*> AnalysisView::CaseOf(const v1::Event& e) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return nullptr;
  return CaseFound(e, cases_.Change(id));
}

void AnalysisView::Accept(const v1::Event& e, v1::AnalysisCaseRow* row) {
  if (row->accepted()) return;
  row->set_accepted(true);
  row->set_accepted_in_time(row->acceptance_due_us() != 0 &&
                            e.recorded_time_us() <= row->acceptance_due_us());
}

absl::Status AnalysisView::Unhandled(const v1::Event& e) {
  // Only known: read, not changed (nor written again).
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return absl::OkStatus();
  return CaseFound(e, cases_.Peek(id)).status();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::ComplaintClassified& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row == nullptr) return absl::OkStatus();
  row->set_classified(true);
  row->set_kind(p.kind());
  row->set_category(p.category());
  row->set_importance(p.importance());
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::SeverityRaised& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_severity(p.severity());
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::HandlingTrackChosen&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) Accept(e, row);
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e, const v1::Replied& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row == nullptr) return absl::OkStatus();
  if (row->green_channel()) Accept(e, row);
  if (!row->replied()) {
    row->set_replied(true);
    row->set_first_reply_within_deadline(p.within_deadline());
  }
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::RevisitRecorded& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row == nullptr) return absl::OkStatus();
  if (p.revisit_kind() == v1::REVISIT_KIND_MONTH_END_SECOND) {
    row->set_month_end_revisit(true);
  } else {
    row->set_revisited(true);
    row->set_satisfaction(p.satisfaction());
  }
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::AssistRequested& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row == nullptr) return absl::OkStatus();
  row->set_assist_requests(row->assist_requests() + 1);
  if (p.sent_within_deadline()) {
    row->set_assist_requests_in_time(row->assist_requests_in_time() + 1);
  }
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e, const v1::SignedOff&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_closed(true);
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e, const v1::Reopened&) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row != nullptr) row->set_closed(false);
  return absl::OkStatus();
}

void AnalysisView::Changes(ViewChanges* changes) {
  cases_.TakeChanges(changes);
  if (calendar_dirty_ && calendar_proto_.has_value()) {
    changes->puts.emplace_back(kCalendarRow,
                               calendar_proto_->SerializeAsString());
  }
  calendar_dirty_ = false;
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
  int64_t cases = 0, acceptance_known = 0, accepted_in_time = 0, closed = 0,
          revisited = 0, satisfied = 0, complaints = 0, repeats = 0,
          complaints_closed = 0, month_end = 0, replied = 0,
          replied_in_time = 0, assists = 0, assists_in_time = 0;
  // Revisit quotas: complaints, repair requests, everything else.
  int64_t quota_cases[3] = {0, 0, 0}, quota_revisited[3] = {0, 0, 0};
  RETURN_IF_ERROR(
      cases_.ForEachIn(MonthGroup(month), [&](const v1::AnalysisCaseRow& c) {
        if (!InMonth(c.received_day(), month)) return true;
        ++cases;
        Add(&by_kind, c.classified() ? EnumLabel(c.kind()) : "unclassified");
        Add(&by_channel, EnumLabel(c.channel()));
        Add(&by_importance,
            c.classified() ? EnumLabel(c.importance()) : "unclassified");
        Add(&by_station, c.station_id());
        Add(&by_department, c.department_id());
        if (c.acceptance_due_us() != 0) {
          ++acceptance_known;
          accepted_in_time += c.accepted_in_time();
        }
        closed += c.closed();
        if (c.revisited()) {
          ++revisited;
          satisfied += c.satisfaction() == v1::SATISFACTION_VERY_SATISFIED ||
                       c.satisfaction() == v1::SATISFACTION_SATISFIED;
        }
        const bool complaint = c.kind() == v1::INFO_KIND_COMPLAINT;
        if (complaint) {
          ++complaints;
          Add(&by_category, EnumLabel(c.category()));
          repeats += c.severity() >= v1::SEVERITY_REPEAT;
          if (c.closed()) {
            ++complaints_closed;
            month_end += c.month_end_revisit();
          }
        }
        const int quota = complaint                                  ? 0
                          : c.kind() == v1::INFO_KIND_REPAIR_REQUEST ? 1
                                                                     : 2;
        ++quota_cases[quota];
        quota_revisited[quota] += c.revisited();
        if (c.replied()) {
          ++replied;
          replied_in_time += c.first_reply_within_deadline();
        }
        assists += c.assist_requests();
        assists_in_time += c.assist_requests_in_time();
        return true;
      }));
  v1::MonthFigures f;
  *f.mutable_month() = month;
  f.set_cases(cases);
  Put(by_kind, f.mutable_by_kind());
  Put(by_category, f.mutable_by_category());
  Put(by_channel, f.mutable_by_channel());
  Put(by_importance, f.mutable_by_importance());
  Put(by_station, f.mutable_by_station());
  Put(by_department, f.mutable_by_department());
  auto add = [&f](v1::Kpi kpi) { *f.add_kpis() = std::move(kpi); };
  add(Kpi("timely acceptance",
          "cases accepted (first track, or first reply on the green channel) "
          "by the end of the first working day after intake / cases with a "
          "computable deadline",
          accepted_in_time, acceptance_known, 0.95, true));
  add(Kpi("resolution", "cases signed off / cases", closed, cases, 0.90, true));
  add(Kpi("satisfaction",
          "cases whose latest first revisit was very satisfied or satisfied / "
          "cases revisited",
          satisfied, revisited, 0.80, true));
  add(Kpi("repeat rate", "complaints repeat or malicious / complaints", repeats,
          complaints, 0.05, false));
  add(Kpi("revisit rate, complaints", "complaints revisited / complaints",
          quota_revisited[0], quota_cases[0], 1.00, true));
  add(Kpi("revisit rate, repair requests",
          "repair requests revisited / repair requests", quota_revisited[1],
          quota_cases[1], 0.30, true));
  add(Kpi("revisit rate, other kinds",
          "other cases revisited / other cases (inquiries, suggestions, ..., "
          "unclassified)",
          quota_revisited[2], quota_cases[2], 0.10, true));
  add(Kpi("month-end second revisit",
          "complaints signed off with a month-end second revisit / complaints "
          "signed off",
          month_end, complaints_closed, 0.50, true));
  add(Kpi("replies within deadline",
          "first replies within their deadline / cases replied",
          replied_in_time, replied, 1.00, true));
  add(Kpi("assist requests within cut-off",
          "assist requests sent before their cut-off / assist requests",
          assists_in_time, assists, 1.00, true));
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
    const absl::Time end = absl::FromCivil(
        absl::CivilMonth(figures->month().year(), figures->month().month()) + 1,
        zone_.zone());
    if (absl::FromUnixMicros(now_us) >= end) continue;
    for (v1::Kpi& kpi : *figures->mutable_kpis()) {
      kpi.set_pending(true);
      kpi.set_pass(false);
    }
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
