#include "tools/sim/vopr.h"

#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "app/complaint_app.h"
#include "ledger/base/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/builders.h"
#include "ledger/store/event_store.h"
#include "ledger/store/verify.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/commands.pb.h"
#include "projections/log_source.h"
#include "projections/queue_view.h"
#include "projections/runner.h"
#include "projections/station_view.h"
#include "projections/views.h"
#include "tools/sim/crash_fs.h"
#include "tools/sim/model.h"

namespace ledger::sim {

namespace {

constexpr int64_t kRepeatPenalty = 20000;     // 200.00 CNY
constexpr int64_t kMaliciousPenalty = 50000;  // 500.00 CNY
constexpr char kTimeZone[] = "Asia/Shanghai";
// Inside the shipped calendar (2025 and 2026), across a new year.
constexpr absl::CivilSecond kStart(2025, 3, 3, 9, 0, 0);
constexpr absl::CivilSecond kEnd(2026, 12, 10, 18, 0, 0);

// An accepted command kept for a retry, with where its events went.
struct Accepted {
  std::shared_ptr<google::protobuf::Message> command;
  std::string actor;
  uint64_t position_first = 0;
  uint64_t position_last = 0;
};

class Simulation {
 public:
  explicit Simulation(const VoprOptions& options)
      : options_(options),
        rng_(options.seed),
        model_({"h1", "h2", "a1", "a2", "a3", "a4", "a5", "a6"}, {"h1", "h2"},
               {"s1", "s2", "s3"}, kRepeatPenalty, kMaliciousPenalty,
               Zone()) {
    auto [fs, env] = CrashFileSystem::NewEnv();
    fs_ = fs;
    env_ = env;
    clock_ = std::make_shared<FakeClock>(absl::FromCivil(kStart, Zone()));
    const absl::Duration span =
        absl::FromCivil(kEnd, Zone()) - absl::FromCivil(kStart, Zone());
    // Half the span in steady steps, the rest in jumps.
    mean_step_ = span / std::max<int64_t>(1, options.steps) / 2;
    // About two intakes of each customer a month: repeats are common but
    // not the rule.
    customers_ = std::max<uint64_t>(100, options.steps / 100);
  }

  VoprResult Run(const std::function<void(const VoprStats&)>& progress) {
    absl::Status s = Open();
    if (s.ok()) s = Setup();
    const int64_t report_every = std::max<int64_t>(1, options_.steps / 100);
    for (step_ = 1; s.ok() && step_ <= options_.steps; ++step_) {
      s = Step();
      if (s.ok() && step_ % options_.check_every == 0) s = CheckViews();
      stats_.steps = step_;
      if (progress && step_ % report_every == 0) progress(Stats());
    }
    if (s.ok()) s = CheckViews();
    if (s.ok()) s = Crash();  // A last restart, and everything checked.
    VoprStats stats = Stats();
    Close();
    return VoprResult{stats, std::move(s)};
  }

 private:
  static absl::TimeZone Zone() {
    absl::TimeZone zone;
    absl::LoadTimeZone(kTimeZone, &zone);
    return zone;
  }

  VoprStats Stats() {
    stats_.complaints = static_cast<int64_t>(model_.ids().size());
    stats_.repeats_by_history = model_.repeats_by_history();
    stats_.repeats_by_revisits = model_.repeats_by_revisits();
    stats_.events = store_ ? store_->log_head().position_last : stats_.events;
    return stats_;
  }

  absl::Status Mismatch(const std::string& what) const {
    return absl::InternalError(absl::StrCat(
        "seed ", options_.seed, ", step ", step_, " (", options_.steps,
        " steps): ", what, "\n  replay: ledger_vopr --seed ", options_.seed,
        " --steps ", options_.steps, " --check_every ", options_.check_every,
        " --crash_every ", options_.crash_every, " --fault_every ",
        options_.fault_every));
  }

  // --- The ledger, opened and lost -------------------------------------

