#include "ledger/events/examples.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/check.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/log_events.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {
namespace {

// Microseconds since the epoch of a local time in Asia/Shanghai (UTC+8).
int64_t Micros(const char* local_time) {
  absl::Time t;
  std::string error;
  LEDGER_CHECK(absl::ParseTime("%Y-%m-%d %H:%M", local_time,
                               absl::FixedTimeZone(8 * 3600), &t, &error),
               "example times are well-formed");
  return absl::ToUnixMicros(t);
}

v1::Date Day(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

v1::TimeOfDay At(int hours, int minutes) {
  v1::TimeOfDay t;
  t.set_hours(hours);
  t.set_minutes(minutes);
  return t;
}

v1::AssistTarget Station(const char* id) {
  v1::AssistTarget t;
  t.set_station_id(id);
  return t;
}

constexpr char kComplaint[] = "complaint-2026-000001";
constexpr char kAgent[] = "agent-li-na";
constexpr char kNightAgent[] = "agent-zhou-bo";
constexpr char kHead[] = "head-wang-fang";

class Builder {
 public:
  template <typename T>
  T* Add(const char* stream, const char* actor) {
    auto message = std::make_shared<T>();
    T* raw = message.get();
    events_.push_back({stream, actor, std::move(message)});
    return raw;
  }
  std::vector<ExampleEvent> Take() { return std::move(events_); }

 private:
  std::vector<ExampleEvent> events_;
};

void AddReferenceData(Builder& b) {
  auto* calendar = b.Add<v1::CalendarPublished>("ref-calendar", kHead);
  calendar->set_calendar_version("cn-2026.1");
  calendar->set_time_zone("Asia/Shanghai");
  calendar->add_years(2026);
  *calendar->add_public_holidays() = Day(2026, 10, 1);
  *calendar->add_public_holidays() = Day(2026, 10, 2);
  *calendar->add_makeup_working_days() = Day(2026, 10, 10);
  *calendar->mutable_day_shift_start() = At(8, 30);
  *calendar->mutable_day_shift_end() = At(17, 30);
  *calendar->mutable_day_assist_cutoff() = At(17, 30);
  *calendar->mutable_night_assist_cutoff() = At(9, 30);

  auto* agent = b.Add<v1::AgentRegistered>("ref-org", kHead);
  agent->set_agent_id(kAgent);
  agent->set_display_name("Li Na");
  agent->add_roles(v1::ROLE_AGENT);
  agent->set_department_id("dept-customer-service");
  agent->set_active(true);

  auto* dept = b.Add<v1::DepartmentRegistered>("ref-org", kHead);
  dept->set_department_id("dept-customer-service");
  dept->set_name("Customer service");
  dept->set_head_agent_id(kHead);
  dept->add_routing_targets(v1::ROUTING_TARGET_CUSTOMER_SERVICE);

  auto* station = b.Add<v1::StationRegistered>("ref-stations", kHead);
  station->set_station_id("station-east-03");
  station->set_name("East district station 3");
  station->set_head_agent_id("station-head-chen");
  station->set_region("east");

  auto* volume = b.Add<v1::StationMonthlyVolumeRecorded>("ref-stations", kHead);
  volume->set_station_id("station-east-03");
  volume->mutable_month()->set_year(2026);
  volume->mutable_month()->set_month(10);
  volume->set_copies(182400);

  auto* penalties = b.Add<v1::PenaltySchedulePublished>("ref-penalties", kHead);
  penalties->mutable_effective_from()->set_year(2026);
  penalties->mutable_effective_from()->set_month(1);
  auto* repeat = penalties->add_rates();
  repeat->set_severity(v1::SEVERITY_REPEAT);
  repeat->mutable_amount_per_complaint()->set_currency_code("CNY");
  repeat->mutable_amount_per_complaint()->set_minor_units(5000);
  auto* malicious = penalties->add_rates();
  malicious->set_severity(v1::SEVERITY_MALICIOUS);
  malicious->mutable_amount_per_complaint()->set_currency_code("CNY");
  malicious->mutable_amount_per_complaint()->set_minor_units(20000);

  auto* special = b.Add<v1::SpecialPeriodDeclared>("ref-penalties", kHead);
  *special->mutable_first_day() = Day(2026, 12, 20);
  *special->mutable_last_day() = Day(2026, 12, 31);
  special->set_reason("Year-end subscription drive");
  special->set_declared_by_agent_id(kHead);
}

void AddIntake(Builder& b) {
  auto* received = b.Add<v1::ComplaintReceived>(kComplaint, kAgent);
  received->set_complaint_id("2026-000001");
  received->set_channel(v1::CHANNEL_PHONE);
  received->mutable_customer()->set_name("Zhang Wei");
  received->mutable_customer()->set_phone("+86 138 0013 8000");
  received->mutable_customer()->set_address("12 Heping Road, Flat 301");
  received->set_customer_ref("cust-5f1c9a");
  received->set_content("Newspaper not delivered for three days.");
  received->set_receiving_agent_id(kAgent);
  received->set_received_time_us(Micros("2026-10-12 10:05"));
  received->set_shift(v1::SHIFT_DAY);
  received->set_green_channel(true);
  received->set_paperwork_due_us(Micros("2026-10-13 17:30"));
  received->set_account_ref("sub-88231");
  received->set_station_id("station-east-03");
  received->set_owner_agent_id(kAgent);
  received->set_owner_rule(v1::OWNER_RULE_PHONE_ANSWERING_AGENT);

  auto* classified = b.Add<v1::ComplaintClassified>(kComplaint, kAgent);
  classified->set_kind(v1::INFO_KIND_COMPLAINT);
  classified->set_category(v1::COMPLAINT_CATEGORY_TRANSACTION_PROCESS);
  classified->set_subcategory("delivery");
  classified->set_importance(v1::IMPORTANCE_GENERAL);
  classified->set_suggested_routing(v1::ROUTING_TARGET_CUSTOMER_SERVICE);
  classified->set_classified_by_agent_id(kAgent);

  auto* severity = b.Add<v1::SeverityRaised>(kComplaint, "ledger");
  severity->set_previous_severity(v1::SEVERITY_GENERAL);
  severity->set_severity(v1::SEVERITY_REPEAT);
  severity->set_reason("Same customer, same category within 30 days");
  severity->add_linked_complaint_ids("2026-000000");
  severity->set_automatic(true);

  auto* track = b.Add<v1::HandlingTrackChosen>(kComplaint, kAgent);
  track->set_track(v1::HANDLING_TRACK_COORDINATED);
  track->set_reply_due_us(Micros("2026-10-14 17:30"));
  track->set_assist_request_due_us(Micros("2026-10-12 17:30"));
  track->set_chosen_by_agent_id(kAgent);
}

void AddHandling(Builder& b) {
  auto* assist = b.Add<v1::AssistRequested>(kComplaint, kAgent);
  assist->set_assist_request_id("assist-1");
  *assist->add_targets() = Station("station-east-03");
  assist->set_request("Please check the delivery route for Heping Road.");
  assist->set_answer_due_us(Micros("2026-10-13 17:30"));
  assist->set_sent_within_deadline(true);
  assist->set_requested_by_agent_id(kAgent);

  auto* chased = b.Add<v1::AssistChased>(kComplaint, kHead);
  chased->set_assist_request_id("assist-1");
  *chased->mutable_target() = Station("station-east-03");
  chased->set_kind(v1::CHASE_KIND_SUPERVISE);
  chased->set_note("Customer called again.");
  chased->set_chased_by_agent_id(kHead);

  auto* answered = b.Add<v1::AssistAnswered>(kComplaint, "station-head-chen");
  answered->set_assist_request_id("assist-1");
  *answered->mutable_target() = Station("station-east-03");
  answered->set_answer("New carrier on the route; re-delivered today.");
  answered->set_promised_due_us(Micros("2026-10-13 12:00"));
  answered->set_answered_by("station-head-chen");

  auto* handover = b.Add<v1::OwnerHandedOver>(kComplaint, kAgent);
  handover->set_owner_agent_id(kNightAgent);
  handover->set_previous_owner_agent_id(kAgent);
  handover->set_handover_note("Waiting for the customer to confirm delivery.");

  auto* assigned = b.Add<v1::OwnerAssigned>(kComplaint, kHead);
  assigned->set_owner_agent_id(kAgent);
  assigned->set_previous_owner_agent_id(kNightAgent);
  assigned->set_assigned_by_agent_id(kHead);
  assigned->set_reason("Back to the first-contact owner after night duty.");

  auto* escalated = b.Add<v1::EscalatedToGm>(kComplaint, kHead);
  escalated->set_proposal("Offer one month free as compensation.");
  escalated->set_escalated_by_agent_id(kHead);

  auto* decided = b.Add<v1::GmDecided>(kComplaint, "gm-zhao");
  decided->set_decision("Approved.");
  decided->set_decided_by("gm-zhao");
  decided->set_reply_due_us(Micros("2026-10-14 17:30"));
}

void AddClosing(Builder& b) {
  auto* replied = b.Add<v1::Replied>(kComplaint, kAgent);
  replied->set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  replied->set_reply("Delivered, with one month free.");
  replied->set_replied_by_agent_id(kAgent);
  replied->set_within_deadline(true);
  replied->set_revisit_due_us(Micros("2026-10-16 17:30"));

  auto* revisit = b.Add<v1::RevisitRecorded>(kComplaint, kAgent);
  revisit->set_revisit_kind(v1::REVISIT_KIND_FIRST);
  revisit->set_satisfaction(v1::SATISFACTION_DISSATISFIED);
  revisit->set_resolved(false);
  revisit->set_note("Delivered late again on Thursday.");
  revisit->set_revisited_by_agent_id(kAgent);
  revisit->set_within_deadline(true);

  auto* reopened = b.Add<v1::Reopened>(kComplaint, kAgent);
  reopened->set_reason("Not resolved at revisit.");
  reopened->set_reopened_by_agent_id(kAgent);
  reopened->set_reopen_count(1);

  auto* waived = b.Add<v1::RevisitWaived>(kComplaint, kHead);
  waived->set_reason("Customer asked not to be called again.");
  waived->set_waived_by_agent_id(kHead);

  auto* paperwork = b.Add<v1::PaperworkCompleted>(kComplaint, kAgent);
  paperwork->set_note("Intake form completed after the urgent handling.");
  paperwork->set_completed_by_agent_id(kAgent);
  paperwork->set_within_deadline(true);

  auto* signed_off = b.Add<v1::SignedOff>(kComplaint, kHead);
  signed_off->set_signed_by_agent_id(kHead);
  signed_off->set_review_note("Record complete; verified with the customer.");
  signed_off->set_record_complete(true);
  signed_off->set_unresolved_items_passed_on(true);
  signed_off->set_verified_with_customer(true);
}

// The log's own events (last: adding examples never moves earlier ones).
void AddLog(Builder& b) {
  auto* accepted = b.Add<v1::LogEndAccepted>("ledger-log", "operator-li");
  accepted->set_damage(
      "the log ends at position 40, but position 52 was acknowledged");
  accepted->set_acknowledged_position(52);
  accepted->set_acknowledged_hash(std::string(32, '\x52'));
  accepted->set_accepted_position(40);
  accepted->set_accepted_hash(std::string(32, '\x40'));
  accepted->set_accepted_by("operator-li");
}

// Personal data erased (after the log's own: adding examples never moves
// earlier ones).
void AddErasure(Builder& b) {
  auto* erased = b.Add<v1::CustomerDataErased>(kComplaint, kHead);
  erased->set_customer_ref("cust-5f1c9a");
  erased->set_reason("The customer asked for their data to be erased.");
  erased->set_erased_by_agent_id(kHead);
  erased->set_key_id("cust-5f1c9a#1");
}

}  // namespace

// The regulations of issue 28 (after the erasure: adding examples never
// moves earlier ones).
void AddRegulations(Builder& b) {
  auto* types = b.Add<v1::CustomerTypesPublished>("ref-org", kHead);
  for (const auto& [code, name] :
       {std::pair{"frequent", "Buys every week"},
        std::pair{"subscriber", "Yearly subscriber"},
        std::pair{"occasional", "Buys now and then"}}) {
    v1::CustomerType* t = types->add_types();
    t->set_code(code);
    t->set_name(name);
  }
  types->set_published_by_agent_id(kHead);

  auto* checked = b.Add<v1::SpotChecked>(kComplaint, kHead);
  checked->set_record_accurate(false);
  checked->set_finding("The revisit note does not say what was promised.");
  checked->set_checked_by_agent_id(kHead);
}

// The monthly assessment of agents.
void AddAssessment(Builder& b) {
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  auto* entered = b.Add<v1::AssessmentPointsEntered>("ref-assessments", kHead);
  entered->set_agent_id(kAgent);
  *entered->mutable_month() = november;
  entered->set_part(v1::ASSESSMENT_PART_TEAMWORK);
  entered->set_points_tenths(85);
  entered->set_reason("Covered two night shifts for colleagues.");

  auto* published = b.Add<v1::AssessmentPublished>("ref-assessments", kHead);
  *published->mutable_month() = november;
  published->mutable_appeal_last_day()->set_year(2026);
  published->mutable_appeal_last_day()->set_month(12);
  published->mutable_appeal_last_day()->set_day(4);

  auto* appealed = b.Add<v1::AssessmentAppealed>("ref-assessments", kAgent);
  appealed->set_appeal_id("2026-11-1");
  appealed->set_agent_id(kAgent);
  *appealed->mutable_month() = november;
  appealed->set_part(v1::ASSESSMENT_PART_TEAMWORK);
  appealed->set_reason("The night shifts were three, not two.");

  auto* decided = b.Add<v1::AppealDecided>("ref-assessments", kHead);
  decided->set_appeal_id("2026-11-1");
  decided->set_agent_id(kAgent);
  *decided->mutable_month() = november;
  decided->set_part(v1::ASSESSMENT_PART_TEAMWORK);
  decided->set_accepted(true);
  decided->set_corrected_points_tenths(95);
  decided->set_reason("The rota confirms three night shifts.");
}

// The monthly station penalty table.
void AddPenaltyTable(Builder& b) {
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  *b.Add<v1::PenaltyTableDrawnUp>("ref-penalty-tables", kHead)
       ->mutable_month() = november;
  auto* signed_table =
      b.Add<v1::PenaltyTableSigned>("ref-penalty-tables", "gm-zhao");
  *signed_table->mutable_month() = november;
  signed_table->set_drawn_position(2);
  *b.Add<v1::PenaltyTablePublished>("ref-penalty-tables", kHead)
       ->mutable_month() = november;
  *b.Add<v1::PenaltyTableSentToFinance>("ref-penalty-tables", kHead)
       ->mutable_month() = november;
}

// The knowledge base.
void AddKnowledge(Builder& b) {
  auto* typical = b.Add<v1::TypicalCaseMarked>(kComplaint, kHead);
  typical->set_summary("Paper left in the rain at an unsheltered box.");
  typical->set_solution("A plastic sleeve for every open-air box.");
  typical->set_points_to_watch("Ask whether the box has a roof.");
  typical->set_category(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  typical->add_tags("weather");
  typical->set_marked_by_agent_id(kHead);
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  auto* drawn = b.Add<v1::DigestDrawnUp>("ref-knowledge", kHead);
  *drawn->mutable_month() = november;
  drawn->set_half(v1::DIGEST_HALF_FIRST);
  drawn->mutable_first_day()->set_year(2026);
  drawn->mutable_first_day()->set_month(11);
  drawn->mutable_first_day()->set_day(1);
  *drawn->mutable_last_day() = drawn->first_day();
  drawn->mutable_last_day()->set_day(15);
  auto* circulated = b.Add<v1::DigestCirculated>("ref-knowledge", kHead);
  *circulated->mutable_month() = november;
  circulated->set_half(v1::DIGEST_HALF_FIRST);
  auto* read = b.Add<v1::ReadingRecorded>("ref-knowledge", kAgent);
  *read->mutable_month() = november;
  read->set_half(v1::DIGEST_HALF_FIRST);
  read->set_agent_id(kAgent);
}

std::vector<ExampleEvent> ExampleEvents() {
  Builder b;
  AddReferenceData(b);
  AddIntake(b);
  AddHandling(b);
  AddClosing(b);
  AddLog(b);
  AddErasure(b);
  AddRegulations(b);
  AddAssessment(b);
  AddPenaltyTable(b);
  AddKnowledge(b);
  return b.Take();
}

absl::StatusOr<int> AppendExamples(EventStore& store, const std::string& tag) {
  int n = 0;
  for (const ExampleEvent& example : ExampleEvents()) {
    AppendRequest request;
    request.stream_id = example.stream_id;
    request.command_id = absl::StrCat(tag, "-", ++n);
    request.events.push_back({example.payload->GetDescriptor()->full_name(),
                              example.payload->SerializeAsString(),
                              example.actor, tag, "", 1});
    absl::StatusOr<AppendResult> result = store.Append(std::move(request));
    if (!result.ok()) return result.status();
  }
  return n;
}

}  // namespace ledger
