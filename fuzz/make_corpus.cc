// Writes the seed corpora of the fuzzers (fuzz/corpus/): small valid inputs
// that reach deep into each target, from the ledger's own examples, the
// shipped calendar and a complaint's whole life. Each seed is checked as it
// is written (its records decode, its commands are accepted, its calendars
// and flags parse), so a seed that no longer reaches what it was made for
// stops the program instead of going stale.
//   fuzz_make_corpus OUT_DIR    (writes OUT_DIR/{record,decide,calendar,flags})
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "app/internal/command_ops.h"
#include "fuzz/inputs.h"
#include "google/protobuf/text_format.h"
#include "ledger/base/check.h"
#include "ledger/base/clock.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/calendar/shipped_calendar.h"
#include "ledger/complaint/state.h"
#include "ledger/events/examples.h"
#include "ledger/store/event_store.h"
#include "ledger/store/internal/anchor.h"
#include "tools/ledgerctl/proto_flags.h"

namespace ledger::fuzz {
namespace {

namespace fs = std::filesystem;

class Corpus {
 public:
  explicit Corpus(fs::path dir) : dir_(std::move(dir)) {}

  void Write(const std::string& fuzzer, const std::string& name,
             const std::string& bytes) const {
    fs::create_directories(dir_ / fuzzer);
    std::ofstream file(dir_ / fuzzer / name,
                       std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    LEDGER_CHECK(file.good(), "the corpus directory is writable");
  }

 private:
  fs::path dir_;
};

template <typename Message>
Message FromText(const std::string& text) {
  Message message;
  LEDGER_CHECK(google::protobuf::TextFormat::ParseFromString(text, &message),
               "the seeds' text protos parse");
  return message;
}

absl::TimeZone Shanghai() {
  absl::TimeZone zone;
  LEDGER_CHECK(absl::LoadTimeZone(kDefaultTimeZone, &zone), "tzdata");
  return zone;
}

// --- record: the example events as the store writes them, and its anchor.

void WriteRecordSeeds(const Corpus& corpus) {
  const fs::path dir = fs::temp_directory_path() / "fuzz_make_corpus_store";
  fs::remove_all(dir);
  EventStoreOptions options;
  // A fixed clock makes the records, hashes and all, the same every run.
  options.clock = std::make_shared<FakeClock>(
      absl::FromCivil(absl::CivilMinute(2026, 10, 12, 10, 0), Shanghai()));
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(dir.string(), options);
  LEDGER_CHECK(store.ok(), "a new store opens");
  LEDGER_CHECK(AppendExamples(**store, "seed").ok(), "the examples append");
  absl::StatusOr<std::vector<v1::Event>> events = (*store)->ReadAll(1, 1000);
  LEDGER_CHECK(events.ok(), "the examples read back");
  for (const v1::Event& event : *events) {
    corpus.Write(
        "record",
        absl::StrFormat("%02d-%s", event.position(),
                        absl::StripPrefix(event.event_type(), "ledger.v1.")),
        Encode(RecordInput{event.position(), event.SerializeAsString()}));
  }
  LEDGER_CHECK((*store)->Close().ok(), "the store closes");
  store->reset();
  std::ifstream anchor(dir / internal::kAnchorFileName, std::ios::binary);
  const std::string anchor_bytes((std::istreambuf_iterator<char>(anchor)),
                                 std::istreambuf_iterator<char>());
  LEDGER_CHECK(!anchor_bytes.empty(), "the store wrote its anchor");
  corpus.Write("record", "anchor", anchor_bytes);
  fs::remove_all(dir);
}

// --- decide: two complaints' lives, every command accepted on the state
// the commands before it left, and every reference command.

class DecideSeeds {
 public:
  explicit DecideSeeds(const Corpus& corpus)
      : corpus_(corpus),
        now_(absl::FromCivil(absl::CivilMinute(2026, 11, 18, 10, 0),
                             Shanghai())) {}  // A Wednesday.