  absl::Status Open() {
    hub_ = std::make_unique<SubscriptionHub>(0);
    EventStoreOptions options;
    options.clock = clock_;
    options.env = env_;
    SubscriptionHub* hub = hub_.get();
    options.on_commit = [hub](const EventBatch& b) { hub->Publish(b); };
    auto store = EventStore::Open(options_.dir, options);
    if (!store.ok()) {
      return Mismatch(absl::StrCat("the store did not open: ",
                                   store.status().ToString()));
    }
    store_ = std::move(*store);
    if (!store_->damage().ok()) {
      return Mismatch(absl::StrCat("the store opened damaged: ",
                                   store_->damage().ToString()));
    }
    hub_->Reset(store_->log_head().position_last);
    ComplaintAppOptions app_options;
    app_options.clock = clock_;
    auto app = ComplaintApp::Create(store_.get(), app_options);
    if (!app.ok()) {
      return Mismatch(
          absl::StrCat("the app did not start: ", app.status().ToString()));
    }
    app_ = std::move(*app);
    runner_ = std::make_unique<ProjectionRunner>(
        &store_->views(), LocalLog(store_.get(), hub_.get()), AllViews());
    if (absl::Status s = runner_->Start(); !s.ok()) {
      return Mismatch(absl::StrCat("projections did not start: ", s.ToString()));
    }
    return absl::OkStatus();
  }

  void Close() {
    if (runner_) runner_->Stop();
    runner_.reset();
    app_.reset();
    if (hub_) hub_->Close();
    store_.reset();
    hub_.reset();
  }

  // The power goes; the files keep what was synced and maybe some of the
  // rest; the ledger starts again and must hold everything acknowledged.
  // Without `check`, the caller checks once it knows the outcome of the
  // command the crash cut short (it may be in the log, or not).
  absl::Status Crash(bool check = true) {
    ++stats_.crashes;
    fs_->PowerOff();
    Close();
    // What survives depends on which files RocksDB's background threads
    // had unsynced data in, which timing decides: drawn from a generator of
    // its own, so that the run's own stays the seed's.
    std::mt19937_64 torn(options_.seed * 0x9e3779b97f4a7c15ULL +
                         static_cast<uint64_t>(stats_.crashes));
    auto dropped = fs_->PowerOn(torn);
    if (!dropped.ok()) return Mismatch(dropped.status().ToString());
    stats_.bytes_dropped += *dropped;
    RETURN_IF_ERROR(Open());
    return check ? CheckAfterRestart() : absl::OkStatus();
  }

  absl::Status CheckAfterRestart() {
    const VerifyReport report = VerifyStore(*store_);
    if (!report.status.ok()) {
      return Mismatch(absl::StrCat("verify after the restart: ",
                                   report.status.ToString()));
    }
    if (report.position_last < acked_position_) {
      return Mismatch(absl::StrCat("the log ends at ", report.position_last,
                                   " after the restart; ", acked_position_,
                                   " was acknowledged"));
    }
    if (acked_position_ > 0) {
      auto page = store_->ReadAll(acked_position_, 1);
      if (!page.ok() || page->size() != 1 ||
          (*page)[0].hash() != acked_hash_) {
        return Mismatch(absl::StrCat(
            "acknowledged event ", acked_position_, " changed or is gone: ",
            page.ok() ? "" : page.status().ToString()));
      }
    }
    // A sample of complaints, whole.
    const auto& ids = model_.ids();
    for (int i = 0; i < 40 && !ids.empty(); ++i) {
      const std::string& id = ids[rng_() % ids.size()];
      auto view = app_->Get(id);
      if (!view.ok()) {
        return Mismatch(absl::StrCat("complaint ", id, " after the restart: ",
                                     view.status().ToString()));
      }
      if (std::string d = Model::Diff(*model_.Find(id), view->state());
          !d.empty()) {
        return Mismatch(absl::StrCat("complaint ", id,
                                     " after the restart: ", d));
      }
    }
    return CheckViews();
  }

  // --- Reference data ----------------------------------------------------

