#include "projections/scorecard_view.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

constexpr char kCasePrefix[] = "c/";
constexpr char kAgentPrefix[] = "a/";
constexpr char kZoneRow[] = "zone";

double Rate(int64_t part, int64_t whole) {
  return whole == 0 ? 0
                    : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string ScorecardView::MonthOf(int64_t time_us) const {
  const absl::CivilMonth m =
      absl::ToCivilMonth(absl::FromUnixMicros(time_us), zone_.zone());
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

v1::AgentMonthRow& ScorecardView::AgentMonth(const std::string& agent,
                                             int64_t time_us) {
  const std::string key = absl::StrCat(agent, "/", MonthOf(time_us));
  dirty_agents_.insert(key);
  return agents_[key];
}

absl::Status ScorecardView::Load(const ViewStore& store) {
  cases_.clear();
  agents_.clear();
  return LoadRows(store, kName,
                  [&](absl::string_view key, absl::string_view value) {
                    if (key == kZoneRow) return zone_.Set(std::string(value));
                    if (absl::ConsumePrefix(&key, kCasePrefix)) {
                      return cases_[std::string(key)].ParseFromArray(
                          value.data(), static_cast<int>(value.size()));
                    }
                    if (absl::ConsumePrefix(&key, kAgentPrefix)) {
                      return agents_[std::string(key)].ParseFromArray(
                          value.data(), static_cast<int>(value.size()));
                    }
                    return true;
                  });
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::CalendarPublished& p) {
  if (!zone_.Set(p.time_zone())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event ", e.position(), ": unknown time zone ", p.time_zone()));
  }
  dirty_agents_.insert(kZoneRow);
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::ComplaintReceived& p) {
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return absl::OkStatus();
  v1::ScorecardCaseRow& row = cases_[id];
  *row.mutable_received_day() = zone_.DayOf(p.received_time_us());
  row.set_owner_agent_id(p.owner_agent_id());
  row.set_severity(v1::SEVERITY_GENERAL);
  dirty_cases_.insert(id);
  return absl::OkStatus();
}

absl::StatusOr<v1::ScorecardCaseRow*> ScorecardView::CaseOf(
    const v1::Event& e, bool changes) {
  std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return nullptr;
  auto it = cases_.find(id);
  if (it == cases_.end()) {
    return absl::NotFoundError(
        absl::StrCat("event ", e.position(), " of a case never received"));
  }
  if (changes) dirty_cases_.insert(std::move(id));
  return &it->second;
}

absl::Status ScorecardView::Unhandled(const v1::Event& e) {
  return CaseOf(e, /*changes=*/false).status();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::OwnerAssigned& p) {
  ASSIGN_OR_RETURN(v1::ScorecardCaseRow * row, CaseOf(e, /*changes=*/true));
  if (row != nullptr) row->set_owner_agent_id(p.owner_agent_id());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::OwnerHandedOver& p) {
  ASSIGN_OR_RETURN(v1::ScorecardCaseRow * row, CaseOf(e, /*changes=*/true));
  if (row != nullptr) row->set_owner_agent_id(p.owner_agent_id());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::SeverityRaised& p) {
  ASSIGN_OR_RETURN(v1::ScorecardCaseRow * row, CaseOf(e, /*changes=*/true));
  if (row != nullptr) row->set_severity(p.severity());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e, const v1::Replied& p) {
  ASSIGN_OR_RETURN(v1::ScorecardCaseRow * row, CaseOf(e, /*changes=*/false));
  if (row == nullptr) return absl::OkStatus();
  v1::AgentMonthRow& month = AgentMonth(e.actor(), e.recorded_time_us());
  month.set_replies(month.replies() + 1);
  month.set_replies_on_time(month.replies_on_time() + p.within_deadline());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::RevisitRecorded& p) {
  ASSIGN_OR_RETURN(v1::ScorecardCaseRow * row, CaseOf(e, /*changes=*/false));
  if (row == nullptr ||
      p.revisit_kind() == v1::REVISIT_KIND_MONTH_END_SECOND) {
    return absl::OkStatus();
  }
  v1::AgentMonthRow& month = AgentMonth(e.actor(), e.recorded_time_us());
  month.set_revisits(month.revisits() + 1);
  month.set_revisits_on_time(month.revisits_on_time() + p.within_deadline());
  month.set_revisits_satisfied(
      month.revisits_satisfied() +
      (p.satisfaction() == v1::SATISFACTION_VERY_SATISFIED ||
       p.satisfaction() == v1::SATISFACTION_SATISFIED));
  return absl::OkStatus();
}

void ScorecardView::TakeChanges(ViewChanges* changes) {
  for (const std::string& id : dirty_cases_) {
    changes->puts.emplace_back(absl::StrCat(kCasePrefix, id),
                               cases_.at(id).SerializeAsString());
  }
  for (const std::string& key : dirty_agents_) {
    if (key == kZoneRow) {
      changes->puts.emplace_back(kZoneRow, zone_.name());
    } else {
      changes->puts.emplace_back(absl::StrCat(kAgentPrefix, key),
                                 agents_.at(key).SerializeAsString());
    }
  }
  dirty_cases_.clear();
  dirty_agents_.clear();
}

absl::StatusOr<v1::AgentScorecard> ScorecardView::Scorecard(
    const std::string& agent_id, const v1::YearMonth& month) const {
  if (agent_id.empty())
    return absl::InvalidArgumentError("agent_id is required");
  RETURN_IF_ERROR(CheckMonth("month", month));
  v1::AgentScorecard card;
  card.set_agent_id(agent_id);
  *card.mutable_month() = month;
  for (const auto& entry : cases_) {
    const v1::ScorecardCaseRow& c = entry.second;
    if (c.owner_agent_id() != agent_id ||
        c.received_day().year() != month.year() ||
        c.received_day().month() != month.month()) {
      continue;
    }
    card.set_cases_owned(card.cases_owned() + 1);
    card.set_repeat_cases(card.repeat_cases() +
                          (c.severity() >= v1::SEVERITY_REPEAT));
  }
  auto it = agents_.find(
      absl::StrFormat("%s/%04d-%02d", agent_id, month.year(), month.month()));
  if (it != agents_.end()) {
    const v1::AgentMonthRow& a = it->second;
    card.set_replies(a.replies());
    card.set_replies_on_time(a.replies_on_time());
    card.set_revisits(a.revisits());
    card.set_revisits_on_time(a.revisits_on_time());
    card.set_revisits_satisfied(a.revisits_satisfied());
  }
  card.set_reply_on_time_rate(Rate(card.replies_on_time(), card.replies()));
  card.set_revisit_on_time_rate(Rate(card.revisits_on_time(), card.revisits()));
  card.set_satisfaction_rate(Rate(card.revisits_satisfied(), card.revisits()));
  return card;
}

}  // namespace ledger
