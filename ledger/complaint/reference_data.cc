#include "ledger/complaint/reference_data.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/catalogue.h"
#include "ledger/events/payload.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

// The most customer types a site may publish: strata of a sample, not a
// customer register.
constexpr int kMaxCustomerTypes = 50;

std::string MonthKey(const std::string& station_id, const v1::YearMonth& m) {
  return absl::StrFormat("%s/%04d-%02d", station_id, m.year(), m.month());
}

absl::StatusOr<absl::CivilDay> CheckDate(absl::string_view field,
                                         const v1::Date& d) {
  const absl::CivilDay day(d.year(), d.month(), d.day());
  if (d.year() < 2000 || d.year() > 2100 || day.year() != d.year() ||
      day.month() != d.month() || day.day() != d.day()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %04d-%02d-%02d is not a date between 2000 and 2100",
                        field, d.year(), d.month(), d.day()));
  }
  return day;
}

absl::Status RequireCentreHead(const ReferenceData& data,
                               const std::string& actor,
                               absl::string_view action) {
  if (data.HasRole(actor, v1::ROLE_CENTRE_HEAD)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("only a centre head may ", action, "; ",
                   actor.empty() ? "no actor was given"
                                 : absl::StrCat(actor, " is not one")));
}

template <typename Payload>
ReferenceChange Change(const char* stream, const Payload& payload) {
  return ReferenceChange{stream, Wrap(payload)};
}

}  // namespace

// Folds the reference streams' events into a ReferenceData.
class ReferenceData::Fold final : public EventVisitor {
 public:
  explicit Fold(ReferenceData* data) : data_(*data) {}

  // The Visits this class does not override stay in scope rather than
  // hidden (clang's -Woverloaded-virtual, in -Wall, refuses hiding them).
  using EventVisitor::Visit;

  absl::Status Visit(const v1::Event&,
                     const v1::AgentRegistered& agent) override {
    data_.agents_[agent.agent_id()] = agent;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::StationRegistered& station) override {
    data_.stations_[station.station_id()] = station;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::DepartmentRegistered& dept) override {
    data_.departments_[dept.department_id()] = dept;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::StationMonthlyVolumeRecorded& v) override {
    data_.volumes_[MonthKey(v.station_id(), v.month())] = v.copies();
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::CalendarPublished& published) override {
    ASSIGN_OR_RETURN(BusinessCalendar calendar,
                     BusinessCalendar::FromProto(published));
    data_.calendar_ =
        std::make_shared<const BusinessCalendar>(std::move(calendar));
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::PenaltySchedulePublished& s) override {
    data_.schedules_.push_back(s);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::SpecialPeriodDeclared& p) override {
    data_.special_periods_.push_back(p);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::CustomerTypesPublished& p) override {
    data_.customer_types_ = p;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::AssessmentPointsEntered& p) override {
    data_.assessments_[YearMonthKey(p.month())];
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::AssessmentPublished& p) override {
    AssessmentMonth& month = data_.assessments_[YearMonthKey(p.month())];
    month.published = true;
    month.appeal_last_day =
        absl::CivilDay(p.appeal_last_day().year(), p.appeal_last_day().month(),
                       p.appeal_last_day().day());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::AssessmentAppealed& p) override {
    ++data_.assessments_[YearMonthKey(p.month())].appeals;
    data_.appeals_[p.appeal_id()] =
        AssessmentAppeal{p.month(), p.agent_id(), p.part(), /*open=*/true};
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& e,
                     const v1::PenaltyTableDrawnUp& p) override {
    PenaltyTable& table = data_.penalty_tables_[YearMonthKey(p.month())];
    table.stage = 1;
    table.drawn_position = e.position();
    table.drawn_by = e.actor();
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::PenaltyTableSigned& p) override {
    data_.penalty_tables_[YearMonthKey(p.month())].stage = 2;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::PenaltyTablePublished& p) override {
    data_.penalty_tables_[YearMonthKey(p.month())].stage = 3;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::PenaltyTableSentToFinance& p) override {
    data_.penalty_tables_[YearMonthKey(p.month())].stage = 4;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::DigestDrawnUp& p) override {
    data_.digests_[DigestKey(p.month(), p.half())].drawn = true;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::DigestCirculated& p) override {
    data_.digests_[DigestKey(p.month(), p.half())].circulated = true;
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::ReadingRecorded&) override {
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::AppealDecided& p) override {
    auto it = data_.appeals_.find(p.appeal_id());
    if (it == data_.appeals_.end()) {
      return absl::InternalError(
          absl::StrCat("appeal ", p.appeal_id(), " decided but never made"));
    }
    it->second.open = false;
    return absl::OkStatus();
  }