  absl::Status Setup() {
    auto run = [&](const google::protobuf::Message& m) -> absl::Status {
      auto r = app_->Execute(m, "h1");
      if (!r.ok()) return Mismatch(absl::StrCat("setup: ", r.status().ToString()));
      Acknowledge(*r);
      return absl::OkStatus();
    };
    // The first head registers itself and everyone else.
    RETURN_IF_ERROR(run(build::Agent("h1", {v1::ROLE_CENTRE_HEAD})));
    RETURN_IF_ERROR(run(build::Agent("h2", {v1::ROLE_CENTRE_HEAD})));
    for (int i = 1; i <= 6; ++i) {
      RETURN_IF_ERROR(run(build::Agent(absl::StrCat("a", i), {v1::ROLE_AGENT})));
    }
    for (int i = 1; i <= 3; ++i) {
      RETURN_IF_ERROR(run(build::Station(absl::StrCat("s", i))));
    }
    v1::PublishPenaltySchedule schedule;
    schedule.mutable_schedule()->mutable_effective_from()->set_year(2025);
    schedule.mutable_schedule()->mutable_effective_from()->set_month(1);
    for (auto [severity, amount] :
         {std::pair{v1::SEVERITY_REPEAT, kRepeatPenalty},
          std::pair{v1::SEVERITY_MALICIOUS, kMaliciousPenalty}}) {
      v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
      rate->set_severity(severity);
      rate->mutable_amount_per_complaint()->set_currency_code("CNY");
      rate->mutable_amount_per_complaint()->set_minor_units(amount);
    }
    return run(schedule);
  }

  // --- Steps ---------------------------------------------------------------

  absl::Status Step() {
    AdvanceClock();
    const uint64_t r = rng_();
    if (r % options_.crash_every == 0) return Crash();
    if ((r >> 20) % options_.fault_every == 0) return FaultThenRestart();
    if (!recent_.empty() && rng_() % 40 == 0) return Retry();
    Intent intent = NextIntent();
    return Execute(intent, /*fault=*/false);
  }

  void AdvanceClock() {
    const absl::Time end = absl::FromCivil(kEnd, Zone());
    absl::Duration d = mean_step_ * (2.0 * Uniform());
    if (rng_() % 500 == 0) {
      // A jump: an idle night, a weekend, a clock put right.
      ++stats_.clock_jumps;
      d = mean_step_ * (500.0 * Uniform());
    }
    absl::Time next = clock_->Now() + d;
    if (next > end) next = end;
    clock_->Set(next);
  }

  double Uniform() { return static_cast<double>(rng_() % 1000000) / 1e6; }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng_() % v.size()];
  }

  std::string Actor(const ModelComplaint* c) {
    static const std::vector<std::string> kAgents = {"a1", "a2", "a3",
                                                     "a4", "a5", "a6"};
    static const std::vector<std::string> kHeads = {"h1", "h2"};
    const uint64_t r = rng_() % 100;
    if (r < 3) return "x9";  // No agent of this ledger.
    if (c != nullptr && r < 63) return c->owner;
    if (r < 85) return Pick(kHeads);
    return Pick(kAgents);
  }

  void Classification(Intent& in) {
    const uint64_t r = rng_() % 100;
    if (r < 70) {
      in.info_kind = v1::INFO_KIND_COMPLAINT;
      // Now and then the category is left out: a bad field.
      in.category = rng_() % 50 == 0
                        ? v1::COMPLAINT_CATEGORY_UNSPECIFIED
                        : static_cast<v1::ComplaintCategory>(1 + rng_() % 4);
    } else {
      in.info_kind = r < 85 ? v1::INFO_KIND_INQUIRY : v1::INFO_KIND_REPAIR_REQUEST;
      in.category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
    }
    in.important = rng_() % 8 == 0;
  }

