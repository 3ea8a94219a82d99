// ledger_seed: gives an empty ledger something to look at. Registers a small
// call centre (a centre head, agents, a clerk, the general manager, three
// stations, two departments, this month's volumes, a penalty schedule) and
// takes six complaints through the real rules (services/complaint_app.h) to
// different stages: open on the coordinated track, waiting for a revisit,
// closed, green channel with paperwork pending, escalated to the general
// manager, and a repeat. Uses the system clock: the complaints are "now".
// With --history_months N, first a seeded call centre's traffic
// (tools/sim/workload.h) through the same rules, on a clock that runs
// through the N whole months before this one (in the site's time zone), so
// that last month's station table, analysis and scorecards have something
// to show; what the last cases would do after now (revisits, sign-offs) is
// left undone, as in any call centre. Does nothing when the ledger already
// holds the seed.
#include <algorithm>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "app/complaint_app.h"
#include "app/personal_data.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/calendar/statutory.h"
#include "ledger/complaint/builders.h"
#include "ledger/store/event_store.h"
#include "ledger/store/version.h"
#include "tools/progress.h"
#include "tools/sim/in_process.h"
#include "tools/sim/workload.h"

ABSL_FLAG(std::string, data_dir, "./ledger-data", "RocksDB directory");
ABSL_FLAG(int, history_months, 0,
          "months of simulated traffic before the six complaints (0: none)");
ABSL_FLAG(int, history_cases, 1500, "cases in those months");
ABSL_FLAG(std::string, history_until, "",
          "RFC 3339: the history ends before this instant, its months are the "
          "ones before this instant's (default: now)");
ABSL_FLAG(std::string, key_file, "",
          "the site's keys (ledgerd --key_file): customers' personal data is "
          "sealed as ledgerd seals it, the data keys in <data_dir>/keys");