 protected:
  absl::Status Unhandled(const v1::Event& event) override {
    return absl::InternalError(absl::StrCat("event ", event.position(),
                                            " of type ", event.event_type(),
                                            " is not reference data"));
  }

 private:
  ReferenceData& data_;
};

absl::Status ReferenceData::Apply(const v1::Event& event) {
  Fold fold(this);
  return ledger::Visit(event, fold);
}

absl::Status ReferenceData::Apply(const DecodedEvent& event) {
  Fold fold(this);
  return event.Accept(fold);
}

const v1::AgentRegistered* ReferenceData::FindAgent(
    const std::string& agent_id) const {
  auto it = agents_.find(agent_id);
  return it == agents_.end() ? nullptr : &it->second;
}

bool ReferenceData::IsActiveAgent(const std::string& agent_id) const {
  const v1::AgentRegistered* agent = FindAgent(agent_id);
  return agent != nullptr && agent->active();
}

bool ReferenceData::HasRole(const std::string& agent_id, v1::Role role) const {
  const v1::AgentRegistered* agent = FindAgent(agent_id);
  if (agent == nullptr || !agent->active()) return false;
  return std::find(agent->roles().begin(), agent->roles().end(), role) !=
         agent->roles().end();
}

bool ReferenceData::HasStation(const std::string& station_id) const {
  return stations_.contains(station_id);
}

bool ReferenceData::HasDepartment(const std::string& department_id) const {
  return departments_.contains(department_id);
}

bool ReferenceData::HasTarget(const v1::AssistTarget& target) const {
  switch (target.target_case()) {
    case v1::AssistTarget::kDepartmentId:
      return HasDepartment(target.department_id());
    case v1::AssistTarget::kStationId:
      return HasStation(target.station_id());
    case v1::AssistTarget::TARGET_NOT_SET:
      return false;
  }
  return false;
}

std::vector<std::string> ReferenceData::StationsHeadedBy(
    const std::string& agent_id) const {
  std::vector<std::string> out;
  for (const auto& [id, station] : stations_) {
    if (station.head_agent_id() == agent_id) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool ReferenceData::HasCentreHeadOtherThan(const std::string& agent_id) const {
  for (const auto& [id, agent] : agents_) {
    if (id != agent_id && HasRole(id, v1::ROLE_CENTRE_HEAD)) return true;
  }
  return false;
}

bool ReferenceData::HasCentreHead() const {
  for (const auto& [id, agent] : agents_) {
    if (HasRole(id, v1::ROLE_CENTRE_HEAD)) return true;
  }
  return false;
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterStation& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "register a station"));
  const v1::StationRegistered& s = command.station();
  RETURN_IF_ERROR(CheckId("station.station_id", s.station_id()));
  RETURN_IF_ERROR(CheckText("station.name", s.name(), true, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckText("station.region", s.region(), false, kMaxTextBytes));
  RETURN_IF_ERROR(CheckOptionalId("station.head_agent_id", s.head_agent_id()));
  if (!s.head_agent_id().empty() && !data.IsActiveAgent(s.head_agent_id())) {
    return absl::InvalidArgumentError(absl::StrCat("station.head_agent_id ",
                                                   s.head_agent_id(),
                                                   " is not an active agent"));
  }
  return Change(kStationsStream, s);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterDepartment& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "register a department"));
  const v1::DepartmentRegistered& d = command.department();
  RETURN_IF_ERROR(CheckId("department.department_id", d.department_id()));
  RETURN_IF_ERROR(CheckText("department.name", d.name(), true, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckOptionalId("department.head_agent_id", d.head_agent_id()));
  if (!d.head_agent_id().empty() && !data.IsActiveAgent(d.head_agent_id())) {
    return absl::InvalidArgumentError(absl::StrCat("department.head_agent_id ",
                                                   d.head_agent_id(),
                                                   " is not an active agent"));
  }
  for (int target : d.routing_targets()) {
    RETURN_IF_ERROR(CheckEnumSet("department.routing_targets",
                                 static_cast<v1::RoutingTarget>(target)));
  }
  return Change(kOrgStream, d);
}

