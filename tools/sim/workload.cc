#include "tools/sim/workload.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/builders.h"

namespace ledger::sim {
namespace {

// Deterministic draws on every platform: std::mt19937_64 is specified
// exactly; the standard distributions are not, so none is used.
class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  // Uniform in [0, n).
  int64_t Below(int64_t n) { return static_cast<int64_t>(rng_() % n); }
  // True with `percent` %.
  bool Percent(int percent) { return Below(100) < percent; }
  // One of `choices` by weight.
  template <typename T>
  T Pick(std::initializer_list<std::pair<T, int>> choices) {
    int total = 0;
    for (const auto& c : choices) total += c.second;
    int64_t r = Below(total);
    for (const auto& c : choices) {
      if (r < c.second) return c.first;
      r -= c.second;
    }
    return choices.begin()->first;
  }

 private:
  std::mt19937_64 rng_;
};

constexpr const char* kHead = kWorkloadHead;
constexpr int kAgents = 8;

v1::RegisterAgent Agent(const std::string& id, v1::Role role) {
  return build::Agent(id, {role});
}

// The case's commands, from intake on.
void PlanSteps(const PlannedCase& c, std::vector<Step>* steps) {
  auto add = [&](absl::Time at, const std::string& actor, Command command,
                 bool may_fail = false) {
    steps->push_back(Step{at, actor, std::move(command), may_fail});
  };
  v1::ReceiveComplaint intake = build::Intake(
      c.complaint_id, c.phone, "The paper did not arrive this morning.");
  intake.set_channel(c.channel);
  intake.set_receiving_agent_id(c.owner);
  if (c.wait_seconds.has_value()) intake.set_wait_seconds(*c.wait_seconds);
  intake.set_station_id(c.station_id);
  intake.mutable_classification()->set_kind(c.kind);
  intake.mutable_classification()->set_category(c.category);
  intake.mutable_classification()->set_importance(c.importance);
  add(c.received, c.owner, intake);

  if (c.malicious_if_repeat) {
    v1::RaiseSeverity malicious;
    malicious.set_complaint_id(c.complaint_id);
    malicious.set_severity(v1::SEVERITY_MALICIOUS);
    malicious.set_reason("the same grievance again, abusive on the phone");
    add(c.received + absl::Seconds(30), kHead, malicious, /*may_fail=*/true);
  }

  const absl::Time accepted =
      c.received + (c.late ? absl::Hours(24 * 12) : absl::Minutes(1));
  v1::ChooseTrack track;
  track.set_complaint_id(c.complaint_id);
  track.set_track(c.track);
  add(accepted, c.owner, track);
  if (c.track == v1::HANDLING_TRACK_COORDINATED) {
    v1::RequestAssist assist;
    assist.set_complaint_id(c.complaint_id);
    assist.add_targets()->set_station_id(c.station_id);
    assist.set_request("Please check the delivery round.");
    add(accepted + absl::Minutes(1), c.owner, assist);
    v1::AnswerAssist answer;
    answer.set_complaint_id(c.complaint_id);
    answer.set_assist_request_id("A1");
    answer.mutable_target()->set_station_id(c.station_id);
    answer.set_answer("Delivered again by hand.");
    answer.set_answered_by("station duty officer");
    answer.set_answered_immediately(true);
    add(accepted + absl::Minutes(2), c.owner, answer);
  }
  const absl::Time replied = accepted + absl::Minutes(3);
  v1::Reply reply;
  reply.set_complaint_id(c.complaint_id);
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("We delivered it again and apologised.");
  add(replied, c.owner, reply);

  if (c.revisited) {
    v1::RecordRevisit revisit;
    revisit.set_complaint_id(c.complaint_id);
    revisit.set_kind(v1::REVISIT_KIND_FIRST);
    revisit.set_satisfaction(c.satisfaction);
    revisit.set_resolved(true);
    add(replied + absl::Hours(24), c.owner, revisit);
  } else if (c.waived) {
    v1::WaiveRevisit waive;
    waive.set_complaint_id(c.complaint_id);
    waive.set_reason("answered in full on the phone");
    add(replied + absl::Hours(24), kHead, waive);
  }
  if (c.signed_off) {
    v1::SignOff sign;
    sign.set_complaint_id(c.complaint_id);
    sign.set_record_complete(true);
    sign.set_review_note("checked");
    if (c.revisited && (c.satisfaction == v1::SATISFACTION_DISSATISFIED ||
                        c.satisfaction == v1::SATISFACTION_VERY_DISSATISFIED)) {
      // Resolved, the customer still unhappy: the head signs off anyway.
      sign.set_override_reason(
          "delivered as promised; the customer wants "
          "compensation the rules do not provide");
    }
    add(replied + absl::Hours(48), kHead, sign);
  }
  if (c.month_end_revisit) {
    v1::RecordRevisit second;
    second.set_complaint_id(c.complaint_id);
    second.set_kind(v1::REVISIT_KIND_MONTH_END_SECOND);
    second.set_satisfaction(v1::SATISFACTION_SATISFIED);
    second.set_resolved(true);
    add(replied + absl::Hours(49), c.owner, second);
  }
}

}  // namespace

