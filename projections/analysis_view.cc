#include "projections/analysis_view.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/reference_data.h"
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

namespace {

constexpr char kTypicalPrefix[] = "k/t/";
constexpr char kDigestPrefix[] = "k/d/";
constexpr char kReadingPrefix[] = "k/r/";
constexpr char kAgentsRow[] = "k/agents";

v1::Date DateOf(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool Within(const v1::Date& d, const v1::Date& first, const v1::Date& last) {
  auto key = [](const v1::Date& x) {
    return std::make_tuple(x.year(), x.month(), x.day());
  };
  return key(first) <= key(d) && key(d) <= key(last);
}

}  // namespace

absl::Status AnalysisView::Restore(const ViewStore& store) {
  RETURN_IF_ERROR(CaseView::Restore(store));
  typical_.clear();
  digests_.clear();
  readings_.clear();
  agents_.clear();
  dirty_.clear();
  RETURN_IF_ERROR(LoadRows(store, kName, kTypicalPrefix,
                           [&](absl::string_view key, absl::string_view value) {
                             return typical_[std::string(key)].ParseFromArray(
                                 value.data(), static_cast<int>(value.size()));
                           }));
  RETURN_IF_ERROR(LoadRows(store, kName, kDigestPrefix,
                           [&](absl::string_view key, absl::string_view value) {
                             return digests_[std::string(key)].ParseFromArray(
                                 value.data(), static_cast<int>(value.size()));
                           }));
  RETURN_IF_ERROR(LoadRows(store, kName, kReadingPrefix,
                           [&](absl::string_view key, absl::string_view value) {
                             return readings_[std::string(key)].ParseFromArray(
                                 value.data(), static_cast<int>(value.size()));
                           }));
  v1::KnowledgeAgentsRow agents;
  ASSIGN_OR_RETURN(bool found, ReadRow(store, kName, kAgentsRow, &agents));
  if (found)
    agents_.insert(agents.agent_ids().begin(), agents.agent_ids().end());
  return absl::OkStatus();
}

void AnalysisView::Changes(ViewChanges* changes) {
  CaseView::Changes(changes);
  for (const std::string& key : dirty_) {
    std::string value;
    if (absl::StartsWith(key, kTypicalPrefix)) {
      value =
          typical_.at(key.substr(strlen(kTypicalPrefix))).SerializeAsString();
    } else if (absl::StartsWith(key, kDigestPrefix)) {
      value =
          digests_.at(key.substr(strlen(kDigestPrefix))).SerializeAsString();
    } else if (absl::StartsWith(key, kReadingPrefix)) {
      value =
          readings_.at(key.substr(strlen(kReadingPrefix))).SerializeAsString();
    } else {
      v1::KnowledgeAgentsRow agents;
      for (const std::string& id : agents_) agents.add_agent_ids(id);
      value = agents.SerializeAsString();
    }
    changes->puts.emplace_back(key, std::move(value));
  }
  dirty_.clear();
}

absl::Status AnalysisView::Visit(const v1::Event&,
                                 const v1::AgentRegistered& p) {
  const bool agent = p.active() && std::find(p.roles().begin(), p.roles().end(),
                                             v1::ROLE_AGENT) != p.roles().end();
  if (agent ? agents_.insert(p.agent_id()).second
            : agents_.erase(p.agent_id()) > 0) {
    dirty_.insert(kAgentsRow);
  }
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::TypicalCaseMarked& p) {
  ASSIGN_OR_RETURN(v1::AnalysisCaseRow * row, CaseOf(e));
  if (row == nullptr) return absl::OkStatus();
  const std::string id = ComplaintIdOfStream(e.stream_id());
  v1::TypicalCase& typical = typical_[id];
  typical.set_complaint_id(id);
  typical.set_category(p.category());
  typical.set_summary(p.summary());
  typical.set_solution(p.solution());
  typical.set_points_to_watch(p.points_to_watch());
  *typical.mutable_tags() = p.tags();
  typical.set_marked_by_agent_id(p.marked_by_agent_id());
  typical.set_marked_us(e.recorded_time_us());
  dirty_.insert(absl::StrCat(kTypicalPrefix, id));
  return absl::OkStatus();
}

absl::StatusOr<v1::GetDigestResponse> AnalysisView::DrawDigest(
    const v1::YearMonth& month, v1::DigestHalf half) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  RETURN_IF_ERROR(CheckEnumSet("half", half));
  const auto [first, last] = DigestDays(month, half);
  v1::GetDigestResponse digest;
  *digest.mutable_month() = month;
  digest.set_half(half);
  *digest.mutable_first_day() = DateOf(first);
  *digest.mutable_last_day() = DateOf(last);
  std::map<std::string, int64_t> by_category;
  RETURN_IF_ERROR(cases_.ForEachIn(
      MonthGroup(month),
      [&](absl::string_view id, const v1::AnalysisCaseRow& c) {
        if (!Within(c.received_day(), digest.first_day(), digest.last_day())) {
          return true;
        }
        v1::DigestEntry& entry = *digest.add_entries();
        entry.set_complaint_id(std::string(id));
        entry.set_kind(c.kind());
        entry.set_category(c.category());
        entry.set_station_id(c.station_id());
        entry.set_department_id(c.department_id());
        entry.set_severity(c.severity());
        entry.set_replied(c.replied());
        entry.set_reply_outcome(c.reply_outcome());
        entry.set_closed(c.closed());
        entry.set_assist_requests(c.assist_requests());
        entry.set_typical(typical_.contains(entry.complaint_id()));
        if (c.kind() == v1::INFO_KIND_COMPLAINT) {
          Add(&by_category, EnumLabel(c.category()));
        }
        return true;
      }));
  std::sort(digest.mutable_entries()->begin(), digest.mutable_entries()->end(),
            [](const v1::DigestEntry& a, const v1::DigestEntry& b) {
              return a.complaint_id() < b.complaint_id();
            });
  Put(by_category, digest.mutable_by_category());
  for (const auto& [id, typical] : typical_) {
    if (Within(calendar_.zone().DayOf(typical.marked_us()), digest.first_day(),
               digest.last_day())) {
      *digest.add_typical_cases() = typical;
    }
  }
  return digest;
}