// A service's grant names what exists, for a SERVICE agent alone.
absl::Status CheckGrant(const ReferenceData& data,
                        const v1::AgentRegistered& a) {
  const v1::ServiceGrant& grant = a.service_grant();
  if (!Narrows(grant)) return absl::OkStatus();
  if (a.roles_size() != 1 || a.roles(0) != v1::ROLE_SERVICE) {
    return absl::InvalidArgumentError(
        "agent.service_grant is for an agent whose only role is SERVICE");
  }
  for (auto [field, size] :
       {std::pair{"stream_prefixes", grant.stream_prefixes_size()},
        std::pair{"event_types", grant.event_types_size()},
        std::pair{"station_ids", grant.station_ids_size()}}) {
    if (size > kMaxGrantEntries) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.service_grant.", field, " names ", size,
                       ", the limit is ", kMaxGrantEntries));
    }
  }
  for (const std::string& prefix : grant.stream_prefixes()) {
    RETURN_IF_ERROR(CheckText("agent.service_grant.stream_prefixes", prefix,
                              /*required=*/true, kMaxStreamIdBytes));
  }
  for (const std::string& type : grant.event_types()) {
    if (FindEventType(FullEventTypeName(type)) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent.service_grant.event_types: ", type, " is not an event type"));
    }
  }
  for (const std::string& station : grant.station_ids()) {
    RETURN_IF_ERROR(CheckId("agent.service_grant.station_ids", station));
    if (!data.HasStation(station)) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.service_grant.station_ids: ", station,
                       " is not a registered station"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterAgent& command) {
  // A new site has nobody to ask: until a centre head exists, anyone may
  // register agents (the first registration is normally the head).
  if (data.HasCentreHead()) {
    RETURN_IF_ERROR(RequireCentreHead(data, actor, "register an agent"));
  }
  const v1::AgentRegistered& a = command.agent();
  RETURN_IF_ERROR(CheckId("agent.agent_id", a.agent_id()));
  RETURN_IF_ERROR(
      CheckText("agent.display_name", a.display_name(), true, kMaxTextBytes));
  if (a.roles().empty()) {
    return absl::InvalidArgumentError("agent.roles needs at least one role");
  }
  for (int role : a.roles()) {
    RETURN_IF_ERROR(CheckEnumSet("agent.roles", static_cast<v1::Role>(role)));
  }
  RETURN_IF_ERROR(CheckOptionalId("agent.department_id", a.department_id()));
  if (!a.department_id().empty() && !data.HasDepartment(a.department_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent.department_id ", a.department_id(), " is not registered"));
  }
  RETURN_IF_ERROR(CheckGrant(data, a));
  if (actor == a.agent_id() && data.HasCentreHead() && !a.active()) {
    return absl::InvalidArgumentError(
        "a centre head cannot deactivate themselves; ask another head");
  }
  // The ledger always keeps an active centre head: without one nobody may
  // register anyone again.
  if (data.HasCentreHead()) {
    const bool stays_head =
        a.active() && std::find(a.roles().begin(), a.roles().end(),
                                v1::ROLE_CENTRE_HEAD) != a.roles().end();
    if (!stays_head && !data.HasCentreHeadOtherThan(a.agent_id())) {
      return absl::FailedPreconditionError(
          absl::StrCat(a.agent_id(),
                       " is the last active centre head; register another "
                       "head first"));
    }
  }
  return Change(kOrgStream, a);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RecordStationVolume& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "record a station's volume"));
  const v1::StationMonthlyVolumeRecorded& v = command.volume();
  RETURN_IF_ERROR(CheckId("volume.station_id", v.station_id()));
  if (!data.HasStation(v.station_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume.station_id ", v.station_id(), " is not a registered station"));
  }
  RETURN_IF_ERROR(CheckMonth("volume.month", v.month()));
  if (v.copies() < 0 || v.copies() > kMaxMonthlyCopies) {
    return absl::InvalidArgumentError(
        absl::StrCat("volume.copies is ", v.copies(), "; it is from 0 to ",
                     kMaxMonthlyCopies));
  }
  return Change(kStationsStream, v);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishCalendar& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "publish a calendar"));
  RETURN_IF_ERROR(CheckText("calendar.calendar_version",
                            command.calendar().calendar_version(), true,
                            kMaxTextBytes));
  absl::Status valid = BusinessCalendar::FromProto(command.calendar()).status();
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("calendar: ", valid.message()));
  }
  return Change(kCalendarStream, command.calendar());
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishPenaltySchedule& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "publish a penalty schedule"));
  const v1::PenaltySchedulePublished& s = command.schedule();
  RETURN_IF_ERROR(CheckMonth("schedule.effective_from", s.effective_from()));
  if (s.rates().empty()) {
    return absl::InvalidArgumentError("schedule.rates needs at least one rate");
  }
  std::vector<v1::Severity> seen;
  for (const v1::PenaltyRate& rate : s.rates()) {
    if (rate.severity() != v1::SEVERITY_REPEAT &&
        rate.severity() != v1::SEVERITY_MALICIOUS) {
      return absl::InvalidArgumentError(
          "schedule.rates: penalties apply to repeat and malicious "
          "complaints only");
    }
    if (std::find(seen.begin(), seen.end(), rate.severity()) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schedule.rates names ", EnumLabel(rate.severity()), " twice"));
    }
    seen.push_back(rate.severity());
    const v1::Money& amount = rate.amount_per_complaint();
    if (amount.currency_code().size() != 3 || amount.minor_units() < 0 ||
        amount.minor_units() > kMaxPenaltyMinorUnits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schedule.rates: the amount for ", EnumLabel(rate.severity()),
          " needs a 3-letter currency code and minor_units from 0 to ",
          kMaxPenaltyMinorUnits, " (it is ", amount.minor_units(), ")"));
    }
  }
  return Change(kPenaltiesStream, s);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::DeclareSpecialPeriod& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "declare a special period"));
  v1::SpecialPeriodDeclared p = command.period();
  ASSIGN_OR_RETURN(absl::CivilDay first,
                   CheckDate("period.first_day", p.first_day()));
  ASSIGN_OR_RETURN(absl::CivilDay last,
                   CheckDate("period.last_day", p.last_day()));
  if (last < first) {
    return absl::InvalidArgumentError(
        "period.last_day is before period.first_day");
  }
  RETURN_IF_ERROR(CheckText("period.reason", p.reason(), true, kMaxTextBytes));
  p.set_declared_by_agent_id(actor);
  return Change(kPenaltiesStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishCustomerTypes& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "publish customer types"));
  v1::CustomerTypesPublished p;
  *p.mutable_types() = command.types();
  if (p.types_size() > kMaxCustomerTypes) {
    return absl::InvalidArgumentError(
        absl::StrCat("types: at most ", kMaxCustomerTypes, " customer types (",
                     p.types_size(), " given)"));
  }
  absl::flat_hash_set<std::string> codes;
  for (int i = 0; i < p.types_size(); ++i) {
    const v1::CustomerType& t = p.types(i);
    const std::string field = absl::StrCat("types[", i, "]");
    RETURN_IF_ERROR(CheckId(absl::StrCat(field, ".code"), t.code()));
    RETURN_IF_ERROR(
        CheckText(absl::StrCat(field, ".name"), t.name(), true, kMaxTextBytes));
    if (!codes.insert(t.code()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".code ", t.code(), " is given twice"));
    }
  }
  p.set_published_by_agent_id(actor);
  return Change(kOrgStream, p);
}

