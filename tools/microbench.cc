// Microbenchmarks (Google Benchmark) of the pieces every event goes
// through: the codec (an Event's protobuf bytes), the hash chain (canonical
// bytes and SHA-256), Decide and Apply of the lifecycle, and one projection
// update per view. Each case is a realistic one: a complaint received
// (~250-byte payload), classified, on the internal-study track, replied,
// revisited and signed off, decided by the real rules on the shipped
// calendar.
//
//   build/tools/microbench [--benchmark_format=json]
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "ledger/complaint/builders.h"
#include "ledger/base/check.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/store/chain.h"
#include "projections/views.h"

namespace ledger {
namespace {

// The reference data of a small centre: a head and an agent, a station,
// the shipped calendar.
const ReferenceData& Reference() {
  static const ReferenceData* reference = [] {
    auto* r = new ReferenceData();
    for (const auto& [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                                   std::pair{"a17", v1::ROLE_AGENT}}) {
      v1::AgentRegistered agent;
      agent.set_agent_id(id);
      agent.set_display_name(id);
      agent.add_roles(role);
      agent.set_active(true);
      LEDGER_CHECK(r->Apply(Wrap(agent)).ok(), "the benchmark's own case");
    }
    v1::StationRegistered station;
    station.set_station_id("s1");
    station.set_name("East station");
    LEDGER_CHECK(r->Apply(Wrap(station)).ok(), "the benchmark's own case");
    absl::StatusOr<v1::CalendarPublished> calendar =
        BusinessCalendar::Shipped();
    LEDGER_CHECK(calendar.ok(), "the benchmark's own case");
    LEDGER_CHECK(r->Apply(Wrap(*calendar)).ok(), "the benchmark's own case");
    return r;
  }();
  return *reference;
}

absl::Time Start() {
  // Wednesday 2026-11-18, 10:00 in Shanghai.
  return absl::FromCivil(absl::CivilMinute(2026, 11, 18, 10, 0),
                         absl::FixedTimeZone(8 * 3600));
}

v1::ReceiveComplaint Intake(const std::string& id) {
  v1::ReceiveComplaint c = build::ComplaintIntake(id);
  c.mutable_customer()->set_name("Wang");
  c.set_content(
      "The newspaper has arrived wet three mornings this week; the customer "
      "asks for it to be delivered in a sleeve and to the door.");
  c.set_station_id("s1");
  return c;
}

LifecyclePolicy& Policy() {
  static LifecyclePolicy policy;
  return policy;
}

DecideContext Context(const std::string& actor, absl::Time now) {
  DecideContext context;
  context.now = now;
  context.actor = actor;
  context.reference = &Reference();
  context.policy = &Policy();
  return context;
}

// Decides `command` on `state`, gives its events positions, revisions and
// times, applies them and appends them to `events`.
template <typename Command>
void Step(const Command& command, const std::string& actor, absl::Time now,
          v1::ComplaintState* state, std::vector<v1::Event>* events) {
  absl::StatusOr<Decision> decision =
      Decide(*state, command, Context(actor, now));
  LEDGER_CHECK(decision.ok(), "the benchmark's own case");
  for (v1::Event& e : *decision) {
    e.set_stream_id(ComplaintStream(command.complaint_id()));
    e.set_position(events->empty() ? 1 : events->back().position() + 1);
    e.set_revision(state->complaint_id().empty() ? 0 : state->revision() + 1);
    e.set_recorded_time_us(absl::ToUnixMicros(now));
    e.set_hash(std::string(32, 'h'));
    e.set_previous_hash(std::string(32, 'p'));
    LEDGER_CHECK(Apply(e, state).ok(), "the benchmark's own case");
    events->push_back(e);
  }
}

// Every event of `cases` complaints, each taken from intake to sign-off.
std::vector<v1::Event> Cases(int cases) {
  std::vector<v1::Event> events;
  for (int i = 0; i < cases; ++i) {
    const std::string id = absl::StrFormat("2026-%06d", i + 1);
    const absl::Time t = Start() + absl::Seconds(i);
    v1::ComplaintState state;
    Step(Intake(id), "a17", t, &state, &events);
    v1::ChooseTrack track;
    track.set_complaint_id(id);
    track.set_track(v1::HANDLING_TRACK_INTERNAL_STUDY);
    Step(track, "a17", t + absl::Minutes(1), &state, &events);
    v1::Reply reply;
    reply.set_complaint_id(id);
    reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
    reply.set_reply("Delivered in a sleeve from today.");
    Step(reply, "a17", t + absl::Hours(2), &state, &events);
    v1::RecordRevisit revisit;
    revisit.set_complaint_id(id);
    revisit.set_resolved(true);
    revisit.set_satisfaction(v1::SATISFACTION_SATISFIED);
    Step(revisit, "a17", t + absl::Hours(3), &state, &events);
    v1::SignOff sign;
    sign.set_complaint_id(id);
    sign.set_record_complete(true);
    Step(sign, "h1", t + absl::Hours(4), &state, &events);
  }
  return events;
}

const v1::Event& Received() {
  static const v1::Event* event = new v1::Event(Cases(1).front());
  return *event;
}

void BM_EventSerialize(benchmark::State& state) {
  const v1::Event& event = Received();
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    event.AppendToString(&bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_EventSerialize);

void BM_EventParse(benchmark::State& state) {
  const std::string bytes = Received().SerializeAsString();
  v1::Event event;
  for (auto _ : state) {
    LEDGER_CHECK(event.ParseFromString(bytes), "the benchmark's own case");
    benchmark::DoNotOptimize(event);
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_EventParse);

void BM_CanonicalBytes(benchmark::State& state) {
  const v1::Event& event = Received();
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    AppendCanonicalBytes(event, &bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_CanonicalBytes);

// Canonical bytes and their SHA-256: what the writer and every replay do.
void BM_EventHash(benchmark::State& state) {
  const v1::Event& event = Received();
  for (auto _ : state) benchmark::DoNotOptimize(ComputeEventHash(event));
}
BENCHMARK(BM_EventHash);

void BM_DecideReceive(benchmark::State& state) {
  const v1::ReceiveComplaint intake = Intake("2026-000001");
  const DecideContext context = Context("a17", Start());
  const v1::ComplaintState empty;
  for (auto _ : state) {
    absl::StatusOr<Decision> decision = Decide(empty, intake, context);
    LEDGER_CHECK(decision.ok(), "the benchmark's own case");
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_DecideReceive);

void BM_DecideReply(benchmark::State& state) {
  std::vector<v1::Event> events = Cases(1);
  events.resize(events.size() - 3);  // Up to the track chosen.
  absl::StatusOr<v1::ComplaintState> before = Fold(events);
  LEDGER_CHECK(before.ok(), "the benchmark's own case");
  v1::Reply reply;
  reply.set_complaint_id("2026-000001");
  reply.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
  reply.set_reply("Delivered in a sleeve from today.");
  const DecideContext context = Context("a17", Start() + absl::Hours(2));
  for (auto _ : state) {
    absl::StatusOr<Decision> decision = Decide(*before, reply, context);
    LEDGER_CHECK(decision.ok(), "the benchmark's own case");
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_DecideReply);

// A whole case's events folded into its state (what every command does
// before deciding), per event.
void BM_ApplyCase(benchmark::State& state) {
  const std::vector<v1::Event> events = Cases(1);
  for (auto _ : state) {
    v1::ComplaintState folded;
    for (const v1::Event& e : events)
      LEDGER_CHECK(Apply(e, &folded).ok(), "the benchmark's own case");
    benchmark::DoNotOptimize(folded);
  }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(BM_ApplyCase);

// Each event of 20,000 cases, in log order, into `views` one after another
// (their maps grow as in a live ledger), rows taken every 4,096 events as
// the runner does; per event.
void ApplyThroughCases(benchmark::State& state,
                       std::vector<std::unique_ptr<View>> views) {
  static const std::vector<v1::Event>* events =
      new std::vector<v1::Event>(Cases(20000));
  size_t next = 0;
  ViewChanges changes;
  for (auto _ : state) {
    if (next == events->size()) {
      state.PauseTiming();
      for (auto& view : views) view = view->NewEmpty();
      next = 0;
      state.ResumeTiming();
    }
    for (auto& view : views) view->Apply((*events)[next]);
    if (++next % 4096 == 0) {
      for (auto& view : views) {
        changes = ViewChanges();
        view->TakeChanges(&changes);
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// One view. Argument: the view's index in AllViews().
void BM_ProjectionApply(benchmark::State& state) {
  std::vector<std::unique_ptr<View>> all = AllViews();
  std::vector<std::unique_ptr<View>> one;
  one.push_back(all.at(static_cast<size_t>(state.range(0)))->NewEmpty());
  state.SetLabel(one.front()->name());
  ApplyThroughCases(state, std::move(one));
}
BENCHMARK(BM_ProjectionApply)->DenseRange(0, 3);

// All four views, as ledgerd's runner folds each event.
void BM_ProjectionApplyAllViews(benchmark::State& state) {
  ApplyThroughCases(state, AllViews());
}
BENCHMARK(BM_ProjectionApplyAllViews);

// `n` intakes of 0.8 n customers, in log order; built once per `n` (the
// benchmark function runs several times).
const std::vector<v1::Event>& Intakes(int n) {
  static auto* built = new std::map<int, std::vector<v1::Event>>();
  if (auto it = built->find(n); it != built->end()) return it->second;
  std::vector<v1::Event>& out = (*built)[n];
  absl::StatusOr<v1::ComplaintReceived> received =
      Unwrap<v1::ComplaintReceived>(Received());
  LEDGER_CHECK(received.ok(), "the benchmark's own case");
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrFormat("2026-%07d", i + 1);
    received->set_complaint_id(id);
    received->set_customer_ref(
        CustomerRef(absl::StrFormat("139%08d", i % (n / 5 * 4))));
    received->set_received_time_us(absl::ToUnixMicros(Start()) + i);
    v1::Event e = Received();
    e.set_stream_id(ComplaintStream(id));
    e.set_position(i + 1);
    received->SerializeToString(e.mutable_payload());
    out.push_back(std::move(e));
  }
  return out;
}

// Intakes into the customer index that repeat detection reads (every command
// that receives a complaint, and a restart, folds the whole log into it),
// state.range(1) at a time (CustomerIndex::ApplyAll; ExecuteBatch indexes a
// batch's appends at once), through state.range(0) intakes as the index
// grows; the time is per intake.
void BM_CustomerIndexApply(benchmark::State& state) {
  const std::vector<v1::Event>& events = Intakes(state.range(0));
  const size_t at_once = state.range(1);
  std::vector<const v1::Event*> group;
  auto index = std::make_unique<CustomerIndex>();
  size_t next = 0;
  for (auto _ : state) {
    if (next + at_once > events.size()) {
      state.PauseTiming();
      index = std::make_unique<CustomerIndex>();
      next = 0;
      state.ResumeTiming();
    }
    group.clear();
    for (size_t i = 0; i < at_once; ++i) group.push_back(&events[next++]);
    LEDGER_CHECK(index->ApplyAll(group).ok(), "the benchmark's own case");
  }
  state.SetItemsProcessed(state.iterations() * at_once);
}
BENCHMARK(BM_CustomerIndexApply)
    ->Args({100000, 1})
    ->Args({1000000, 1})
    ->Args({1000000, 100});

}  // namespace
}  // namespace ledger

BENCHMARK_MAIN();