void AnalysisView::KeepEntries(
    v1::GetDigestResponse* digest,
    const std::function<bool(const v1::DigestEntry&)>& keep) {
  auto* entries = digest->mutable_entries();
  entries->erase(
      std::remove_if(entries->begin(), entries->end(),
                     [&](const v1::DigestEntry& e) { return !keep(e); }),
      entries->end());
  std::map<std::string, int64_t> by_category;
  for (const v1::DigestEntry& e : *entries) {
    if (e.kind() == v1::INFO_KIND_COMPLAINT) {
      Add(&by_category, EnumLabel(e.category()));
    }
  }
  digest->clear_by_category();
  Put(by_category, digest->mutable_by_category());
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::DigestDrawnUp& p) {
  ASSIGN_OR_RETURN(v1::GetDigestResponse digest,
                   DrawDigest(p.month(), p.half()));
  digest.set_drawn(true);
  digest.set_drawn_position(e.position());
  digest.set_drawn_us(e.recorded_time_us());
  const std::string key = DigestKey(p.month(), p.half());
  digests_[key] = std::move(digest);
  dirty_.insert(absl::StrCat(kDigestPrefix, key));
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::DigestCirculated& p) {
  const std::string key = DigestKey(p.month(), p.half());
  auto it = digests_.find(key);
  if (it == digests_.end()) {
    return absl::NotFoundError(absl::StrCat("digest ", key, " never drawn"));
  }
  it->second.set_circulated(true);
  it->second.set_circulated_us(e.recorded_time_us());
  dirty_.insert(absl::StrCat(kDigestPrefix, key));
  return absl::OkStatus();
}

