#include "projections/station_view.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

constexpr char kRefRow[] = "ref";
constexpr char kTablePrefix[] = "p/";

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
  penalty_tables_.clear();
  dirty_tables_.clear();
  RETURN_IF_ERROR(
      LoadRows(store, kName, kTablePrefix,
               [&](absl::string_view key, absl::string_view value) {
                 return penalty_tables_[std::string(key)].ParseFromArray(
                     value.data(), static_cast<int>(value.size()));
               }));
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
  row.set_changed_position(e.position());
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
    row->set_changed_position(e.position());
  }
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::SeverityRaised& p) {
  if (v1::StationComplaintRow* row = RowOf(e)) {
    row->set_severity(p.severity());
    row->set_changed_position(e.position());
  }
  return absl::OkStatus();
}

void StationView::Changes(ViewChanges* changes) {
  complaints_.TakeChanges(changes);
  if (reference_dirty_) {
    changes->puts.emplace_back(kRefRow, reference_.SerializeAsString());
    reference_dirty_ = false;
  }
  for (const std::string& key : dirty_tables_) {
    changes->puts.emplace_back(absl::StrCat(kTablePrefix, key),
                               penalty_tables_.at(key).SerializeAsString());
  }
  dirty_tables_.clear();
}

absl::StatusOr<v1::GetStationTableResponse> StationView::Table(
    const v1::YearMonth& month) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  const std::string group = MonthGroup(month);
  return tables_.Get(group, {complaints_.Generation(group), reference_version_},
                     [&] { return Compute(month); });
}

const v1::PenaltySchedulePublished* StationView::ScheduleFor(
    const v1::YearMonth& month) const {
  // The latest effective on or before the month.
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
  return schedule;
}