  Intent NextIntent() {
    Intent in;
    const auto& ids = model_.ids();
    if (ids.empty() || rng_() % 100 < 22) {
      in.kind = Intent::kReceive;
      in.actor = Actor(nullptr);
      // Few enough customers that they come back within the month.
      in.phone = absl::StrFormat("139%08d", rng_() % customers_);
      in.station = rng_() % 5 == 0 ? "" : absl::StrCat("s", 1 + rng_() % 3);
      in.classify = rng_() % 2 == 0;
      if (in.classify) Classification(in);
      return in;
    }
    // Mostly recent complaints, which are still moving.
    const ModelComplaint* c = nullptr;
    if (rng_() % 50 == 0) {
      in.complaint_id = absl::StrFormat("2024-%06d", 1 + rng_() % 999);
    } else {
      const size_t window = std::min<size_t>(ids.size(), 150);
      in.complaint_id = ids[ids.size() - 1 - rng_() % window];
      c = model_.Find(in.complaint_id);
    }
    in.actor = Actor(c);
    // Mostly the step the complaint's stage calls for.
    if (c != nullptr && rng_() % 10 < 7) {
      in.kind = Natural(*c);
    } else {
      in.kind = static_cast<Intent::Kind>(1 + rng_() % (Intent::kKinds - 1));
    }
    static const std::vector<std::string> kEveryone = {
        "h1", "h2", "a1", "a2", "a3", "a4", "a5", "a6"};
    switch (in.kind) {
      case Intent::kAssignOwner:
      case Intent::kHandOver:
        in.to_agent = Pick(kEveryone);
        break;
      case Intent::kClassify:
        Classification(in);
        break;
      case Intent::kRaiseSeverity:
        in.severity = rng_() % 3 == 0 ? v1::SEVERITY_MALICIOUS
                                      : v1::SEVERITY_REPEAT;
        break;
      case Intent::kChooseTrack:
        in.track = rng_() % 2 == 0 ? v1::HANDLING_TRACK_ON_THE_SPOT
                                   : v1::HANDLING_TRACK_INTERNAL_STUDY;
        break;
      case Intent::kRevisit:
        in.resolved = rng_() % 3 != 0;
        break;
      case Intent::kSignOff:
        in.record_complete = rng_() % 20 != 0;
        break;
      default:
        break;
    }
    return in;
  }

  // What the complaint's stage calls for next.
  Intent::Kind Natural(const ModelComplaint& c) {
    switch (c.stage) {
      case v1::STAGE_OPEN:
        if (!c.classified) return Intent::kClassify;
        if (!c.track_chosen) return Intent::kChooseTrack;
        return Intent::kReply;
      case v1::STAGE_REPLIED:
        return c.info_kind != v1::INFO_KIND_COMPLAINT && rng_() % 3 == 0
                   ? Intent::kWaiveRevisit
                   : Intent::kRevisit;
      case v1::STAGE_REVISITED:
        return Intent::kSignOff;
      default:
        return rng_() % 4 == 0 ? Intent::kReopen : Intent::kRaiseSeverity;
    }
  }

  // The ledger's command for an intent.
  std::shared_ptr<google::protobuf::Message> Build(const Intent& in) {
    const std::string command_id =
        absl::StrCat("sim-", options_.seed, "-", step_);
    auto with = [&](auto message) {
      message.mutable_context()->set_command_id(command_id);
      message.mutable_context()->set_actor_agent_id(in.actor);
      if constexpr (requires { message.set_complaint_id(""); }) {
        if (in.kind != Intent::kReceive) {
          message.set_complaint_id(in.complaint_id);
        }
      }
      return std::shared_ptr<google::protobuf::Message>(
          std::make_shared<decltype(message)>(std::move(message)));
    };
    auto classification = [&](v1::Classification* c) {
      c->set_kind(in.info_kind);
      c->set_category(in.category);
      c->set_importance(in.important ? v1::IMPORTANCE_IMPORTANT
                                     : v1::IMPORTANCE_GENERAL);
    };
    switch (in.kind) {
      case Intent::kReceive: {
        v1::ReceiveComplaint m = build::Intake("", in.phone, "simulated");
        m.set_station_id(in.station);
        if (in.classify) classification(m.mutable_classification());
        return with(std::move(m));
      }
      case Intent::kAssignOwner: {
        v1::AssignOwner m;
        m.set_owner_agent_id(in.to_agent);
        m.set_reason("simulated");
        return with(std::move(m));
      }
      case Intent::kHandOver: {
        v1::HandOver m;
        m.set_to_agent_id(in.to_agent);
        m.set_handover_note("simulated");
        return with(std::move(m));
      }
      case Intent::kClassify: {
        v1::Classify m;
        classification(m.mutable_classification());
        return with(std::move(m));
      }
      case Intent::kRaiseSeverity: {
        v1::RaiseSeverity m;
        m.set_severity(in.severity);
        m.set_reason("simulated");
        return with(std::move(m));
      }
      case Intent::kChooseTrack: {
        v1::ChooseTrack m;
        m.set_track(in.track);
        return with(std::move(m));
      }
      case Intent::kReply: {
        v1::Reply m;
        m.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
        m.set_reply("simulated");
        return with(std::move(m));
      }
      case Intent::kRevisit: {
        v1::RecordRevisit m;
        m.set_satisfaction(in.resolved ? v1::SATISFACTION_SATISFIED
                                       : v1::SATISFACTION_DISSATISFIED);
        m.set_resolved(in.resolved);
        return with(std::move(m));
      }
      case Intent::kWaiveRevisit: {
        v1::WaiveRevisit m;
        m.set_reason("simulated");
        return with(std::move(m));
      }
      case Intent::kReopen: {
        v1::Reopen m;
        m.set_reason("simulated");
        return with(std::move(m));
      }
      case Intent::kSignOff: {
        v1::SignOff m;
        m.set_record_complete(in.record_complete);
        return with(std::move(m));
      }
      default:
        return nullptr;
    }
  }