std::string YearMonthKey(const v1::YearMonth& month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

int AssessmentWeight(v1::AssessmentPart part) {
  switch (part) {
    case v1::ASSESSMENT_PART_ATTITUDE:
      return 30;
    case v1::ASSESSMENT_PART_ABILITY:
      return 40;
    case v1::ASSESSMENT_PART_EFFICIENCY:
      return 20;
    case v1::ASSESSMENT_PART_TEAMWORK:
      return 10;
    default:
      return 0;
  }
}

const ReferenceData::AssessmentMonth* ReferenceData::FindAssessment(
    const v1::YearMonth& month) const {
  auto it = assessments_.find(YearMonthKey(month));
  return it == assessments_.end() ? nullptr : &it->second;
}

const ReferenceData::AssessmentAppeal* ReferenceData::FindAppeal(
    const std::string& appeal_id) const {
  auto it = appeals_.find(appeal_id);
  return it == appeals_.end() ? nullptr : &it->second;
}

bool ReferenceData::HasOpenAppeal(const std::string& agent_id,
                                  const v1::YearMonth& month,
                                  v1::AssessmentPart part) const {
  return std::any_of(appeals_.begin(), appeals_.end(), [&](const auto& a) {
    const AssessmentAppeal& appeal = a.second;
    return appeal.open && appeal.agent_id == agent_id && appeal.part == part &&
           appeal.month.year() == month.year() &&
           appeal.month.month() == month.month();
  });
}

namespace {

// The site's day of `now` (the calendar's zone).
absl::StatusOr<absl::CivilDay> SiteDay(const ReferenceData& data,
                                       absl::Time now) {
  if (data.calendar() == nullptr) {
    return absl::FailedPreconditionError(
        "no working-day calendar is published (PublishCalendar)");
  }
  return absl::ToCivilDay(now, data.calendar()->time_zone());
}

std::string DayText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::EnterAssessmentPoints& command, absl::Time) {
  RETURN_IF_ERROR(
      RequireCentreHead(data, actor, "enter an agent's assessment points"));
  RETURN_IF_ERROR(CheckId("agent_id", command.agent_id()));
  if (command.agent_id() == actor) {
    return absl::PermissionDeniedError(
        absl::StrCat(actor, " cannot enter points for themselves"));
  }
  if (data.FindAgent(command.agent_id()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent_id ", command.agent_id(), " is not registered"));
  }
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  RETURN_IF_ERROR(CheckEnumSet("part", command.part()));
  const int weight = AssessmentWeight(command.part());
  int low = -10 * weight, high = 10 * weight;
  switch (command.part()) {
    case v1::ASSESSMENT_PART_EFFICIENCY:
      return absl::InvalidArgumentError(
          "part: efficiency is computed from the log (reply, acceptance "
          "and revisit timeliness); only attitude and ability take an "
          "adjustment, teamwork its points");
    case v1::ASSESSMENT_PART_TEAMWORK:
      low = 0;
      break;
    default:
      break;
  }
  if (command.points_tenths() < low || command.points_tenths() > high) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "points_tenths %d is outside %d..%d for %s", command.points_tenths(),
        low, high, v1::AssessmentPart_Name(command.part())));
  }
  RETURN_IF_ERROR(
      CheckText("reason", command.reason(), /*required=*/true, kMaxTextBytes));
  const ReferenceData::AssessmentMonth* month =
      data.FindAssessment(command.month());
  if (month != nullptr && month->published) {
    return absl::FailedPreconditionError(
        absl::StrCat("the assessment of ", YearMonthKey(command.month()),
                     " is published; a change goes through an appeal"));
  }
  v1::AssessmentPointsEntered p;
  p.set_agent_id(command.agent_id());
  *p.mutable_month() = command.month();
  p.set_part(command.part());
  p.set_points_tenths(command.points_tenths());
  p.set_reason(command.reason());
  return Change(kAssessmentsStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishAssessment& command, absl::Time now) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "publish an assessment"));
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  const std::string key = YearMonthKey(command.month());
  const ReferenceData::AssessmentMonth* month =
      data.FindAssessment(command.month());
  if (month != nullptr && month->published) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the assessment of ", key,
        " is published already; a correction goes through an appeal"));
  }
  ASSIGN_OR_RETURN(const absl::CivilDay today, SiteDay(data, now));
  const absl::CivilMonth assessed(command.month().year(),
                                  command.month().month());
  if (absl::CivilMonth(today) <= assessed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the month ", key, " has not ended (today is ", DayText(today), ")"));
  }
  // Day 0 is the day of publication, a working day or not.
  ASSIGN_OR_RETURN(const absl::CivilDay last,
                   data.calendar()->AddWorkingDays(today, 3));
  v1::AssessmentPublished p;
  *p.mutable_month() = command.month();
  p.mutable_appeal_last_day()->set_year(static_cast<int32_t>(last.year()));
  p.mutable_appeal_last_day()->set_month(last.month());
  p.mutable_appeal_last_day()->set_day(last.day());
  return Change(kAssessmentsStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::AppealAssessment& command, absl::Time now) {
  if (!data.HasRole(actor, v1::ROLE_AGENT)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only an agent appeals their own assessment; ",
        actor.empty() ? "no actor was given" : actor + " is not an agent"));
  }
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  RETURN_IF_ERROR(CheckEnumSet("part", command.part()));
  RETURN_IF_ERROR(
      CheckText("reason", command.reason(), /*required=*/true, kMaxTextBytes));
  const std::string key = YearMonthKey(command.month());
  const ReferenceData::AssessmentMonth* month =
      data.FindAssessment(command.month());
  if (month == nullptr || !month->published) {
    return absl::FailedPreconditionError(
        absl::StrCat("the assessment of ", key, " is not published"));
  }
  ASSIGN_OR_RETURN(const absl::CivilDay today, SiteDay(data, now));
  if (today > month->appeal_last_day) {
    return absl::FailedPreconditionError(
        absl::StrCat("the appeal deadline of the assessment of ", key, " (",
                     DayText(month->appeal_last_day),
                     ", 3 working days after its "
                     "publication) has passed; today is ",
                     DayText(today)));
  }
  if (data.HasOpenAppeal(actor, command.month(), command.part())) {
    return absl::FailedPreconditionError(
        absl::StrCat(actor, " has an open appeal of ",
                     v1::AssessmentPart_Name(command.part()), " of ", key));
  }
  v1::AssessmentAppealed p;
  p.set_appeal_id(absl::StrCat(key, "-", month->appeals + 1));
  p.set_agent_id(actor);
  *p.mutable_month() = command.month();
  p.set_part(command.part());
  p.set_reason(command.reason());
  return Change(kAssessmentsStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(const ReferenceData& data,
                                                const std::string& actor,
                                                const v1::DecideAppeal& command,
                                                absl::Time) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "decide an appeal"));
  RETURN_IF_ERROR(CheckId("appeal_id", command.appeal_id()));
  const ReferenceData::AssessmentAppeal* appeal =
      data.FindAppeal(command.appeal_id());
  if (appeal == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("appeal ", command.appeal_id(), " was never made"));
  }
  if (!appeal->open) {
    return absl::FailedPreconditionError(
        absl::StrCat("appeal ", command.appeal_id(), " is decided already"));
  }
  if (appeal->agent_id == actor) {
    return absl::PermissionDeniedError(
        absl::StrCat(actor, " cannot decide their own appeal"));
  }
  RETURN_IF_ERROR(
      CheckText("reason", command.reason(), /*required=*/true, kMaxTextBytes));
  const int weight = AssessmentWeight(appeal->part);
  if (!command.accept() && command.corrected_points_tenths() != 0) {
    return absl::InvalidArgumentError(
        "corrected_points_tenths is for an accepted appeal only");
  }
  if (command.accept() && (command.corrected_points_tenths() < 0 ||
                           command.corrected_points_tenths() > 10 * weight)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("corrected_points_tenths %d is outside 0..%d for %s",
                        command.corrected_points_tenths(), 10 * weight,
                        v1::AssessmentPart_Name(appeal->part)));
  }
  v1::AppealDecided p;
  p.set_appeal_id(command.appeal_id());
  p.set_agent_id(appeal->agent_id);
  *p.mutable_month() = appeal->month;
  p.set_part(appeal->part);
  p.set_accepted(command.accept());
  p.set_corrected_points_tenths(command.corrected_points_tenths());
  p.set_reason(command.reason());
  return Change(kAssessmentsStream, p);
}