absl::Status AnalysisView::Visit(const v1::Event& e,
                                 const v1::ReadingRecorded& p) {
  const std::string key = DigestKey(p.month(), p.half());
  auto it = digests_.find(key);
  if (it == digests_.end()) {
    return absl::NotFoundError(absl::StrCat("digest ", key, " never drawn"));
  }
  auto* read_by = it->second.mutable_read_by();
  if (std::find(read_by->begin(), read_by->end(), p.agent_id()) ==
      read_by->end()) {
    read_by->Add(std::string(p.agent_id()));
    dirty_.insert(absl::StrCat(kDigestPrefix, key));
  }
  const v1::Date day = calendar_.zone().DayOf(e.recorded_time_us());
  v1::YearMonth when;
  when.set_year(day.year());
  when.set_month(day.month());
  const std::string month = YearMonthKey(when);
  v1::GetReadingRecordResponse& readings = readings_[month];
  *readings.mutable_month() = when;
  v1::AgentReading* reading = nullptr;
  for (v1::AgentReading& r : *readings.mutable_agents()) {
    if (r.agent_id() == p.agent_id()) reading = &r;
  }
  if (reading == nullptr) {
    reading = readings.add_agents();
    reading->set_agent_id(p.agent_id());
  }
  if (std::find(reading->read().begin(), reading->read().end(), key) ==
      reading->read().end()) {
    reading->add_read(key);
  }
  dirty_.insert(absl::StrCat(kReadingPrefix, month));
  return absl::OkStatus();
}

absl::StatusOr<v1::SearchKnowledgeBaseResponse> AnalysisView::Search(
    const v1::SearchKnowledgeBaseRequest& request) const {
  const bool by_month = request.has_month();
  if (by_month) RETURN_IF_ERROR(CheckMonth("month", request.month()));
  std::vector<std::string> words =
      absl::StrSplit(absl::AsciiStrToLower(request.words()),
                     absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  v1::SearchKnowledgeBaseResponse response;
  for (const auto& [id, c] : typical_) {
    if (request.category() != v1::COMPLAINT_CATEGORY_UNSPECIFIED &&
        c.category() != request.category()) {
      continue;
    }
    if (by_month) {
      const v1::Date day = calendar_.zone().DayOf(c.marked_us());
      if (!InMonth(day, request.month())) continue;
    }
    const std::string text = absl::AsciiStrToLower(
        absl::StrCat(c.summary(), "\n", c.solution(), "\n", c.points_to_watch(),
                     "\n", absl::StrJoin(c.tags(), "\n")));
    if (std::all_of(words.begin(), words.end(), [&](const std::string& w) {
          return absl::StrContains(text, w);
        })) {
      *response.add_cases() = c;
    }
  }
  std::sort(response.mutable_cases()->begin(), response.mutable_cases()->end(),
            [](const v1::TypicalCase& a, const v1::TypicalCase& b) {
              return std::make_pair(-a.marked_us(), a.complaint_id()) <
                     std::make_pair(-b.marked_us(), b.complaint_id());
            });
  return response;
}

absl::StatusOr<v1::GetDigestResponse> AnalysisView::Digest(
    const v1::YearMonth& month, v1::DigestHalf half) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  RETURN_IF_ERROR(CheckEnumSet("half", half));
  auto it = digests_.find(DigestKey(month, half));
  if (it != digests_.end()) return it->second;
  return DrawDigest(month, half);
}

absl::StatusOr<v1::GetReadingRecordResponse> AnalysisView::Readings(
    const v1::YearMonth& month) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  v1::GetReadingRecordResponse response;
  *response.mutable_month() = month;
  std::map<std::string, v1::AgentReading> by_agent;
  for (const std::string& id : agents_) by_agent[id].set_agent_id(id);
  auto it = readings_.find(YearMonthKey(month));
  if (it != readings_.end()) {
    for (const v1::AgentReading& r : it->second.agents()) {
      by_agent[r.agent_id()] = r;
    }
  }
  for (auto& [id, reading] : by_agent) {
    if (reading.read().empty()) response.add_not_read(id);
    *response.add_agents() = std::move(reading);
  }
  return response;
}

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