Workload PlanWorkload(const WorkloadOptions& options) {
  Draw draw(options.seed);
  // Waits are drawn apart, so that a seed's other draws stay what they were.
  Draw waits(options.seed ^ 0x5741495453ull);
  Workload w;
  w.seed = options.seed;
  w.first_month = options.first_month;
  w.months = options.months;
  w.repeat_penalty = 20000;
  w.malicious_penalty = 50000;
  const absl::CivilMonth second = options.first_month + 1;
  w.special_first = absl::CivilDay(second.year(), second.month(), 10);
  w.special_last = absl::CivilDay(second.year(), second.month(), 14);
  absl::TimeZone zone;
  absl::LoadTimeZone(w.time_zone, &zone);

  // Reference data, the day before the first month.
  const absl::Time setup =
      absl::FromCivil(absl::CivilDay(options.first_month) - 1, zone) +
      absl::Hours(9);
  auto add = [&w](absl::Time at, Command command) {
    w.steps.push_back(Step{at, kHead, std::move(command), false});
  };
  add(setup, Agent(kHead, v1::ROLE_CENTRE_HEAD));
  for (int i = 1; i <= kAgents; ++i) {
    add(setup, Agent(absl::StrCat("a", i), v1::ROLE_AGENT));
  }
  for (int i = 1; i <= options.stations; ++i) {
    StationPlan station{absl::StrCat("s", i), {}};
    add(setup, build::Station(station.station_id, absl::StrCat("Station ", i)));
    for (int m = 0; m < options.months; ++m) {
      station.copies.push_back(20000 + 1000 * draw.Below(60));
      v1::RecordStationVolume v;
      v.mutable_volume()->set_station_id(station.station_id);
      *v.mutable_volume()->mutable_month() =
          ToYearMonth(options.first_month + m);
      v.mutable_volume()->set_copies(station.copies.back());
      add(setup, v);
    }
    w.stations.push_back(std::move(station));
  }
  v1::PublishPenaltySchedule schedule;
  *schedule.mutable_schedule()->mutable_effective_from() =
      ToYearMonth(options.first_month);
  for (auto [severity, amount] :
       {std::pair{v1::SEVERITY_REPEAT, w.repeat_penalty},
        std::pair{v1::SEVERITY_MALICIOUS, w.malicious_penalty}}) {
    v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
    rate->set_severity(severity);
    rate->mutable_amount_per_complaint()->set_currency_code("CNY");
    rate->mutable_amount_per_complaint()->set_minor_units(amount);
  }
  add(setup, schedule);
  v1::DeclareSpecialPeriod special;
  *special.mutable_period()->mutable_first_day() = ToDate(w.special_first);
  *special.mutable_period()->mutable_last_day() = ToDate(w.special_last);
  special.mutable_period()->set_reason("typhoon");
  add(setup, special);

  // Intakes, spread over the months.
  const absl::Time begin = absl::FromCivil(options.first_month, zone);
  const absl::Time end =
      absl::FromCivil(options.first_month + options.months, zone);
  const int64_t span_s = absl::ToInt64Seconds(end - begin);
  std::vector<absl::Time> times;
  while (static_cast<int>(times.size()) < options.cases) {
    const absl::Time t = begin + absl::Seconds(draw.Below(span_s));
    const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
    const int minute = local.hour() * 60 + local.minute();
    if (minute >= 17 * 60 + 15 && minute < 17 * 60 + 35) continue;
    // Nights are quieter: two in three night intakes are drawn again.
    if ((local.hour() < 8 || local.hour() >= 20) && draw.Below(3) != 0) {
      continue;
    }
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  for (size_t i = 0; i < times.size(); ++i) {
    PlannedCase c;
    c.complaint_id = absl::StrFormat("W%d-%06d", options.seed, i + 1);
    c.received = times[i];
    c.phone = absl::StrFormat("1380000%04d", draw.Below(options.customers));
    c.channel = draw.Pick<v1::Channel>({{v1::CHANNEL_PHONE, 50},
                                        {v1::CHANNEL_ONLINE_PLATFORM, 15},
                                        {v1::CHANNEL_CHAT, 10},
                                        {v1::CHANNEL_EMAIL, 10},
                                        {v1::CHANNEL_VISIT, 5},
                                        {v1::CHANNEL_SOCIAL_MEDIA, 5},
                                        {v1::CHANNEL_LETTER, 5}});
    c.kind = draw.Pick<v1::InfoKind>({{v1::INFO_KIND_COMPLAINT, 55},
                                      {v1::INFO_KIND_REPAIR_REQUEST, 20},
                                      {v1::INFO_KIND_INQUIRY, 15},
                                      {v1::INFO_KIND_SUGGESTION, 10}});
    const bool complaint = c.kind == v1::INFO_KIND_COMPLAINT;
    c.category = complaint
                     ? draw.Pick<v1::ComplaintCategory>(
                           {{v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE, 30},
                            {v1::COMPLAINT_CATEGORY_SERVICE_QUALITY, 40},
                            {v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY, 20},
                            {v1::COMPLAINT_CATEGORY_TRANSACTION_PROCESS, 10}})
                     : v1::COMPLAINT_CATEGORY_UNSPECIFIED;
    c.importance =
        draw.Percent(10) ? v1::IMPORTANCE_IMPORTANT : v1::IMPORTANCE_GENERAL;
    c.station_id = absl::StrCat("s", 1 + draw.Below(options.stations));
    c.owner = absl::StrCat("a", 1 + draw.Below(kAgents));
    c.track =
        draw.Pick<v1::HandlingTrack>({{v1::HANDLING_TRACK_ON_THE_SPOT, 40},
                                      {v1::HANDLING_TRACK_INTERNAL_STUDY, 35},
                                      {v1::HANDLING_TRACK_COORDINATED, 25}});
    c.late = draw.Percent(8);
    c.revisited = draw.Percent(complaint                                ? 96
                               : c.kind == v1::INFO_KIND_REPAIR_REQUEST ? 45
                                                                        : 20);
    if (c.revisited) {
      c.satisfaction = draw.Pick<v1::Satisfaction>(
          {{v1::SATISFACTION_VERY_SATISFIED, 45},
           {v1::SATISFACTION_SATISFIED, 35},
           {v1::SATISFACTION_BASICALLY_SATISFIED, 10},
           {v1::SATISFACTION_DISSATISFIED, 10}});
    } else if (!complaint) {
      c.waived = draw.Percent(50);
    }
    c.signed_off = (c.revisited || c.waived) && draw.Percent(92);
    c.month_end_revisit = complaint && c.signed_off && draw.Percent(55);
    c.malicious_if_repeat = complaint && draw.Percent(30);
    // Most calls answered within 10 s and chats within 3 minutes; one wait
    // in twenty not reported.
    if ((c.channel == v1::CHANNEL_PHONE || c.channel == v1::CHANNEL_CHAT) &&
        !waits.Percent(5)) {
      const bool phone = c.channel == v1::CHANNEL_PHONE;
      c.wait_seconds = static_cast<uint32_t>(
          waits.Percent(phone ? 85 : 90)
              ? waits.Below(phone ? 11 : 181)
              : (phone ? 11 + waits.Below(50) : 181 + waits.Below(420)));
    }
    PlanSteps(c, &w.steps);
    w.cases.push_back(std::move(c));
  }
  // Stable: a case's steps at the same instant keep their order.
  std::stable_sort(w.steps.begin(), w.steps.end(),
                   [](const Step& a, const Step& b) { return a.at < b.at; });
  return w;
}

absl::Status RunSteps(
    const Workload& workload, size_t first, size_t last,
    const std::function<absl::Status(size_t index, const Step& step)>& send,
    int* refused) {
  for (size_t i = first; i < last && i < workload.steps.size(); ++i) {
    const Step& step = workload.steps[i];
    const absl::Status s = send(i, step);
    if (s.ok()) continue;
    if (step.may_fail &&
        (absl::IsFailedPrecondition(s) || absl::IsPermissionDenied(s))) {
      if (refused != nullptr) ++*refused;
      continue;
    }
    return absl::Status(
        s.code(),
        absl::StrCat(
            "step ", i, " (",
            std::visit([](const auto& c) { return c.GetDescriptor()->name(); },
                       step.command),
            " by ", step.actor, "): ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace ledger::sim