  std::string Describe(const Intent& in,
                       const google::protobuf::Message& m) const {
    return absl::StrCat(KindName(in.kind), " by ", in.actor, " {",
                        m.ShortDebugString(), "}");
  }

  void Acknowledge(const v1::CommandResult& r) {
    if (r.events().empty()) return;
    acked_position_ = r.events(r.events_size() - 1).position();
    acked_hash_ = r.events(r.events_size() - 1).hash();
  }

  // Runs `in` and compares; with `fault`, a disk fault cuts the append
  // short first, the ledger restarts, and the command is sent again.
  absl::Status Execute(const Intent& in, bool fault) {
    const absl::Time now = clock_->Now();
    const absl::StatusCode expected = model_.Predict(in, now);
    const std::string expected_id =
        in.kind == Intent::kReceive ? model_.NextId(now) : "";
    std::shared_ptr<google::protobuf::Message> command = Build(in);
    bool durable_before_ack = false;
    if (fault) {
      if (rng_() % 2 == 0) {
        fs_->FailNextWalSync();
      } else {
        fs_->FailNextWalAppend();
      }
      auto cut = app_->Execute(*command, in.actor);
      if (cut.ok()) {
        return Mismatch(absl::StrCat("acknowledged through a disk fault: ",
                                     Describe(in, *command)));
      }
      if (cut.status().code() != absl::StatusCode::kUnavailable) {
        return Mismatch(absl::StrCat("a disk fault gave ", cut.status().ToString(),
                                     ", not UNAVAILABLE: ",
                                     Describe(in, *command)));
      }
      // The store takes no append until it is started again; whether the
      // command is in the log is known after its retry, and checked then.
      RETURN_IF_ERROR(Crash(/*check=*/false));
      clock_->Set(now);  // The retry decides at the same time.
    }
    auto result = app_->Execute(*command, in.actor);
    if (result.status().code() != expected) {
      return Mismatch(absl::StrCat(
          Describe(in, *command), ": model ", absl::StatusCodeToString(expected),
          ", ledger ", result.status().ToString()));
    }
    if (!result.ok()) {
      ++stats_.refused;
      return fault ? CheckAfterRestart() : absl::OkStatus();
    }
    ++stats_.accepted;
    if (result->duplicate()) {
      if (!fault) {
        return Mismatch(absl::StrCat("a new command answered as a retry: ",
                                     Describe(in, *command)));
      }
      durable_before_ack = true;
      ++stats_.unacknowledged_but_durable;
    }
    if (result->events().empty()) {
      return Mismatch(absl::StrCat("accepted without events: ",
                                   Describe(in, *command)));
    }
    // Positions only ever grow: none is handed out twice.
    if (!durable_before_ack &&
        result->events(0).position() <= acked_position_) {
      return Mismatch(absl::StrCat("position ", result->events(0).position(),
                                   " handed out again (", acked_position_,
                                   " acknowledged): ", Describe(in, *command)));
    }
    if (result->events(result->events_size() - 1).position() >
        acked_position_) {
      Acknowledge(*result);
    }
    const ModelComplaint& c = model_.Apply(in, now);
    if (in.kind == Intent::kReceive &&
        result->state().complaint_id() != expected_id) {
      return Mismatch(absl::StrCat("intake numbered ",
                                   result->state().complaint_id(), ", model ",
                                   expected_id, ": ", Describe(in, *command)));
    }
    if (std::string d = Model::Diff(c, result->state()); !d.empty()) {
      return Mismatch(absl::StrCat(d, ": after ", Describe(in, *command),
                                   "\n  ", model_.CustomerHistory(c.phone)));
    }
    recent_.push_back(Accepted{command, in.actor, result->events(0).position(),
                               result->events(result->events_size() - 1)
                                   .position()});
    if (recent_.size() > 256) recent_.pop_front();
    return fault ? CheckAfterRestart() : absl::OkStatus();
  }