  // Writes the seed of `command` (Command in text format) decided as
  // `actor` an hour after the command before; the command must be
  // accepted, and its events are folded into its complaint's state.
  template <typename Command>
  void Step(const std::string& actor, const std::string& text,
            std::vector<PriorComplaint> history = {}) {
    const Command command = FromText<Command>(text);
    const internal::CommandOps& ops = *internal::OpsOf(command);
    DecideInput input = Input(command, actor);
    input.history = std::move(history);
    v1::ComplaintState& state = states_[command.complaint_id()];
    input.state = state.SerializeAsString();

    DecideContext context = Context(actor);
    context.customer_history = input.history;
    absl::StatusOr<Decision> decision = ops.decide(state, command, context);
    if (!decision.ok()) Fail(command, decision.status());
    for (v1::Event event : *decision) {
      event.set_stream_id(ComplaintStream(command.complaint_id()));
      event.set_revision(
          state.stage() == v1::STAGE_UNSPECIFIED ? 0 : state.revision() + 1);
      event.set_recorded_time_us(absl::ToUnixMicros(now_));
      LEDGER_CHECK(Apply(event, &state).ok(), "a decision folds");
    }
    Write(command, input);
    now_ += absl::Hours(1);
  }

  // Writes the seed of a reference command, which must be accepted.
  template <typename Command>
  void Reference(const std::string& actor, const std::string& text) {
    const Command command = FromText<Command>(text);
    WriteReference(command, actor);
  }
  template <typename Command>
  void Reference(const std::string& actor, const Command& command) {
    WriteReference(command, actor);
  }

 private:
  DecideInput Input(const google::protobuf::Message& command,
                    const std::string& actor) const {
    DecideInput input;
    const auto& commands = RegisteredCommands();
    while (commands[input.command]->GetDescriptor() !=
           command.GetDescriptor()) {
      LEDGER_CHECK(++input.command < commands.size(), "a registered command");
    }
    while (kActors[input.actor] != actor) {
      LEDGER_CHECK(++input.actor < std::size(kActors), "one of kActors");
    }
    input.clock = 0;  // Within kClockSpan.
    input.now_us = absl::ToInt64Microseconds(now_ - kClockStart);
    input.command_bytes = command.SerializeAsString();
    return input;
  }

  DecideContext Context(const std::string& actor) const {
    DecideContext context;
    context.now = now_;
    context.actor = actor;
    context.reference = &FuzzReference();
    context.policy = &policy_;
    return context;
  }

  void WriteReference(const google::protobuf::Message& command,
                      const std::string& actor) {
    const DecideInput input = Input(command, actor);
    absl::StatusOr<ReferenceChange> change =
        internal::OpsOf(command)->decide_reference(FuzzReference(), actor, now_,
                                                   command);
    if (!change.ok()) Fail(command, change.status());
    Write(command, input);
  }

  void Write(const google::protobuf::Message& command,
             const DecideInput& input) {
    corpus_.Write(
        "decide",
        absl::StrFormat("%02d-%s", ++written_, command.GetDescriptor()->name()),
        Encode(input));
  }

  [[noreturn]] static void Fail(const google::protobuf::Message& command,
                                const absl::Status& status) {
    std::fprintf(stderr, "seed %s refused: %s\n",
                 command.ShortDebugString().c_str(), status.ToString().c_str());
    std::abort();
  }