namespace ledger {
namespace {

constexpr char kHead[] = "h1";

template <typename Command>
absl::StatusOr<v1::ComplaintState> Do(ComplaintApp& app, Command command,
                                      const std::string& actor,
                                      const std::string& command_id) {
  command.mutable_context()->set_command_id(absl::StrCat("seed/", command_id));
  ASSIGN_OR_RETURN(v1::CommandResult result, app.Execute(command, actor));
  return result.state();
}

absl::Status Agent(ComplaintApp& app, const std::string& id,
                   const std::string& name, v1::Role role) {
  v1::RegisterAgent c = build::Agent(id, {role});
  c.mutable_agent()->set_display_name(name);
  return Do(app, c, kHead, "agent-" + id).status();
}

absl::Status Reference(ComplaintApp& app, absl::Time now) {
  RETURN_IF_ERROR(
      Agent(app, kHead, "Zhang Wei (centre head)", v1::ROLE_CENTRE_HEAD));
  RETURN_IF_ERROR(Agent(app, "a17", "Li Na", v1::ROLE_AGENT));
  RETURN_IF_ERROR(Agent(app, "a18", "Wang Fang", v1::ROLE_AGENT));
  RETURN_IF_ERROR(Agent(app, "c1", "Chen Jie (clerk)", v1::ROLE_CLERK));
  RETURN_IF_ERROR(Agent(app, "gm", "Liu Yang (GM)", v1::ROLE_GENERAL_MANAGER));
  RETURN_IF_ERROR(Agent(app, "au1", "Zhao Min (auditor)", v1::ROLE_AUDITOR));
  RETURN_IF_ERROR(
      Agent(app, "feed", "The complaint feed (a service)", v1::ROLE_SERVICE));
  for (const auto& [id, name] :
       {std::pair{"eng", "Engineering"}, std::pair{"svc", "Service"}}) {
    v1::RegisterDepartment c;
    c.mutable_department()->set_department_id(id);
    c.mutable_department()->set_name(name);
    ASSIGN_OR_RETURN(auto unused, Do(app, c, kHead, absl::StrCat("dept-", id)));
    (void)unused;
  }
  const absl::CivilMonth month =
      absl::ToCivilMonth(now, absl::FixedTimeZone(8 * 3600));
  int copies = 120000;
  for (const auto& [id, name] :
       {std::pair{"s1", "East station"}, std::pair{"s2", "West station"},
        std::pair{"s3", "North station"}}) {
    RETURN_IF_ERROR(
        Do(app, build::Station(id, name), kHead, absl::StrCat("station-", id))
            .status());
    v1::RecordStationVolume volume;
    volume.mutable_volume()->set_station_id(id);
    volume.mutable_volume()->mutable_month()->set_year(
        static_cast<int>(month.year()));
    volume.mutable_volume()->mutable_month()->set_month(month.month());
    volume.mutable_volume()->set_copies(copies);
    copies -= 30000;
    RETURN_IF_ERROR(
        Do(app, volume, kHead, absl::StrCat("volume-", id)).status());
  }
  v1::PublishPenaltySchedule schedule;
  schedule.mutable_schedule()->mutable_effective_from()->set_year(
      static_cast<int>(month.year()));
  schedule.mutable_schedule()->mutable_effective_from()->set_month(
      month.month());
  for (const auto& [severity, yuan] :
       {std::pair{v1::SEVERITY_REPEAT, 200},
        std::pair{v1::SEVERITY_MALICIOUS, 500}}) {
    v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
    rate->set_severity(severity);
    rate->mutable_amount_per_complaint()->set_currency_code("CNY");
    rate->mutable_amount_per_complaint()->set_minor_units(int64_t{yuan} * 100);
  }
  return Do(app, schedule, kHead, "penalties").status();
}

v1::ReceiveComplaint Intake(const std::string& phone,
                            const std::string& content, v1::InfoKind kind,
                            const std::string& station) {
  v1::ReceiveComplaint c;
  c.set_channel(v1::CHANNEL_PHONE);
  c.mutable_customer()->set_name("Customer " + phone.substr(phone.size() - 4));
  c.mutable_customer()->set_phone(phone);
  c.set_content(content);
  c.set_station_id(station);
  c.mutable_classification()->set_kind(kind);
  if (kind == v1::INFO_KIND_COMPLAINT) {
    c.mutable_classification()->set_category(
        v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  }
  c.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  return c;
}

void Say(const std::string& id, const char* what) {
  std::printf("ledger_seed: %s  %s\n", id.c_str(), what);
}

template <typename Command>
Command On(const std::string& id) {
  Command c;
  c.set_complaint_id(id);
  return c;
}

absl::Status Complaints(ComplaintApp& app) {
  // 1. Open, coordinated, an assist request out to a station.
  ASSIGN_OR_RETURN(v1::ComplaintState s,
                   Do(app,
                      Intake("13800138001", "Paper wet three days running.",
                             v1::INFO_KIND_COMPLAINT, "s1"),
                      "a17", "c1-receive"));
  const std::string first = s.complaint_id();
  Say(first, "open on the coordinated track, an assist request out to s1");
  auto track = On<v1::ChooseTrack>(first);
  track.set_track(v1::HANDLING_TRACK_COORDINATED);
  RETURN_IF_ERROR(Do(app, track, "a17", "c1-track").status());
  auto dispatch = On<v1::RequestAssist>(first);
  dispatch.add_targets()->set_station_id("s1");
  dispatch.set_request("Check the delivery route; use sleeves in rain.");
  RETURN_IF_ERROR(Do(app, dispatch, "a17", "c1-dispatch").status());

  // 2. Replied, waiting for the revisit.
  ASSIGN_OR_RETURN(s, Do(app,
                         Intake("13900139002", "Wrong newspaper delivered.",
                                v1::INFO_KIND_COMPLAINT, "s2"),
                         "a18", "c2-receive"));
  const std::string second = s.complaint_id();
  Say(second, "replied, waiting for its revisit");
  track = On<v1::ChooseTrack>(second);
  track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
  RETURN_IF_ERROR(Do(app, track, "a18", "c2-track").status());
  auto reply = On<v1::Reply>(second);
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("Route card corrected; the right paper from tomorrow.");
  RETURN_IF_ERROR(Do(app, reply, "a18", "c2-reply").status());

  // 3. Closed: answered on the spot, revisited, signed off.
  ASSIGN_OR_RETURN(s, Do(app,
                         Intake("13700137003", "When does my subscription end?",
                                v1::INFO_KIND_INQUIRY, ""),
                         "a17", "c3-receive"));
  const std::string third = s.complaint_id();
  Say(third, "closed: answered on the spot, revisited, signed off");
  track = On<v1::ChooseTrack>(third);
  track.set_track(v1::HANDLING_TRACK_ON_THE_SPOT);
  RETURN_IF_ERROR(Do(app, track, "a17", "c3-track").status());
  reply = On<v1::Reply>(third);
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("On 31 December.");
  RETURN_IF_ERROR(Do(app, reply, "a17", "c3-reply").status());
  auto revisit = On<v1::RecordRevisit>(third);
  revisit.set_satisfaction(v1::SATISFACTION_VERY_SATISFIED);
  revisit.set_resolved(true);
  RETURN_IF_ERROR(Do(app, revisit, "a17", "c3-revisit").status());
  auto sign = On<v1::SignOff>(third);
  sign.set_record_complete(true);
  sign.set_review_note("Complete.");
  RETURN_IF_ERROR(Do(app, sign, kHead, "c3-sign").status());

  // 4. Green channel: handled first, paperwork pending.
  v1::ReceiveComplaint urgent =
      Intake("13600136004", "Water leaking into the mailbox room.",
             v1::INFO_KIND_REPAIR_REQUEST, "s3");
  urgent.clear_classification();
  urgent.set_green_channel(true);
  ASSIGN_OR_RETURN(s, Do(app, urgent, "a17", "c4-receive"));
  Say(s.complaint_id(), "green channel: answered first, paperwork pending");
  reply = On<v1::Reply>(s.complaint_id());
  reply.set_outcome(v1::REPLY_OUTCOME_PARTLY_RESOLVED);
  reply.set_reply("Engineer on site; mailboxes moved.");
  RETURN_IF_ERROR(Do(app, reply, "a17", "c4-reply").status());

  // 5. Escalated to the general manager, waiting for the decision.
  ASSIGN_OR_RETURN(s, Do(app,
                         Intake("13500135005", "Demands a year's refund.",
                                v1::INFO_KIND_COMPLAINT, "s1"),
                         "a18", "c5-receive"));
  Say(s.complaint_id(), "escalated to the general manager");
  auto escalate = On<v1::EscalateToGm>(s.complaint_id());
  escalate.set_proposal("Refund one quarter, apologise in writing.");
  RETURN_IF_ERROR(Do(app, escalate, kHead, "c5-escalate").status());

  // 6. The first customer again, same category: a repeat at intake.
  ASSIGN_OR_RETURN(s, Do(app,
                         Intake("138 0013 8001", "Wet again today.",
                                v1::INFO_KIND_COMPLAINT, "s1"),
                         "a18", "c6-receive"));
  Say(s.complaint_id(), "a repeat of the first");
  return absl::OkStatus();
}

// The simulated months before the month of `until` (in the site's zone),
// on their own clock, up to `until`.
absl::Status History(const std::string& dir, int months, int cases,
                     absl::Time until) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(kDefaultTimeZone, &zone)) {
    return absl::InternalError(absl::StrCat("no time zone ", kDefaultTimeZone));
  }
  sim::WorkloadOptions options;
  options.seed = 1;
  options.cases = cases;
  options.months = months;
  options.customers = std::max(1, cases * 2 / 5);
  options.first_month = absl::ToCivilMonth(until, zone) - months;
  sim::Workload workload = sim::PlanWorkload(options);
  // Steps are in time order: what falls at or after `until` has not
  // happened yet.
  const auto due =
      std::find_if(workload.steps.begin(), workload.steps.end(),
                   [until](const sim::Step& step) { return step.at >= until; });
  const size_t later = static_cast<size_t>(workload.steps.end() - due);
  workload.steps.erase(due, workload.steps.end());
  Progress progress("ledger_seed: history steps", workload.steps.size());
  RETURN_IF_ERROR(sim::RunOnDataDir(
      workload, dir, nullptr,
      [&progress](size_t done, size_t) { progress.Update(done); },
      absl::GetFlag(FLAGS_key_file)));
  progress.Finish();
  std::printf(
      "ledger_seed: %d simulated cases in %s to %s (%zu commands; %zu later "
      "ones not yet due)\n",
      cases, absl::FormatCivilTime(options.first_month).c_str(),
      absl::FormatCivilTime(options.first_month + (months - 1)).c_str(),
      workload.steps.size(), later);
  return absl::OkStatus();
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  auto store = EventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "ledger_seed: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::optional<AppendResult>> seeded =
      (*store)->FindCommand("seed/c6-receive", "");
  if (absl::IsAlreadyExists(seeded.status()) ||
      (seeded.ok() && seeded->has_value())) {
    std::printf("ledger_seed: %s already holds the seed; nothing to do\n",
                dir.c_str());
    return 0;
  }
  if ((*store)->log_head().position_last > 0) {
    std::printf("ledger_seed: %s is not empty; nothing to do\n", dir.c_str());
    return 0;
  }
  if (const int months = absl::GetFlag(FLAGS_history_months); months > 0) {
    store->reset();  // History opens it on its own clock.
    absl::Time until = absl::Now();
    if (const std::string at = absl::GetFlag(FLAGS_history_until);
        !at.empty()) {
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, at, &until, &error)) {
        std::fprintf(stderr, "ledger_seed: --history_until %s: %s\n",
                     at.c_str(), error.c_str());
        return 2;
      }
    }
    absl::Status s =
        History(dir, months, absl::GetFlag(FLAGS_history_cases), until);
    if (!s.ok()) {
      std::fprintf(stderr, "ledger_seed: history: %s\n", s.ToString().c_str());
      return 1;
    }
    store = EventStore::Open(dir);
    if (!store.ok()) {
      std::fprintf(stderr, "ledger_seed: %s\n",
                   store.status().ToString().c_str());
      return 1;
    }
  }
  ComplaintAppOptions app_options;
  if (const std::string keys = absl::GetFlag(FLAGS_key_file); !keys.empty()) {
    // Reopened with the keys' sync before each commit.
    store->reset();
    EventStoreOptions store_options;
    absl::Status opened =
        UsePersonalData(keys, dir + "/keys", store_options, app_options);
    if (opened.ok()) {
      store = EventStore::Open(dir, store_options);
      opened = store.status();
    }
    if (!opened.ok()) {
      std::fprintf(stderr, "ledger_seed: %s\n", opened.ToString().c_str());
      return 1;
    }
  }
  // Today past the shipped calendar: the law's days off, provisional.
  absl::StatusOr<v1::CalendarPublished> calendar =
      ShippedCalendarCovering(absl::Now());
  if (!calendar.ok()) {
    std::fprintf(stderr, "ledger_seed: %s\n",
                 calendar.status().ToString().c_str());
    return 1;
  }
  app_options.initial_calendar = *calendar;
  auto app = ComplaintApp::Create(store->get(), app_options);
  if (app.ok()) {
    const BusinessCalendar* in_force = (*app)->reference()->calendar();
    if (in_force != nullptr &&
        in_force->version().find("+statutory") != std::string::npos) {
      std::printf(
          "ledger_seed: calendar %s: the years past the shipped calendar "
          "hold only the days off the law fixes, without the State "
          "Council's make-up working days (ledger/calendar/statutory.h); a "
          "site publishes the official arrangement with ledgerctl "
          "publish-calendar\n",
          in_force->version().c_str());
    }
  }
  absl::Status s = app.ok() ? Reference(**app, absl::Now()) : app.status();
  if (s.ok()) s = Complaints(**app);
  if (!s.ok()) {
    std::fprintf(stderr, "ledger_seed: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "ledger_seed: a call centre and 6 complaints in %s (%llu events)\n",
      dir.c_str(),
      static_cast<unsigned long long>((*store)->log_head().position_last));
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  ledger::SetVersionFlag("ledger_seed");
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