absl::StatusOr<v1::GetStationTableResponse> StationView::Compute(
    const v1::YearMonth& month) const {
  const v1::PenaltySchedulePublished* schedule = ScheduleFor(month);
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

absl::StatusOr<std::map<std::string, v1::PenaltyLine>>
StationView::PenaltyLines(const v1::YearMonth& month,
                          std::map<std::string, uint64_t>* causes) const {
  const v1::PenaltySchedulePublished* schedule = ScheduleFor(month);
  std::map<std::string, v1::PenaltyLine> lines;
  RETURN_IF_ERROR(complaints_.ForEachIn(
      MonthGroup(month),
      [&](absl::string_view id, const v1::StationComplaintRow& c) {
        if (!InMonth(c.received_day(), month)) return true;
        (*causes)[std::string(id)] = c.changed_position();
        if (c.kind() != v1::INFO_KIND_COMPLAINT ||
            (c.severity() != v1::SEVERITY_REPEAT &&
             c.severity() != v1::SEVERITY_MALICIOUS)) {
          return true;
        }
        v1::PenaltyLine& line = lines[std::string(id)];
        line.set_station_id(c.station_id());
        for (const auto& s : reference_.stations()) {
          if (s.station_id() != c.station_id()) continue;
          line.set_station_name(s.name());
          line.set_station_head_agent_id(s.head_agent_id());
        }
        line.set_complaint_id(std::string(id));
        line.set_severity(c.severity());
        if (schedule != nullptr) {
          for (const auto& r : schedule->rates()) {
            if (r.severity() == c.severity()) {
              *line.mutable_amount() = r.amount_per_complaint();
            }
          }
        }
        line.set_charged(std::none_of(
            reference_.special_periods().begin(),
            reference_.special_periods().end(),
            [&](const auto& p) { return InPeriod(c.received_day(), p); }));
        line.set_cause_position(c.changed_position());
        return true;
      }));
  return lines;
}

void StationView::TotalPenalties(v1::GetPenaltyTableResponse* table) {
  int64_t charged = 0, not_charged = 0;
  std::string currency;
  auto add = [&](const v1::PenaltyLine& line) {
    int64_t& sum = line.charged() ? charged : not_charged;
    sum = SaturatingAdd(sum, line.amount().minor_units());
    if (currency.empty()) currency = line.amount().currency_code();
  };
  for (const v1::PenaltyLine& line : table->lines()) add(line);
  for (const v1::PenaltyLine& line : table->adjustments()) add(line);
  table->mutable_total_charged()->set_currency_code(currency);
  table->mutable_total_charged()->set_minor_units(charged);
  table->mutable_total_not_charged()->set_currency_code(currency);
  table->mutable_total_not_charged()->set_minor_units(not_charged);
}

absl::StatusOr<v1::GetPenaltyTableResponse> StationView::Draw(
    const v1::YearMonth& month) const {
  v1::GetPenaltyTableResponse table;
  *table.mutable_month() = month;
  if (const v1::PenaltySchedulePublished* s = ScheduleFor(month)) {
    *table.mutable_schedule_effective_from() = s->effective_from();
  }
  std::map<std::string, uint64_t> causes;
  ASSIGN_OR_RETURN(auto lines, PenaltyLines(month, &causes));
  for (auto& [id, line] : lines) *table.add_lines() = std::move(line);
  // Every earlier signed table: what its month gives now against what was
  // signed and what later signed tables adjusted since.
  const std::string key = YearMonthKey(month);
  for (const auto& [signed_key, signed_table] : penalty_tables_) {
    if (signed_key >= key ||
        signed_table.state() < v1::PENALTY_TABLE_STATE_SIGNED) {
      continue;
    }
    std::map<std::string, uint64_t> signed_causes;
    ASSIGN_OR_RETURN(auto now,
                     PenaltyLines(signed_table.month(), &signed_causes));
    // complaint -> (charged, not charged) billed so far, and a line.
    std::map<std::string, std::pair<int64_t, int64_t>> billed;
    std::map<std::string, v1::PenaltyLine> last;
    auto bill = [&](const v1::PenaltyLine& line) {
      auto& [c, n] = billed[line.complaint_id()];
      (line.charged() ? c : n) += line.amount().minor_units();
      last[line.complaint_id()] = line;
    };
    for (const v1::PenaltyLine& line : signed_table.lines()) bill(line);
    for (const auto& [later_key, later] : penalty_tables_) {
      if (later_key <= signed_key || later_key >= key ||
          later.state() < v1::PENALTY_TABLE_STATE_SIGNED) {
        continue;
      }
      for (const v1::PenaltyLine& line : later.adjustments()) {
        if (YearMonthKey(line.adjusts_month()) == signed_key) bill(line);
      }
    }
    std::set<std::string> ids;
    for (const auto& [id, unused] : billed) ids.insert(id);
    for (const auto& [id, unused] : now) ids.insert(id);
    for (const std::string& id : ids) {
      const auto current = now.find(id);
      v1::PenaltyLine base =
          current != now.end() ? current->second : last.at(id);
      const auto [was_charged, was_not] = billed[id];
      int64_t is_charged = 0, is_not = 0;
      if (current != now.end()) {
        (current->second.charged() ? is_charged : is_not) =
            current->second.amount().minor_units();
      }
      for (const auto& [charged, delta] :
           {std::pair{true, is_charged - was_charged},
            std::pair{false, is_not - was_not}}) {
        if (delta == 0) continue;
        v1::PenaltyLine& adjustment = *table.add_adjustments();
        adjustment = base;
        adjustment.mutable_amount()->set_minor_units(delta);
        adjustment.set_charged(charged);
        *adjustment.mutable_adjusts_month() = signed_table.month();
        auto cause = signed_causes.find(id);
        adjustment.set_cause_position(
            cause != signed_causes.end() ? cause->second : 0);
      }
    }
  }
  TotalPenalties(&table);
  return table;
}

v1::GetPenaltyTableResponse& StationView::TableRow(const v1::YearMonth& month) {
  const std::string key = YearMonthKey(month);
  dirty_tables_.insert(key);
  return penalty_tables_[key];
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::PenaltyTableDrawnUp& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  ASSIGN_OR_RETURN(v1::GetPenaltyTableResponse table, Draw(p.month()));
  table.set_state(v1::PENALTY_TABLE_STATE_DRAWN_UP);
  table.set_drawn_position(e.position());
  table.set_drawn_us(e.recorded_time_us());
  table.set_drawn_by_agent_id(e.actor());
  TableRow(p.month()) = std::move(table);
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::PenaltyTableSigned& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  v1::GetPenaltyTableResponse& table = TableRow(p.month());
  table.set_state(v1::PENALTY_TABLE_STATE_SIGNED);
  table.set_signed_by_agent_id(e.actor());
  table.set_signed_us(e.recorded_time_us());
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::PenaltyTablePublished& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  v1::GetPenaltyTableResponse& table = TableRow(p.month());
  table.set_state(v1::PENALTY_TABLE_STATE_PUBLISHED);
  table.set_published_us(e.recorded_time_us());
  return absl::OkStatus();
}

absl::Status StationView::Visit(const v1::Event& e,
                                const v1::PenaltyTableSentToFinance& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  v1::GetPenaltyTableResponse& table = TableRow(p.month());
  table.set_state(v1::PENALTY_TABLE_STATE_SENT_TO_FINANCE);
  table.set_sent_to_finance_us(e.recorded_time_us());
  return absl::OkStatus();
}

absl::StatusOr<v1::GetPenaltyTableResponse> StationView::PenaltyTable(
    const v1::YearMonth& month) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  auto it = penalty_tables_.find(YearMonthKey(month));
  if (it != penalty_tables_.end()) return it->second;
  return Draw(month);
}

}  // namespace ledger