  const Corpus& corpus_;
  const LifecyclePolicy policy_;
  absl::Time now_;
  std::map<std::string, v1::ComplaintState> states_;
  int written_ = 0;
};

void WriteDecideSeeds(const Corpus& corpus) {
  DecideSeeds seeds(corpus);
  // c-1: a green-channel complaint, a repeat, coordinated, escalated,
  // reopened after a failed revisit, closed, revisited at month end and
  // reopened by the head.
  PriorComplaint earlier;
  earlier.complaint_id = "c-0";
  earlier.received_time_us = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilDay(2026, 11, 10), Shanghai()));
  earlier.kind = v1::INFO_KIND_COMPLAINT;
  earlier.category = v1::COMPLAINT_CATEGORY_SERVICE_QUALITY;
  seeds.Step<v1::ReceiveComplaint>(
      "a17",
      R"(complaint_id: "c-1" channel: CHANNEL_PHONE green_channel: true
         customer { name: "Wang" phone: "+86 138-0013-8000" }
         content: "The paper came wet three days running."
         station_id: "s1"
         classification { kind: INFO_KIND_COMPLAINT
                          category: COMPLAINT_CATEGORY_SERVICE_QUALITY
                          importance: IMPORTANCE_GENERAL })",
      {earlier});
  seeds.Step<v1::Classify>("a17",
                           R"(complaint_id: "c-1"
         classification { kind: INFO_KIND_COMPLAINT
                          category: COMPLAINT_CATEGORY_PRODUCT_QUALITY
                          subcategory: "wet" importance: IMPORTANCE_IMPORTANT })");
  seeds.Step<v1::RaiseSeverity>(
      "h1",
      R"(complaint_id: "c-1" severity: SEVERITY_MALICIOUS
         reason: "Third call in a week" linked_complaint_ids: "c-0")");
  seeds.Step<v1::ChooseTrack>(
      "a17", R"(complaint_id: "c-1" track: HANDLING_TRACK_COORDINATED)");
  seeds.Step<v1::RequestAssist>(
      "a17",
      R"(complaint_id: "c-1" targets { station_id: "s1" }
         targets { department_id: "eng" } request: "Check the route.")");
  seeds.Step<v1::ChaseAssist>("h1",
                              R"(complaint_id: "c-1" assist_request_id: "A1"
         target { station_id: "s1" } kind: CHASE_KIND_SUPERVISE
         note: "The customer called again.")");
  seeds.Step<v1::AnswerAssist>("a17",
                               R"(complaint_id: "c-1" assist_request_id: "A1"
         target { station_id: "s1" } answer: "New carrier on the route."
         answered_immediately: true)");
  seeds.Step<v1::AnswerAssist>(
      "a17", absl::StrFormat(
                 R"(complaint_id: "c-1" assist_request_id: "A1"
             target { department_id: "eng" } answer: "Checking the van."
             promised_due_us: %d answered_by: "eng-lead")",
                 absl::ToUnixMicros(absl::FromCivil(
                     absl::CivilDay(2026, 11, 30), Shanghai()))));
  seeds.Step<v1::HandOver>("a17",
                           R"(complaint_id: "c-1" to_agent_id: "c1"
         handover_note: "Waiting for the station.")");
  seeds.Step<v1::AssignOwner>("h1",
                              R"(complaint_id: "c-1" owner_agent_id: "a17"
         reason: "Back to the first-contact owner.")");
  seeds.Step<v1::EscalateToGm>(
      "h1", R"(complaint_id: "c-1" proposal: "One month free.")");
  seeds.Step<v1::RecordGmDecision>(
      "gm", R"(complaint_id: "c-1" decision: "Approved.")");
  seeds.Step<v1::CompletePaperwork>(
      "a17", R"(complaint_id: "c-1" note: "Form completed.")");
  seeds.Step<v1::Reply>("a17",
                        R"(complaint_id: "c-1" outcome: REPLY_OUTCOME_RESOLVED
         reply: "Delivered in a sleeve, one month free.")");
  seeds.Step<v1::RecordRevisit>(
      "a17",
      R"(complaint_id: "c-1" satisfaction: SATISFACTION_DISSATISFIED
         resolved: false note: "Wet again on Thursday.")");
  seeds.Step<v1::ChooseTrack>(
      "a17", R"(complaint_id: "c-1" track: HANDLING_TRACK_INTERNAL_STUDY)");
  seeds.Step<v1::Reply>(
      "a17",
      R"(complaint_id: "c-1" outcome: REPLY_OUTCOME_PARTLY_RESOLVED
         reply: "A new carrier from Monday.")");
  seeds.Step<v1::RecordRevisit>("a17",
                                R"(complaint_id: "c-1" kind: REVISIT_KIND_FIRST
         satisfaction: SATISFACTION_SATISFIED resolved: true)");
  seeds.Step<v1::SignOff>(
      "h1",
      R"(complaint_id: "c-1" review_note: "Complete." record_complete: true
         unresolved_items_passed_on: true)");
  seeds.Step<v1::RecordRevisit>(
      "a17",
      R"(complaint_id: "c-1" kind: REVISIT_KIND_MONTH_END_SECOND
         satisfaction: SATISFACTION_VERY_SATISFIED resolved: true)");
  seeds.Step<v1::Reopen>(
      "h1", R"(complaint_id: "c-1" reason: "The customer wrote again.")");

  // c-2: a suggestion by fax to the clerk, answered on the spot, its
  // revisit waived.
  seeds.Step<v1::ReceiveComplaint>("a17",
                                   R"(complaint_id: "c-2" channel: CHANNEL_FAX
         on_duty_clerk_agent_id: "c1" customer { phone: "010 6512 3456" }
         content: "Please deliver before seven.")");
  seeds.Step<v1::Classify>("c1",
                           R"(complaint_id: "c-2"
         classification { kind: INFO_KIND_SUGGESTION
                          importance: IMPORTANCE_GENERAL })");
  seeds.Step<v1::ChooseTrack>(
      "c1", R"(complaint_id: "c-2" track: HANDLING_TRACK_ON_THE_SPOT)");
  seeds.Step<v1::Reply>("c1",
                        R"(complaint_id: "c-2" outcome: REPLY_OUTCOME_RESOLVED
         reply: "Moved to the early round.")");
  seeds.Step<v1::WaiveRevisit>(
      "h1", R"(complaint_id: "c-2" reason: "A suggestion, answered.")");
  seeds.Step<v1::SignOff>("h1", R"(complaint_id: "c-2" record_complete: true)");

  seeds.Reference<v1::RegisterStation>(
      "h1",
      R"(station { station_id: "s2" name: "West station" region: "west"
                   head_agent_id: "a17" })");
  seeds.Reference<v1::RegisterDepartment>(
      "h1",
      R"(department { department_id: "ops" name: "Operations"
                      head_agent_id: "h1"
                      routing_targets: ROUTING_TARGET_ENGINEERING })");
  seeds.Reference<v1::RegisterAgent>(
      "h1",
      R"(agent { agent_id: "a20" display_name: "Li Na" roles: ROLE_AGENT
                 roles: ROLE_CLERK department_id: "eng" active: true })");
  seeds.Reference<v1::RecordStationVolume>(
      "h1",
      R"(volume { station_id: "s1" month { year: 2026 month: 10 }
                  copies: 182400 })");
  v1::PublishCalendar publish;
  absl::StatusOr<v1::CalendarPublished> shipped = BusinessCalendar::Shipped();
  LEDGER_CHECK(shipped.ok(), "the shipped calendar is valid");
  *publish.mutable_calendar() = *shipped;
  seeds.Reference("h1", publish);
  seeds.Reference<v1::PublishPenaltySchedule>(
      "h1",
      R"(schedule { effective_from { year: 2026 month: 1 }
           rates { severity: SEVERITY_REPEAT
                   amount_per_complaint { currency_code: "CNY"
                                          minor_units: 5000 } }
           rates { severity: SEVERITY_MALICIOUS
                   amount_per_complaint { currency_code: "CNY"
                                          minor_units: 20000 } } })");
  seeds.Reference<v1::DeclareSpecialPeriod>(
      "h1",
      R"(period { first_day { year: 2026 month: 12 day: 20 }
                  last_day { year: 2026 month: 12 day: 31 }
                  reason: "Year-end subscription drive" })");
}