const ReferenceData::PenaltyTable* ReferenceData::FindPenaltyTable(
    const v1::YearMonth& month) const {
  auto it = penalty_tables_.find(YearMonthKey(month));
  return it == penalty_tables_.end() ? nullptr : &it->second;
}

namespace {

// The table of `month` at `stage` (or beyond, when `at_least`), else
// FAILED_PRECONDITION saying where it stands and what comes first.
absl::StatusOr<const ReferenceData::PenaltyTable*> TableAt(
    const ReferenceData& data, const v1::YearMonth& month, int stage,
    absl::string_view action) {
  static constexpr const char* kStages[] = {
      "not drawn up", "drawn up", "signed", "published", "sent to finance"};
  RETURN_IF_ERROR(CheckMonth("month", month));
  const ReferenceData::PenaltyTable* table = data.FindPenaltyTable(month);
  const int now = table == nullptr ? 0 : table->stage;
  if (now != stage) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the penalty table of ", YearMonthKey(month), " is ", kStages[now],
        "; it can be ", action, " when it is ", kStages[stage]));
  }
  return table;
}

}  // namespace

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::DrawUpPenaltyTable& command, absl::Time now) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "draw up a penalty table"));
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  const ReferenceData::PenaltyTable* table =
      data.FindPenaltyTable(command.month());
  if (table != nullptr && table->stage >= 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the penalty table of ", YearMonthKey(command.month()),
        " is signed; later changes appear as adjustments on a later "
        "month's table"));
  }
  // In month order, each signed before the next is drawn: the adjustments
  // a draw carries are then exactly those since the last signed table.
  const std::string key = YearMonthKey(command.month());
  for (const auto& [other, t] : data.penalty_tables()) {
    if (other > key) {
      return absl::FailedPreconditionError(
          absl::StrCat("the penalty table of ", other,
                       " is drawn up already; tables are "
                       "drawn up in month order"));
    }
    if (other < key && t.stage < 2) {
      return absl::FailedPreconditionError(
          absl::StrCat("the penalty table of ", other,
                       " is not signed; it is signed before a later month "
                       "is drawn up"));
    }
  }
  ASSIGN_OR_RETURN(const absl::CivilDay today, SiteDay(data, now));
  if (absl::CivilMonth(today) <=
      absl::CivilMonth(command.month().year(), command.month().month())) {
    return absl::FailedPreconditionError(
        absl::StrCat("the month ", YearMonthKey(command.month()),
                     " has not ended (today is ", DayText(today), ")"));
  }
  v1::PenaltyTableDrawnUp p;
  *p.mutable_month() = command.month();
  return Change(kPenaltyTablesStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::SignPenaltyTable& command) {
  if (!data.HasRole(actor, v1::ROLE_GENERAL_MANAGER)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only the general manager signs a penalty table; ",
        actor.empty() ? "no actor was given" : actor + " is not one"));
  }
  ASSIGN_OR_RETURN(const ReferenceData::PenaltyTable* table,
                   TableAt(data, command.month(), 1, "signed"));
  if (command.drawn_position() != table->drawn_position) {
    return absl::FailedPreconditionError(
        absl::StrCat("drawn_position ", command.drawn_position(),
                     " is not the draw in force (", table->drawn_position,
                     "): read the table again before signing it"));
  }
  if (table->drawn_by == actor) {
    return absl::FailedPreconditionError(
        absl::StrCat(actor, " drew the table up and cannot also sign it"));
  }
  v1::PenaltyTableSigned p;
  *p.mutable_month() = command.month();
  p.set_drawn_position(command.drawn_position());
  return Change(kPenaltyTablesStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishPenaltyTable& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "publish a penalty table"));
  RETURN_IF_ERROR(TableAt(data, command.month(), 2, "published").status());
  v1::PenaltyTablePublished p;
  *p.mutable_month() = command.month();
  return Change(kPenaltyTablesStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::SendPenaltyTableToFinance& command) {
  RETURN_IF_ERROR(
      RequireCentreHead(data, actor, "send a penalty table to finance"));
  RETURN_IF_ERROR(
      TableAt(data, command.month(), 3, "sent to finance").status());
  v1::PenaltyTableSentToFinance p;
  *p.mutable_month() = command.month();
  return Change(kPenaltyTablesStream, p);
}

