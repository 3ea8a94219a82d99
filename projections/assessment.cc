#include "projections/assessment.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/complaint/reference_data.h"

namespace ledger {
namespace {

// A rate the points are computed from; absent without data.
struct Rate {
  std::string name;
  int64_t numerator = 0;
  int64_t denominator = 0;
};

Rate FromKpi(const v1::AgentScorecard& card, const std::string& name) {
  for (const v1::Kpi& kpi : card.kpis()) {
    if (kpi.name() == name) return {name, kpi.numerator(), kpi.denominator()};
  }
  return {name, 0, 0};
}

// weight x the mean of the rates with data, in tenths, with how; nullopt
// when none has data.
std::optional<int32_t> Computed(int weight, const std::vector<Rate>& rates,
                                std::string* basis) {
  double sum = 0;
  int n = 0;
  std::vector<std::string> parts;
  for (const Rate& r : rates) {
    if (r.denominator == 0) {
      parts.push_back(absl::StrCat(r.name, " n/a"));
      continue;
    }
    sum +=
        static_cast<double>(r.numerator) / static_cast<double>(r.denominator);
    ++n;
    parts.push_back(absl::StrCat(r.name, " ", r.numerator, "/", r.denominator));
  }
  *basis = rates.size() == 1 ? absl::StrCat(weight, " x ", parts[0])
                             : absl::StrCat(weight, " x mean(",
                                            absl::StrJoin(parts, ", "), ")");
  if (n == 0) return std::nullopt;
  return static_cast<int32_t>(std::llround(10.0 * weight * sum / n));
}

const v1::AssessmentPointsEntered* EntryOf(
    const std::vector<const v1::AssessmentPointsEntered*>& entries,
    v1::AssessmentPart part) {
  for (const v1::AssessmentPointsEntered* e : entries) {
    if (e->part() == part) return e;
  }
  return nullptr;
}

}  // namespace

v1::AgentAssessment AssessAgent(
    const v1::AgentScorecard& card,
    const std::vector<const v1::AssessmentPointsEntered*>& entries) {
  v1::AgentAssessment row;
  row.set_agent_id(card.agent_id());
  row.set_display_name(card.display_name());
  const Rate acceptance = FromKpi(card, "timely acceptance");
  const Rate resolution = FromKpi(card, "resolution");
  const Rate satisfaction = FromKpi(card, "satisfaction");
  const Rate replies{"replies on time", card.replies_on_time(), card.replies()};
  const Rate revisits{"revisits on time", card.revisits_on_time(),
                      card.revisits()};
  struct Part {
    v1::AssessmentPart part;
    std::vector<Rate> rates;  // Empty: entered only.
  };
  const Part kParts[] = {
      {v1::ASSESSMENT_PART_ATTITUDE, {satisfaction}},
      {v1::ASSESSMENT_PART_ABILITY, {resolution, replies}},
      {v1::ASSESSMENT_PART_EFFICIENCY, {acceptance, replies, revisits}},
      {v1::ASSESSMENT_PART_TEAMWORK, {}},
  };
  for (const Part& p : kParts) {
    v1::AssessmentPartPoints& out = *row.add_parts();
    const int weight = AssessmentWeight(p.part);
    out.set_part(p.part);
    out.set_weight(weight);
    const v1::AssessmentPointsEntered* entry = EntryOf(entries, p.part);
    if (entry != nullptr) {
      out.set_entered_tenths(entry->points_tenths());
      out.set_reason(entry->reason());
    }
    if (p.rates.empty()) {  // Teamwork: the head's entry or nothing.
      out.set_basis("entered by the centre head");
      out.set_na(entry == nullptr);
      out.set_points_tenths(out.entered_tenths());
      continue;
    }
    std::optional<int32_t> computed =
        Computed(weight, p.rates, out.mutable_basis());
    if (!computed.has_value()) {
      out.set_na(true);
      continue;
    }
    out.set_computed_tenths(*computed);
    out.set_points_tenths(
        std::clamp(*computed + out.entered_tenths(), 0, 10 * weight));
  }
  TotalAssessment(&row);
  for (int i = 0; i < card.kpis_size() && i < 4; ++i) {
    const v1::Kpi& kpi = card.kpis(i);
    *row.add_kpis() = kpi;
    if (!kpi.no_data() && !kpi.pending() && !kpi.pass()) {
      row.set_below_standard(true);
    }
  }
  return row;
}

void TotalAssessment(v1::AgentAssessment* row) {
  int64_t points = 0, weights = 0;
  for (const v1::AssessmentPartPoints& p : row->parts()) {
    if (p.na()) continue;
    points += p.points_tenths();
    weights += p.weight();
  }
  row->set_total_na(weights == 0);
  row->set_total_tenths(weights == 0 ? 0
                                     : static_cast<int32_t>(std::llround(
                                           100.0 * static_cast<double>(points) /
                                           static_cast<double>(weights))));
}

void ApplyCorrections(v1::GetAssessmentResponse* response) {
  for (const v1::AssessmentAppeal& appeal : response->appeals()) {
    if (!appeal.decided() || !appeal.accepted()) continue;
    for (v1::AgentAssessment& row : *response->mutable_agents()) {
      if (row.agent_id() != appeal.agent_id()) continue;
      for (v1::AssessmentPartPoints& p : *row.mutable_parts()) {
        if (p.part() != appeal.part()) continue;
        p.set_points_tenths(appeal.corrected_points_tenths());
        p.set_na(false);
        p.set_corrected_by_appeal_id(appeal.appeal_id());
      }
      TotalAssessment(&row);
    }
  }
}

}  // namespace ledger
