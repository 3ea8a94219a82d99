#include "projections/scorecard_view.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "projections/assessment.h"

namespace ledger {
namespace {

constexpr char kAgentPrefix[] = "a/";
constexpr char kRegisteredPrefix[] = "r/";
constexpr char kAssessmentPrefix[] = "m/";

double Rate(int64_t part, int64_t whole) {
  return whole == 0 ? 0
                    : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string ScorecardView::MonthOf(int64_t time_us) const {
  const absl::CivilMonth m = absl::ToCivilMonth(absl::FromUnixMicros(time_us),
                                                calendar_.zone().zone());
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

v1::AgentMonthRow& ScorecardView::AgentMonth(const std::string& agent,
                                             int64_t time_us) {
  const std::string key = absl::StrCat(agent, "/", MonthOf(time_us));
  dirty_agents_.insert(key);
  return agents_[key];
}

ScorecardView::ScorecardView(ViewOptions options) : CaseView(kName, options) {}

absl::Status ScorecardView::Restore(const ViewStore& store) {
  RETURN_IF_ERROR(CaseView::Restore(store));
  agents_.clear();
  dirty_agents_.clear();
  registered_.clear();
  dirty_registered_.clear();
  assessments_.clear();
  dirty_assessments_.clear();
  RETURN_IF_ERROR(
      LoadRows(store, kName, kAssessmentPrefix,
               [&](absl::string_view key, absl::string_view value) {
                 return assessments_[std::string(key)].ParseFromArray(
                     value.data(), static_cast<int>(value.size()));
               }));
  RETURN_IF_ERROR(LoadRows(store, kName, kRegisteredPrefix,
                           [&](absl::string_view key, absl::string_view value) {
                             registered_[std::string(key)] = std::string(value);
                             return true;
                           }));
  return LoadRows(store, kName, kAgentPrefix,
                  [&](absl::string_view key, absl::string_view value) {
                    return agents_[std::string(key)].ParseFromArray(
                        value.data(), static_cast<int>(value.size()));
                  });
}

absl::Status ScorecardView::Visit(const v1::Event&,
                                  const v1::AgentRegistered& p) {
  registered_[p.agent_id()] = p.display_name();
  dirty_registered_.insert(p.agent_id());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e, const v1::Replied& p) {
  RETURN_IF_ERROR(CaseView::Visit(e, p));
  if (ComplaintIdOfStream(e.stream_id()).empty()) return absl::OkStatus();
  v1::AgentMonthRow& month = AgentMonth(e.actor(), e.recorded_time_us());
  month.set_replies(month.replies() + 1);
  month.set_replies_on_time(month.replies_on_time() + p.within_deadline());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::RevisitRecorded& p) {
  RETURN_IF_ERROR(CaseView::Visit(e, p));
  if (ComplaintIdOfStream(e.stream_id()).empty() ||
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

void ScorecardView::Changes(ViewChanges* changes) {
  CaseView::Changes(changes);
  for (const std::string& key : dirty_agents_) {
    changes->puts.emplace_back(absl::StrCat(kAgentPrefix, key),
                               agents_.at(key).SerializeAsString());
  }
  dirty_agents_.clear();
  for (const std::string& id : dirty_registered_) {
    changes->puts.emplace_back(absl::StrCat(kRegisteredPrefix, id),
                               registered_.at(id));
  }
  dirty_registered_.clear();
  for (const std::string& key : dirty_assessments_) {
    changes->puts.emplace_back(absl::StrCat(kAssessmentPrefix, key),
                               assessments_.at(key).SerializeAsString());
  }
  dirty_assessments_.clear();
}

v1::AssessmentMonthRow& ScorecardView::AssessmentMonth(
    const v1::YearMonth& month) {
  const std::string key = YearMonthKey(month);
  dirty_assessments_.insert(key);
  return assessments_[key];
}

absl::Status ScorecardView::Visit(const v1::Event&,
                                  const v1::AssessmentPointsEntered& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  auto* entries = AssessmentMonth(p.month()).mutable_entries();
  for (v1::AssessmentPointsEntered& e : *entries) {
    if (e.agent_id() == p.agent_id() && e.part() == p.part()) {
      e = p;
      return absl::OkStatus();
    }
  }
  *entries->Add() = p;
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::AssessmentPublished& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  // The figures as the log gives them before this event.
  ASSIGN_OR_RETURN(v1::GetAssessmentResponse frozen,
                   Draft(p.month(), e.recorded_time_us()));
  frozen.set_published(true);
  frozen.set_published_position(e.position());
  frozen.set_published_us(e.recorded_time_us());
  frozen.set_published_by_agent_id(e.actor());
  *frozen.mutable_appeal_last_day() = p.appeal_last_day();
  *AssessmentMonth(p.month()).mutable_published() = std::move(frozen);
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::AssessmentAppealed& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  v1::AssessmentAppeal& appeal =
      *AssessmentMonth(p.month()).mutable_published()->add_appeals();
  appeal.set_appeal_id(p.appeal_id());
  appeal.set_agent_id(p.agent_id());
  appeal.set_part(p.part());
  appeal.set_reason(p.reason());
  appeal.set_appealed_us(e.recorded_time_us());
  return absl::OkStatus();
}

absl::Status ScorecardView::Visit(const v1::Event& e,
                                  const v1::AppealDecided& p) {
  RETURN_IF_ERROR(CheckMonth("month", p.month()));
  for (v1::AssessmentAppeal& appeal :
       *AssessmentMonth(p.month()).mutable_published()->mutable_appeals()) {
    if (appeal.appeal_id() != p.appeal_id()) continue;
    appeal.set_decided(true);
    appeal.set_accepted(p.accepted());
    appeal.set_corrected_points_tenths(p.corrected_points_tenths());
    appeal.set_decision_reason(p.reason());
    appeal.set_decided_by_agent_id(e.actor());
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("appeal ", p.appeal_id(), " was never made"));
}

absl::StatusOr<v1::GetAssessmentResponse> ScorecardView::Draft(
    const v1::YearMonth& month, int64_t now_us) const {
  ASSIGN_OR_RETURN(const std::shared_ptr<const CasesByAgent> by_agent,
                   CasesIn(month));
  const std::string key = YearMonthKey(month);
  // Whoever owned or took in a case, replied or revisited, or was given
  // points that month.
  std::map<std::string, std::vector<const v1::AssessmentPointsEntered*>> agents;
  for (const auto& [id, cases] : *by_agent) agents[id];
  const std::string suffix = absl::StrCat("/", key);
  for (const auto& [agent_month, row] : agents_) {
    if (absl::EndsWith(agent_month, suffix)) {
      agents[agent_month.substr(0, agent_month.size() - suffix.size())];
    }
  }
  auto row = assessments_.find(key);
  if (row != assessments_.end()) {
    for (const v1::AssessmentPointsEntered& e : row->second.entries()) {
      agents[e.agent_id()].push_back(&e);
    }
  }
  v1::GetAssessmentResponse response;
  *response.mutable_month() = month;
  for (const auto& [agent, entries] : agents) {
    if (!registered_.contains(agent)) continue;  // "ledger" and the like.
    ASSIGN_OR_RETURN(v1::AgentScorecard card, Scorecard(agent, month, now_us));
    *response.add_agents() = AssessAgent(card, entries);
  }
  return response;
}

absl::StatusOr<v1::GetAssessmentResponse> ScorecardView::Assessment(
    const std::string& agent_id, const v1::YearMonth& month,
    int64_t now_us) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  auto row = assessments_.find(YearMonthKey(month));
  v1::GetAssessmentResponse response;
  if (row != assessments_.end() && row->second.published().published()) {
    response = row->second.published();
    ApplyCorrections(&response);
  } else {
    ASSIGN_OR_RETURN(response, Draft(month, now_us));
  }
  // How many months in a row, back from this one, each agent was below
  // standard: this one as shown, the earlier ones as published.
  for (v1::AgentAssessment& a : *response.mutable_agents()) {
    int run = 0;
    absl::CivilMonth m(month.year(), month.month());
    for (bool below = a.below_standard(); below; --m) {
      ++run;
      v1::YearMonth before;
      before.set_year(static_cast<int32_t>((m - 1).year()));
      before.set_month((m - 1).month());
      auto earlier = assessments_.find(YearMonthKey(before));
      below = false;
      if (earlier == assessments_.end()) break;
      for (const v1::AgentAssessment& b :
           earlier->second.published().agents()) {
        if (b.agent_id() == a.agent_id()) below = b.below_standard();
      }
    }
    a.set_months_below_in_a_row(run);
    a.set_flagged(run >= 3);
  }
  if (!agent_id.empty()) {
    auto* agents = response.mutable_agents();
    agents->erase(std::remove_if(agents->begin(), agents->end(),
                                 [&](const v1::AgentAssessment& a) {
                                   return a.agent_id() != agent_id;
                                 }),
                  agents->end());
    if (agents->empty()) {
      return absl::NotFoundError(absl::StrCat(
          "agent ", agent_id, " has no assessment of ", YearMonthKey(month)));
    }
    auto* appeals = response.mutable_appeals();
    appeals->erase(std::remove_if(appeals->begin(), appeals->end(),
                                  [&](const v1::AssessmentAppeal& a) {
                                    return a.agent_id() != agent_id;
                                  }),
                   appeals->end());
  }
  return response;
}

absl::StatusOr<std::shared_ptr<const ScorecardView::CasesByAgent>>
ScorecardView::CasesIn(const v1::YearMonth& month) const {
  const std::string group = MonthGroup(month);
  return by_agent_.Get(
      group, cases_.Generation(group),
      [&]() -> absl::StatusOr<std::shared_ptr<const CasesByAgent>> {
        auto by_agent = std::make_shared<CasesByAgent>();
        RETURN_IF_ERROR(cases_.ForEachIn(
            group, [&](absl::string_view id, const v1::AnalysisCaseRow& c) {
              if (c.received_day().year() != month.year() ||
                  c.received_day().month() != month.month()) {
                return true;
              }
              AgentCases& owner = (*by_agent)[c.owner_agent_id()];
              ++owner.owned;
              owner.repeat += c.severity() >= v1::SEVERITY_REPEAT;
              owner.owned_tally.Add(c);
              if (c.kind() == v1::INFO_KIND_COMPLAINT && c.closed()) {
                owner.handled.push_back(Handled{
                    std::string(id), c.customer_type(), c.satisfaction(),
                    c.severity() >= v1::SEVERITY_REPEAT,
                    c.month_end_revisit()});
              }
              (*by_agent)[c.receiving_agent_id()].received_tally.Add(c);
              return true;
            }));
        return by_agent;
      });
}

absl::StatusOr<v1::AgentScorecard> ScorecardView::Scorecard(
    const std::string& agent_id, const v1::YearMonth& month,
    int64_t now_us) const {
  if (agent_id.empty())
    return absl::InvalidArgumentError("agent_id is required");
  RETURN_IF_ERROR(CheckMonth("month", month));
  auto registered = registered_.find(agent_id);
  if (registered == registered_.end()) {
    return absl::NotFoundError(
        absl::StrCat("agent ", agent_id, " was never registered"));
  }
  v1::AgentScorecard card;
  card.set_agent_id(agent_id);
  card.set_display_name(registered->second);
  *card.mutable_month() = month;
  ASSIGN_OR_RETURN(const std::shared_ptr<const CasesByAgent> by_agent,
                   CasesIn(month));
  static const AgentCases kNone;
  auto cases = by_agent->find(agent_id);
  const AgentCases& mine = cases == by_agent->end() ? kNone : cases->second;
  card.set_cases_owned(mine.owned);
  card.set_repeat_cases(mine.repeat);
  mine.owned_tally.AssessmentKpis(card.mutable_kpis());
  mine.received_tally.ServiceNormKpis(card.mutable_kpis());
  MarkPendingUnlessEnded(month, now_us, calendar_.zone(), card.mutable_kpis());
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

std::vector<int64_t> ScorecardView::Apportion(const std::vector<int64_t>& sizes,
                                              int64_t quota) {
  const size_t n = sizes.size();
  std::vector<int64_t> out(n, 0), remainder(n, 0);
  int64_t total = 0;
  for (int64_t size : sizes) total += size;
  quota = std::min(quota, total);
  if (quota <= 0) return out;
  // Largest remainder over the whole sizes (ties: the earlier stratum).
  int64_t given = 0;
  for (size_t i = 0; i < n; ++i) {
    out[i] = quota * sizes[i] / total;
    remainder[i] = quota * sizes[i] % total;
    given += out[i];
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return remainder[a] > remainder[b];
  });
  for (size_t i : order) {
    if (given == quota) break;
    if (remainder[i] > 0) {
      ++out[i];
      ++given;
    }
  }
  // Then one for every stratum left without while the quota allows
  // (largest stratum first), each taken from the stratum with the largest
  // share beyond one (ties: the smaller remainder, then the later one).
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  for (size_t z : order) {
    if (sizes[z] == 0 || out[z] > 0) continue;
    size_t donor = n;
    for (size_t d = 0; d < n; ++d) {
      if (out[d] <= 1) continue;
      if (donor == n || out[d] > out[donor] ||
          (out[d] == out[donor] && remainder[d] <= remainder[donor])) {
        donor = d;
      }
    }
    if (donor == n) break;
    --out[donor];
    ++out[z];
  }
  return out;
}

absl::StatusOr<v1::GetSecondRevisitSampleResponse>
ScorecardView::SecondRevisitSample(const std::string& agent_id,
                                   const v1::YearMonth& month) const {
  RETURN_IF_ERROR(CheckMonth("month", month));
  ASSIGN_OR_RETURN(const std::shared_ptr<const CasesByAgent> by_agent,
                   CasesIn(month));
  std::vector<std::string> agents;
  for (const auto& [id, cases] : *by_agent) {
    if (!cases.handled.empty() && (agent_id.empty() || id == agent_id)) {
      agents.push_back(id);
    }
  }
  std::sort(agents.begin(), agents.end());
  if (agents.empty() && !agent_id.empty()) agents.push_back(agent_id);
  v1::GetSecondRevisitSampleResponse response;
  for (const std::string& id : agents) {
    v1::AgentSample& sample = *response.add_agents();
    sample.set_agent_id(id);
    auto found = by_agent->find(id);
    if (found == by_agent->end()) continue;
    // By customer type ("" = not known), in code order.
    std::map<std::string, std::vector<const Handled*>> strata;
    for (const Handled& h : found->second.handled) {
      strata[h.customer_type].push_back(&h);
    }
    const int64_t handled = static_cast<int64_t>(found->second.handled.size());
    const int64_t quota = (handled + 1) / 2;
    std::vector<int64_t> sizes;
    for (const auto& [type, cases] : strata) {
      sizes.push_back(static_cast<int64_t>(cases.size()));
    }
    const std::vector<int64_t> shares = Apportion(sizes, quota);
    int64_t done = 0;
    size_t i = 0;
    for (auto& [type, cases] : strata) {
      v1::SampleStratum& stratum = *sample.add_strata();
      stratum.set_customer_type(type);
      stratum.set_handled(static_cast<int64_t>(cases.size()));
      stratum.set_quota(shares[i++]);
      int64_t type_done = 0;
      for (const Handled* h : cases) type_done += h->done;
      stratum.set_done(type_done);
      done += type_done;
      // Least satisfied first (a higher value is less satisfied; no revisit
      // answer last), then repeat or malicious, then by id.
      std::sort(cases.begin(), cases.end(),
                [](const Handled* a, const Handled* b) {
                  return std::make_tuple(-static_cast<int>(a->satisfaction),
                                         !a->repeat, a->complaint_id) <
                         std::make_tuple(-static_cast<int>(b->satisfaction),
                                         !b->repeat, b->complaint_id);
                });
      int64_t wanted = stratum.quota() - type_done;
      for (const Handled* h : cases) {
        if (wanted <= 0) break;
        if (h->done) continue;
        sample.add_proposed_complaint_ids(h->complaint_id);
        --wanted;
      }
    }
    sample.set_handled(handled);
    sample.set_quota(quota);
    sample.set_done(done);
    sample.set_remaining(std::max<int64_t>(0, quota - done));
  }
  return response;
}

}  // namespace ledger