  absl::Status FaultThenRestart() {
    // Only a command that will append: a refused one never reaches the
    // disk.
    for (int tries = 0; tries < 20; ++tries) {
      Intent in = NextIntent();
      if (model_.Predict(in, clock_->Now()) != absl::StatusCode::kOk) continue;
      ++stats_.faults;
      return Execute(in, /*fault=*/true);
    }
    return absl::OkStatus();
  }

  // An accepted command sent again: the original result, nothing new.
  absl::Status Retry() {
    ++stats_.retries;
    const Accepted& a = recent_[rng_() % recent_.size()];
    auto result = app_->Execute(*a.command, a.actor);
    if (!result.ok() || !result->duplicate() || result->events().empty() ||
        result->events(0).position() != a.position_first ||
        result->events(result->events_size() - 1).position() !=
            a.position_last) {
      return Mismatch(absl::StrCat(
          "a retry of {", a.command->ShortDebugString(), "} (events ",
          a.position_first, "..", a.position_last, ") got ",
          result.ok() ? result->ShortDebugString().substr(0, 300)
                      : result.status().ToString()));
    }
    return absl::OkStatus();
  }

  // --- The views -----------------------------------------------------------

  absl::Status CheckViews() {
    ++stats_.view_checks;
    const uint64_t head = store_->log_head().position_last;
    if (!runner_->WaitFor(head, absl::Minutes(5))) {
      return Mismatch(absl::StrCat("the projections did not reach ", head));
    }
    const Model::Queues expected = model_.ListQueues();
    // A queue's complaints, page by page.
    auto list = [&](v1::QueueKind kind, const std::string& owner)
        -> absl::StatusOr<std::set<std::string>> {
      v1::GetQueueRequest request;
      request.set_kind(kind);
      request.set_owner_agent_id(owner);
      request.set_page_size(1000);
      std::set<std::string> ids;
      do {
        RETURN_IF_ERROR(runner_->Read(
            QueueView::kName, [&](const View& view, uint64_t) -> absl::Status {
              auto r = static_cast<const QueueView&>(view).Query(
                  request, absl::ToUnixMicros(clock_->Now()));
              if (!r.ok()) return r.status();
              for (const v1::QueueItem& item : r->items()) {
                ids.insert(item.complaint_id());
              }
              request.set_page_token(r->next_page_token());
              return absl::OkStatus();
            }));
      } while (!request.page_token().empty());
      return ids;
    };
    auto compare = [&](const char* queue, v1::QueueKind kind,
                       const std::string& owner,
                       const std::set<std::string>& want) -> absl::Status {
      auto got = list(kind, owner);
      if (!got.ok()) {
        return Mismatch(absl::StrCat("queue ", queue, ": ",
                                     got.status().ToString()));
      }
      if (*got == want) return absl::OkStatus();
      std::string only_model, only_ledger;
      for (const std::string& id : want) {
        if (!got->contains(id)) absl::StrAppend(&only_model, " ", id);
      }
      for (const std::string& id : *got) {
        if (!want.contains(id)) absl::StrAppend(&only_ledger, " ", id);
      }
      return Mismatch(absl::StrCat("queue ", queue, owner.empty() ? "" : " of ",
                                   owner, ": only in the model:", only_model,
                                   "; only in the ledger:", only_ledger));
    };
    for (const char* agent : {"h1", "h2", "a1", "a2", "a3", "a4", "a5", "a6"}) {
      auto it = expected.open_by_owner.find(agent);
      RETURN_IF_ERROR(compare("open by owner", v1::QUEUE_KIND_OPEN_BY_OWNER,
                              agent,
                              it == expected.open_by_owner.end()
                                  ? std::set<std::string>()
                                  : it->second));
    }
    RETURN_IF_ERROR(compare("revisits due", v1::QUEUE_KIND_REVISITS_DUE, "",
                            expected.revisits_due));
    RETURN_IF_ERROR(compare("sign-offs waiting",
                            v1::QUEUE_KIND_SIGN_OFFS_WAITING, "",
                            expected.sign_offs_waiting));
    RETURN_IF_ERROR(compare("important", v1::QUEUE_KIND_IMPORTANT, "",
                            expected.important));

    // This month's station table and last month's.
    const absl::CivilMonth month(
        absl::ToCivilSecond(clock_->Now(), Zone()));
    for (absl::CivilMonth m : {month, month - 1}) {
      v1::YearMonth ym;
      ym.set_year(static_cast<int32_t>(m.year()));
      ym.set_month(m.month());
      std::optional<v1::GetStationTableResponse> table;
      absl::Status s = runner_->Read(
          StationView::kName, [&](const View& view, uint64_t) -> absl::Status {
            auto r = static_cast<const StationView&>(view).Table(ym);
            if (!r.ok()) return r.status();
            table = *std::move(r);
            return absl::OkStatus();
          });
      if (!s.ok()) return Mismatch(absl::StrCat("station table: ", s.ToString()));
      const auto want = model_.StationMonth(m);
      std::map<std::string, ModelStationMonth> got;
      for (const v1::StationMonth& row : table->stations()) {
        got[row.station_id()] = ModelStationMonth{
            row.complaints(), row.repeat(), row.malicious(),
            row.penalty_charged().minor_units()};
      }
      for (const auto& [station, w] : want) {
        const ModelStationMonth& g = got[station];
        if (g.complaints != w.complaints || g.repeat != w.repeat ||
            g.malicious != w.malicious ||
            g.penalty_minor_units != w.penalty_minor_units) {
          return Mismatch(absl::StrFormat(
              "station %s in %d-%02d: model %d complaints, %d repeat, %d "
              "malicious, penalty %d; ledger %d, %d, %d, %d",
              station, m.year(), m.month(), w.complaints, w.repeat,
              w.malicious, w.penalty_minor_units, g.complaints, g.repeat,
              g.malicious, g.penalty_minor_units));
        }
      }
    }
    return absl::OkStatus();
  }