// --- calendar: the shipped calendar in both formats, the examples' and
// one with daylight saving time, each probed on working days, weekends,
// holidays and their shift boundaries.

// Each probe's days are the working days to add, plus one.
std::vector<CalendarProbe> Probes() {
  const auto at = [](int month, int day, int hour, int minute) {
    return absl::ToInt64Microseconds(
        absl::FromCivil(absl::CivilMinute(2025, month, day, hour, minute),
                        absl::UTCTimeZone()) -
        absl::FromCivil(absl::CivilYear(2025), absl::UTCTimeZone()));
  };
  return {
      // A weekday in the day shift; its assist cut-off; the evening.
      {0, at(3, 12, 10, 0), 2, v1::SHIFT_DAY},
      {0, at(3, 12, 17, 45), 3, v1::SHIFT_DAY},
      {2, at(3, 12, 21, 0), 1, v1::SHIFT_NIGHT_DUTY},
      // Before dawn; a weekend; a public holiday; a make-up working day.
      {0, at(10, 9, 6, 0), 2, v1::SHIFT_NIGHT_DUTY},
      {2, at(10, 4, 11, 0), 6, v1::SHIFT_NIGHT_DUTY},
      {0, at(10, 1, 9, 0), 2, v1::SHIFT_NIGHT_DUTY},
      {2, at(9, 28, 9, 0), 2, v1::SHIFT_DAY},
      // The year's end; a time of a year no calendar covers.
      {0, at(12, 31, 16, 0), 11, v1::SHIFT_DAY},
      {1,
       absl::ToUnixMicros(
           absl::FromCivil(absl::CivilDay(2031, 5, 6), absl::UTCTimeZone())),
       2, v1::SHIFT_DAY},
  };
}

