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

absl::Status ScorecardView::Load(const EventStore& store) {
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

void ScorecardView::Apply(const v1::Event& e) {
  if (Is<v1::CalendarPublished>(e)) {
    auto p = Unwrap<v1::CalendarPublished>(e);
    if (!p.ok() || !zone_.Set(p->time_zone())) {
      ++skipped_;
      return;
    }
    dirty_agents_.insert(kZoneRow);
    return;
  }
  const std::string id = ComplaintIdOfStream(e.stream_id());
  if (id.empty()) return;
  bool ok = true;
  if (Is<v1::ComplaintReceived>(e)) {
    auto p = SharedUnwrap<v1::ComplaintReceived>(e);
    if ((ok = p.ok())) {
      v1::ScorecardCaseRow& row = cases_[id];
      *row.mutable_received_day() = zone_.DayOf((*p)->received_time_us());
      row.set_owner_agent_id((*p)->owner_agent_id());
      row.set_severity(v1::SEVERITY_GENERAL);
      dirty_cases_.insert(id);
    }
  } else if (!cases_.contains(id)) {
    ok = false;
  } else if (Is<v1::OwnerAssigned>(e)) {
    auto p = Unwrap<v1::OwnerAssigned>(e);
    if ((ok = p.ok())) cases_[id].set_owner_agent_id(p->owner_agent_id());
    dirty_cases_.insert(id);
  } else if (Is<v1::OwnerHandedOver>(e)) {
    auto p = Unwrap<v1::OwnerHandedOver>(e);
    if ((ok = p.ok())) cases_[id].set_owner_agent_id(p->owner_agent_id());
    dirty_cases_.insert(id);
  } else if (Is<v1::SeverityRaised>(e)) {
    auto p = SharedUnwrap<v1::SeverityRaised>(e);
    if ((ok = p.ok())) cases_[id].set_severity((*p)->severity());
    dirty_cases_.insert(id);
  } else if (Is<v1::Replied>(e)) {
    auto p = SharedUnwrap<v1::Replied>(e);
    if ((ok = p.ok())) {
      v1::AgentMonthRow& row = AgentMonth(e.actor(), e.recorded_time_us());
      row.set_replies(row.replies() + 1);
      row.set_replies_on_time(row.replies_on_time() + (*p)->within_deadline());
    }
  } else if (Is<v1::RevisitRecorded>(e)) {
    auto p = SharedUnwrap<v1::RevisitRecorded>(e);
    if ((ok = p.ok()) &&
        (*p)->revisit_kind() != v1::REVISIT_KIND_MONTH_END_SECOND) {
      v1::AgentMonthRow& row = AgentMonth(e.actor(), e.recorded_time_us());
      row.set_revisits(row.revisits() + 1);
      row.set_revisits_on_time(row.revisits_on_time() +
                               (*p)->within_deadline());
      row.set_revisits_satisfied(
          row.revisits_satisfied() +
          ((*p)->satisfaction() == v1::SATISFACTION_VERY_SATISFIED ||
           (*p)->satisfaction() == v1::SATISFACTION_SATISFIED));
    }
  }
  if (!ok) ++skipped_;
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