  const VoprOptions options_;
  std::mt19937_64 rng_;
  Model model_;
  std::shared_ptr<CrashFileSystem> fs_;
  std::shared_ptr<rocksdb::Env> env_;
  std::shared_ptr<FakeClock> clock_;
  absl::Duration mean_step_;
  // Phones drawn from; fewer than cases, so customers come back.
  uint64_t customers_ = 100;

  std::unique_ptr<SubscriptionHub> hub_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintApp> app_;
  std::unique_ptr<ProjectionRunner> runner_;

  int64_t step_ = 0;
  VoprStats stats_;
  uint64_t acked_position_ = 0;
  std::string acked_hash_;
  std::deque<Accepted> recent_;
};

}  // namespace

VoprResult RunVopr(const VoprOptions& options,
                   const std::function<void(const VoprStats&)>& progress) {
  Simulation sim(options);
  return sim.Run(progress);
}

std::string ToString(const VoprStats& s) {
  return absl::StrFormat(
      "%d steps: %d accepted, %d refused as predicted, %d retries, %d power "
      "losses (%d bytes unsynced dropped), %d disk faults (%d of their "
      "commands durable though unacknowledged), %d clock jumps, %d view "
      "checks; %d complaints (%d repeats by history, %d by failed "
      "revisits), %d events",
      s.steps, s.accepted, s.refused, s.retries, s.crashes, s.bytes_dropped,
      s.faults, s.unacknowledged_but_durable, s.clock_jumps, s.view_checks,
      s.complaints, s.repeats_by_history, s.repeats_by_revisits, s.events);
}

}  // namespace ledger::sim
