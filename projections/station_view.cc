#include "projections/station_view.h"

#include <algorithm>
#include <limits>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

constexpr char kRefRow[] = "ref";

int MonthIndex(int year, int month) { return year * 12 + month - 1; }

// Amounts recorded before their limits were checked (ledger/store/limits.h)
// may be anything: their sums stop at the largest int64 rather than wrap.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max()
               : std::numeric_limits<int64_t>::min();
}

bool InMonth(const v1::Date& d, const v1::YearMonth& m) {
  return d.year() == m.year() && d.month() == m.month();
}

bool InPeriod(const v1::Date& d, const v1::SpecialPeriodDeclared& p) {
  auto key = [](const v1::Date& x) {
    return std::make_tuple(x.year(), x.month(), x.day());
  };
  return key(p.first_day()) <= key(d) && key(d) <= key(p.last_day());
}

}  // namespace

StationView::StationView(ViewOptions options)
    : View(options),
      complaints_(kName, /*grouped=*/true, options.cached_cases) {
  complaints_.Attach(&store());
  reference_.set_time_zone(zone_.name());
}

absl::Status StationView::Restore(const ViewStore& store) {
  complaints_.Attach(&store);
  reference_.Clear();
  reference_.set_time_zone(kDefaultTimeZone);
  RETURN_IF_ERROR(ReadRow(store, kName, kRefRow, &reference_).status());
  reference_dirty_ = false;
  ++reference_version_;
  zone_.Set(reference_.time_zone());
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event&,
                                const v1::StationRegistered& p) {
  auto* stations = reference_.mutable_stations();
  auto it = std::find_if(
      stations->begin(), stations->end(),
      [&](const auto& s) { return s.station_id() == p.station_id(); });
  if (it != stations->end()) {
    *it = p;
  } else {
    *reference_.add_stations() = p;
  }
  reference_dirty_ = true;
  ++reference_version_;
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event&,
                                const v1::StationMonthlyVolumeRecorded& p) {
  *reference_.add_volumes() = p;  // The latest for a month wins.
  reference_dirty_ = true;
  ++reference_version_;
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event&,
                                const v1::PenaltySchedulePublished& p) {
  *reference_.add_schedules() = p;
  reference_dirty_ = true;
  ++reference_version_;
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event&,
                                const v1::SpecialPeriodDeclared& p) {
  *reference_.add_special_periods() = p;
  reference_dirty_ = true;
  ++reference_version_;
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event&,
                                const v1::CalendarPublished& p) {
  reference_.set_time_zone(p.time_zone());
  zone_.Set(p.time_zone());
  reference_dirty_ = true;
  ++reference_version_;
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::ComplaintReceived& p) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty() || p.station_id().empty()) return absl::OkStatus();
  const v1::Date day = zone_.DayOf(p.received_time_us());
  v1::StationComplaintRow& row = *complaints_.Create(id, MonthGroup(day));
  row.set_station_id(p.station_id());
  *row.mutable_received_day() = day;
  row.set_severity(v1::SEVERITY_GENERAL);
  return absl::OkStatus();
}

v1::StationComplaintRow* StationView::RowOf(const v1::Event& e) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return nullptr;
  absl::StatusOr<v1::StationComplaintRow*> row = complaints_.Change(id);
  if (!row.ok()) {
    Break(row.status());
    return nullptr;
  }
  return *row;
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::ComplaintClassified& p) {
  if (v1::StationComplaintRow* row = RowOf(e)) {
    row->set_kind(p.kind());
    row->set_category(p.category());
  }
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::SeverityRaised& p) {
  if (v1::StationComplaintRow* row = RowOf(e)) {
    row->set_severity(p.severity());
  }
  return absl::OkStatus();
}

void StationView::Changes(ViewChanges* changes) {
  complaints_.TakeChanges(changes);
  if (reference_dirty_) {
    changes->puts.emplace_back(kRefRow, reference_.SerializeAsString());
    reference_dirty_ = false;
  }
}

absl::StatusOr<v1::GetStationTableResponse> StationView::Table(
    const v1::YearMonth& month) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  const std::string group = MonthGroup(month);
  return tables_.Get(group, {complaints_.Generation(group), reference_version_},
                     [&] { return Compute(month); });
}