void WriteCalendarSeed(const Corpus& corpus, const std::string& name,
                       const std::string& calendar) {
  v1::CalendarPublished published;
  if (!published.ParseFromString(calendar)) {
    absl::StatusOr<v1::CalendarPublished> text =
        BusinessCalendar::ParseText(calendar, name);
    LEDGER_CHECK(text.ok(), "the seed calendars are text or binary");
    published = *text;
  }
  LEDGER_CHECK(BusinessCalendar::FromProto(published).ok(),
               "the seed calendars are valid");
  corpus.Write("calendar", name, Encode(CalendarInput{calendar, Probes()}));
}

void WriteCalendarSeeds(const Corpus& corpus) {
  absl::StatusOr<v1::CalendarPublished> shipped = BusinessCalendar::Shipped();
  LEDGER_CHECK(shipped.ok(), "the shipped calendar is valid");
  WriteCalendarSeed(corpus, "shipped", shipped->SerializeAsString());
  WriteCalendarSeed(corpus, "shipped-text", ShippedCalendarText());
  for (const ExampleEvent& example : ExampleEvents()) {
    if (const auto* calendar =
            dynamic_cast<const v1::CalendarPublished*>(example.payload.get())) {
      WriteCalendarSeed(corpus, "example", calendar->SerializeAsString());
    }
  }
  WriteCalendarSeed(
      corpus, "new-york",
      FromText<v1::CalendarPublished>(
          R"(calendar_version: "us-2025" time_zone: "America/New_York"
             years: 2025 years: 2026
             public_holidays { year: 2025 month: 3 day: 10 }
             public_holidays { year: 2025 month: 11 day: 3 }
             makeup_working_days { year: 2025 month: 3 day: 8 }
             day_shift_start { hours: 1 minutes: 30 }
             day_shift_end { hours: 23 minutes: 59 }
             day_assist_cutoff { hours: 2 minutes: 30 }
             night_assist_cutoff { hours: 0 minutes: 0 })")
          .SerializeAsString());
}

// --- flags: a command line of each kind of flag ledgerctl takes.

struct CommandLine {
  std::string command;
  std::string operand;  // Empty for none.
  std::vector<std::pair<std::string, std::string>> flags;
};