std::string DigestKey(const v1::YearMonth& month, v1::DigestHalf half) {
  return absl::StrCat(YearMonthKey(month), half == v1::DIGEST_HALF_FIRST
                                               ? " first half"
                                               : " second half");
}

std::pair<absl::CivilDay, absl::CivilDay> DigestDays(const v1::YearMonth& month,
                                                     v1::DigestHalf half) {
  const absl::CivilMonth m(month.year(), month.month());
  if (half == v1::DIGEST_HALF_FIRST) {
    return {absl::CivilDay(m), absl::CivilDay(m) + 14};
  }
  return {absl::CivilDay(m) + 15, absl::CivilDay(m + 1) - 1};
}

const ReferenceData::Digest* ReferenceData::FindDigest(
    const v1::YearMonth& month, v1::DigestHalf half) const {
  auto it = digests_.find(DigestKey(month, half));
  return it == digests_.end() ? nullptr : &it->second;
}

absl::StatusOr<ReferenceChange> DecideReference(const ReferenceData& data,
                                                const std::string& actor,
                                                const v1::DrawUpDigest& command,
                                                absl::Time now) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "draw up a digest"));
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  RETURN_IF_ERROR(CheckEnumSet("half", command.half()));
  const std::string key = DigestKey(command.month(), command.half());
  if (data.FindDigest(command.month(), command.half()) != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the digest of ", key, " is drawn up already"));
  }
  const auto [first, last] = DigestDays(command.month(), command.half());
  ASSIGN_OR_RETURN(const absl::CivilDay today, SiteDay(data, now));
  if (today <= last) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the digest of ", key, " covers days up to ", DayText(last),
        ", which has not ended (today is ", DayText(today), ")"));
  }
  v1::DigestDrawnUp p;
  *p.mutable_month() = command.month();
  p.set_half(command.half());
  for (const auto& [day, date] : {std::pair{first, p.mutable_first_day()},
                                  std::pair{last, p.mutable_last_day()}}) {
    date->set_year(static_cast<int32_t>(day.year()));
    date->set_month(day.month());
    date->set_day(day.day());
  }
  return Change(kKnowledgeStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::CirculateDigest& command) {
  RETURN_IF_ERROR(RequireCentreHead(data, actor, "circulate a digest"));
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  RETURN_IF_ERROR(CheckEnumSet("half", command.half()));
  const ReferenceData::Digest* digest =
      data.FindDigest(command.month(), command.half());
  const std::string key = DigestKey(command.month(), command.half());
  if (digest == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the digest of ", key, " is not drawn up"));
  }
  if (digest->circulated) {
    return absl::FailedPreconditionError(
        absl::StrCat("the digest of ", key, " is circulated already"));
  }
  v1::DigestCirculated p;
  *p.mutable_month() = command.month();
  p.set_half(command.half());
  return Change(kKnowledgeStream, p);
}

absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RecordReading& command) {
  if (!data.HasRole(actor, v1::ROLE_AGENT)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "an agent records their own reading; ",
        actor.empty() ? "no actor was given" : actor + " is not an agent"));
  }
  RETURN_IF_ERROR(CheckMonth("month", command.month()));
  RETURN_IF_ERROR(CheckEnumSet("half", command.half()));
  const ReferenceData::Digest* digest =
      data.FindDigest(command.month(), command.half());
  if (digest == nullptr || !digest->circulated) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the digest of ", DigestKey(command.month(), command.half()),
        " is not circulated"));
  }
  v1::ReadingRecorded p;
  *p.mutable_month() = command.month();
  p.set_half(command.half());
  p.set_agent_id(actor);
  return Change(kKnowledgeStream, p);
}

bool ReferenceData::HasCustomerType(const std::string& code) const {
  for (const v1::CustomerType& t : customer_types_.types()) {
    if (t.code() == code) return true;
  }
  return false;
}

namespace {

template <typename Row>
std::vector<const Row*> SortedById(
    const absl::flat_hash_map<std::string, Row>& rows) {
  std::vector<std::pair<const std::string*, const Row*>> sorted;
  sorted.reserve(rows.size());
  for (const auto& [id, row] : rows) sorted.emplace_back(&id, &row);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::vector<const Row*> out;
  out.reserve(sorted.size());
  for (const auto& [id, row] : sorted) out.push_back(row);
  return out;
}

}  // namespace

std::vector<const v1::AgentRegistered*> ReferenceData::Agents() const {
  return SortedById(agents_);
}
std::vector<const v1::StationRegistered*> ReferenceData::Stations() const {
  return SortedById(stations_);
}
std::vector<const v1::DepartmentRegistered*> ReferenceData::Departments()
    const {
  return SortedById(departments_);
}

}  // namespace ledger