absl::StatusOr<v1::GetStationTableResponse> StationView::Compute(
    const v1::YearMonth& month) const {
  // The schedule in force: the latest effective on or before the month.
  const v1::PenaltySchedulePublished* schedule = nullptr;
  for (const auto& s : reference_.schedules()) {
    const int from =
        MonthIndex(s.effective_from().year(), s.effective_from().month());
    if (from > MonthIndex(month.year(), month.month())) continue;
    if (schedule == nullptr ||
        from >= MonthIndex(schedule->effective_from().year(),
                           schedule->effective_from().month())) {
      schedule = &s;
    }
  }
  auto rate = [schedule](v1::Severity severity) -> v1::Money {
    v1::Money zero;
    if (schedule == nullptr) return zero;
    for (const auto& r : schedule->rates()) {
      if (r.severity() == severity) return r.amount_per_complaint();
    }
    return zero;
  };
  const std::string currency =
      rate(v1::SEVERITY_REPEAT).currency_code().empty()
          ? rate(v1::SEVERITY_MALICIOUS).currency_code()
          : rate(v1::SEVERITY_REPEAT).currency_code();

  std::map<std::string, v1::StationMonth> rows;  // By station id.
  std::map<std::string, std::map<int, int64_t>> categories;
  for (const auto& s : reference_.stations()) {
    rows[s.station_id()].set_name(s.name());
  }
  for (const auto& v : reference_.volumes()) {
    if (v.month().year() == month.year() &&
        v.month().month() == month.month()) {
      rows[v.station_id()].set_copies(v.copies());  // The latest wins.
    }
  }
  RETURN_IF_ERROR(complaints_.ForEachIn(
      MonthGroup(month), [&](const v1::StationComplaintRow& c) {
        if (c.kind() != v1::INFO_KIND_COMPLAINT ||
            !InMonth(c.received_day(), month)) {
          return true;
        }
        v1::StationMonth& row = rows[c.station_id()];
        row.set_complaints(row.complaints() + 1);
        ++categories[c.station_id()][c.category()];
        if (c.severity() != v1::SEVERITY_REPEAT &&
            c.severity() != v1::SEVERITY_MALICIOUS) {
          return true;
        }
        if (c.severity() == v1::SEVERITY_REPEAT)
          row.set_repeat(row.repeat() + 1);
        if (c.severity() == v1::SEVERITY_MALICIOUS) {
          row.set_malicious(row.malicious() + 1);
        }
        const bool special = std::any_of(
            reference_.special_periods().begin(),
            reference_.special_periods().end(),
            [&](const auto& p) { return InPeriod(c.received_day(), p); });
        v1::Money* amount = special ? row.mutable_penalty_not_charged()
                                    : row.mutable_penalty_charged();
        amount->set_minor_units(SaturatingAdd(
            amount->minor_units(), rate(c.severity()).minor_units()));
        return true;
      }));

  v1::GetStationTableResponse response;
  *response.mutable_month() = month;
  v1::StationMonth totals;
  std::vector<v1::StationMonth*> ranked;
  for (auto& [id, row] : rows) {
    row.set_station_id(id);
    for (const auto& [category, n] : categories[id]) {
      v1::CategoryCount* count = row.add_by_category();
      count->set_category(static_cast<v1::ComplaintCategory>(category));
      count->set_complaints(n);
    }
    row.mutable_penalty_charged()->set_currency_code(currency);
    row.mutable_penalty_not_charged()->set_currency_code(currency);
    if (row.copies() > 0) {
      row.set_ratio_per_10k(static_cast<double>(row.complaints()) * 10000.0 /
                            static_cast<double>(row.copies()));
      ranked.push_back(&row);
    }
    totals.set_complaints(totals.complaints() + row.complaints());
    totals.set_repeat(totals.repeat() + row.repeat());
    totals.set_malicious(totals.malicious() + row.malicious());
    totals.set_copies(totals.copies() + row.copies());
    totals.mutable_penalty_charged()->set_minor_units(
        SaturatingAdd(totals.penalty_charged().minor_units(),
                      row.penalty_charged().minor_units()));
    totals.mutable_penalty_not_charged()->set_minor_units(
        SaturatingAdd(totals.penalty_not_charged().minor_units(),
                      row.penalty_not_charged().minor_units()));
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) {
    return a->ratio_per_10k() < b->ratio_per_10k();
  });
  for (size_t i = 0; i < ranked.size(); ++i) {
    // Equal ratios share a rank.
    const bool tie =
        i > 0 && ranked[i]->ratio_per_10k() == ranked[i - 1]->ratio_per_10k();
    ranked[i]->set_rank(tie ? ranked[i - 1]->rank()
                            : static_cast<uint32_t>(i + 1));
  }
  for (auto& [id, row] : rows) *response.add_stations() = std::move(row);
  totals.set_station_id("total");
  totals.mutable_penalty_charged()->set_currency_code(currency);
  totals.mutable_penalty_not_charged()->set_currency_code(currency);
  if (totals.copies() > 0) {
    totals.set_ratio_per_10k(static_cast<double>(totals.complaints()) *
                             10000.0 / static_cast<double>(totals.copies()));
  }
  *response.mutable_totals() = std::move(totals);
  return response;
}

}  // namespace ledger