void WriteFlagsSeeds(const Corpus& corpus) {
  absl::TimeZone zone = Shanghai();
  const std::vector<CommandLine> lines = {
      {"receive",
       "",
       {{"actor-agent-id", "a17"},
        {"channel", "phone"},
        {"customer-phone", "13800138000"},
        {"content", "The paper came wet."},
        {"green-channel", ""},
        {"classification-kind", "complaint"},
        {"command-id", "cmd-1"}}},
      {"classify",
       "c-1",
       {{"kind", "complaint"},
        {"category", "service-quality"},
        {"importance", "IMPORTANCE_GENERAL"},
        {"expected-revision", "3"}}},
      {"dispatch",
       "c-1",
       {{"targets", "station:s1"},
        {"targets", "department:eng"},
        {"request", "Check the route."}}},
      {"answer-assist",
       "c-1",
       {{"assist-request-id", "A1"},
        {"target", "station:s1"},
        {"promised-due-us", "2026-11-19 17:30"},
        {"answered-immediately", "false"}}},
      {"revisit",
       "c-1",
       {{"kind", "month-end-second"},
        {"satisfaction", "very satisfied"},
        {"resolved", "yes"}}},
      {"register-agent",
       "",
       {{"agent-id", "a20"},
        {"display-name", "Li Na"},
        {"roles", "agent,clerk"},
        {"active", "true"}}},
      {"record-volume",
       "",
       {{"station-id", "s1"}, {"month", "2026-10"}, {"copies", "182400"}}},
      {"publish-penalties",
       "",
       {{"effective-from", "2026-01"},
        {"rates", "repeat=CNY:50.00"},
        {"rates", "malicious=cny:200"}}},
      {"declare-special-period",
       "",
       {{"first-day", "2026-12-20"},
        {"last-day", "2026-12-31"},
        {"reason", "Year-end drive"}}},
      {"publish-calendar",
       "",
       {{"calendar",
         R"(calendar_version: "cn-2026" time_zone: "Asia/Shanghai" )"
         R"(years: 2026 day_shift_start { hours: 8 minutes: 30 })"},
        {"calendar-day-shift-end", "17:30"},
        {"calendar-public-holidays", "2026-10-01"}}},
      {"gm-decision",
       "c-1",
       {{"decision", "Approved."}, {"correlation-id", "batch-7"}}},
  };
  int written = 0;
  for (const CommandLine& line : lines) {
    const google::protobuf::Message* prototype = nullptr;
    ForEachCommand([&](const auto& spec) {
      using Command = typename std::decay_t<decltype(spec)>::Type;
      if (line.command == spec.cli_name) {
        prototype = &Command::default_instance();
      }
    });
    LEDGER_CHECK(prototype != nullptr, "the seeds' commands exist");
    std::unique_ptr<google::protobuf::Message> message(prototype->New());
    std::vector<std::string> args = {line.command};
    if (!line.operand.empty()) {
      LEDGER_CHECK(
          ctl::SetFlag("complaint-id", line.operand, zone, message.get()).ok(),
          "the seeds' operands are complaint ids");
      args.push_back(line.operand);
    }
    bool joined = false;
    for (const auto& [name, value] : line.flags) {
      const absl::Status set = ctl::SetFlag(name, value, zone, message.get());
      if (!set.ok()) {
        std::fprintf(stderr, "seed flag --%s refused: %s\n", name.c_str(),
                     set.ToString().c_str());
        std::abort();
      }
      // Both of ledgerctl's forms, in turn; a bool's true has no value.
      if (value.empty()) {
        args.push_back("--" + name);
      } else if ((joined = !joined)) {
        args.push_back("--" + name + "=" + value);
      } else {
        args.push_back("--" + name);
        args.push_back(value);
      }
    }
    corpus.Write("flags", absl::StrFormat("%02d-%s", ++written, line.command),
                 EncodeArgs(args));
  }
}

}  // namespace
}  // namespace ledger::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const ledger::fuzz::Corpus corpus{std::filesystem::path(argv[1])};
  ledger::fuzz::WriteRecordSeeds(corpus);
  ledger::fuzz::WriteDecideSeeds(corpus);
  ledger::fuzz::WriteCalendarSeeds(corpus);
  ledger::fuzz::WriteFlagsSeeds(corpus);
  return 0;
}
