#include "tests/lifecycle_fixture.h"

#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/builders.h"

namespace ledger::testing {

LifecycleTest::LifecycleTest()
    : now_(At(2026, 11, 18, 10, 0)) {  // A Wednesday.
  AddAgent("h1", v1::ROLE_CENTRE_HEAD);
  AddAgent("a17", v1::ROLE_AGENT);
  AddAgent("a18", v1::ROLE_AGENT);
  AddAgent("a19", v1::ROLE_AGENT);
  AddAgent("c1", v1::ROLE_CLERK);
  AddAgent("gm", v1::ROLE_GENERAL_MANAGER);
  v1::StationRegistered station;
  station.set_station_id("s1");
  station.set_name("East station");
  EXPECT_TRUE(reference_.Apply(Wrap(station)).ok());
  for (const char* id : {"eng", "svc"}) {
    v1::DepartmentRegistered dept;
    dept.set_department_id(id);
    dept.set_name(id);
    EXPECT_TRUE(reference_.Apply(Wrap(dept)).ok());
  }
  absl::StatusOr<v1::CalendarPublished> shipped = BusinessCalendar::Shipped();
  EXPECT_TRUE(shipped.ok()) << shipped.status();
  if (shipped.ok()) Publish(*shipped);
}

absl::Time LifecycleTest::At(int y, int m, int d, int hh, int mm) {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), shanghai);
}

void LifecycleTest::AddAgent(const std::string& id, v1::Role role) {
  v1::AgentRegistered agent;
  agent.set_agent_id(id);
  agent.set_display_name(id);
  agent.add_roles(role);
  agent.set_active(true);
  EXPECT_TRUE(reference_.Apply(Wrap(agent)).ok());
}

void LifecycleTest::Publish(const v1::CalendarPublished& calendar) {
  absl::Status s = reference_.Apply(Wrap(calendar));
  EXPECT_TRUE(s.ok()) << s;
}

v1::ReceiveComplaint LifecycleTest::Intake(const std::string& id,
                                           const std::string& phone) {
  v1::ReceiveComplaint c = build::Intake(id, phone);
  c.mutable_customer()->set_name("Wang");
  return c;
}

v1::Classification LifecycleTest::Complaint(v1::ComplaintCategory category) {
  return build::ComplaintAbout(category);
}

void LifecycleTest::ReceiveAndReply(const std::string& id) {
  v1::ReceiveComplaint intake = Intake(id);
  *intake.mutable_classification() = Complaint();
  Must("a17", intake);
  Must("a17", build::Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY));
  Must("a17", build::ReplyTo(id));
}

std::string LifecycleTest::CustomerKeyOf(const v1::ReceiveComplaint& command,
                                         const v1::ComplaintState&) {
  absl::StatusOr<std::string> contact =
      ContactKey(command.channel(), command.customer());
  return contact.ok() ? CustomerRef(*contact) : "";
}

void LifecycleTest::Commit(const std::string& id, const Decision& decision) {
  v1::ComplaintState& state = states_[id];
  for (v1::Event event : decision) {
    event.set_stream_id(ComplaintStream(id));
    event.set_revision(
        state.stage() == v1::STAGE_UNSPECIFIED ? 0 : state.revision() + 1);
    event.set_position(next_position_++);
    event.set_recorded_time_us(absl::ToUnixMicros(now_));
    absl::Status s = Apply(event, &state);
    EXPECT_TRUE(s.ok()) << s;
    s = index_.Apply(event);
    EXPECT_TRUE(s.ok()) << s;
  }
}

}  // namespace ledger::testing
