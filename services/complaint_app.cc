#include "services/complaint_app.h"

#include <deque>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/base/check.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

// A command raced with another on the same complaint this many times in a
// row: give up (ABORTED) rather than spin.
constexpr int kMaxAttempts = 8;

// Every event of a stream, oldest first; empty when it has none.
absl::StatusOr<std::vector<v1::Event>> ReadWholeStream(
    const EventStore& store, const std::string& stream_id) {
  std::vector<v1::Event> events;
  std::optional<uint64_t> from;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                     store.ReadStream(stream_id, from, ReadDirection::kForward,
                                      kMaxPageSize));
    if (page.empty()) break;
    from = page.back().revision() + 1;
    for (v1::Event& e : page) events.push_back(std::move(e));
  }
  return events;
}

// What makes two commands "the same" for idempotency: the command with its
// context reduced to the actor (the id, expected revision and correlation
// id of a retry may differ), serialized deterministically and hashed.
// `command` is left as it was; its context is set aside meanwhile, which
// spares a copy of the whole command.
template <typename Command>
std::string Fingerprint(Command& command, const std::string& actor) {
  v1::CommandContext given;
  given.Swap(command.mutable_context());
  command.mutable_context()->set_actor_agent_id(actor);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&coded);
  }
  command.mutable_context()->Swap(&given);
  Sha256 sha;
  sha.Update(bytes);
  return absl::StrCat(Command::descriptor()->full_name(), ":",
                      absl::BytesToHexString(sha.Finish()));
}

// The decided events as an append proposes them; their strings move.
std::vector<ProposedEvent> Propose(Decision decision,
                                   const v1::CommandContext& context) {
  std::vector<ProposedEvent> events;
  events.reserve(decision.size());
  for (v1::Event& e : decision) {
    ProposedEvent p;
    p.event_type = std::move(*e.mutable_event_type());
    p.payload = std::move(*e.mutable_payload());
    p.actor = std::move(*e.mutable_actor());
    p.correlation_id = context.correlation_id();
    events.push_back(std::move(p));
  }
  return events;
}

// "2026-000123" -> (2026, 123).
bool ParseComplaintNumber(const std::string& id, int64_t* year,
                          int64_t* number) {
  if (id.size() != 11 || id[4] != '-') return false;
  return absl::SimpleAtoi(id.substr(0, 4), year) &&
         absl::SimpleAtoi(id.substr(5), number);
}

}  // namespace

ComplaintApp::ComplaintApp(EventStore* store, ComplaintAppOptions options)
    : store_(*store),
      options_(std::move(options)),
      reference_(std::make_shared<const ReferenceData>()) {}

absl::StatusOr<std::unique_ptr<ComplaintApp>> ComplaintApp::Create(
    EventStore* store, ComplaintAppOptions options) {
  if (options.clock == nullptr) options.clock = std::make_shared<SystemClock>();
  std::unique_ptr<ComplaintApp> app(
      new ComplaintApp(store, std::move(options)));
  RETURN_IF_ERROR(app->Recover());
  return app;
}

absl::Status ComplaintApp::Recover() {
  auto reference = std::make_shared<ReferenceData>();
  for (const char* stream : kReferenceStreams) {
    ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                     ReadWholeStream(store_, stream));
    for (const v1::Event& e : events) RETURN_IF_ERROR(reference->Apply(e));
  }
  {
    absl::MutexLock lock(&reference_mu_);
    reference_ = reference;
  }
  absl::Status scanned = store_.ScanAll(
      1, std::numeric_limits<uint64_t>::max(), [this](const v1::Event& e) {
        if (Is<v1::ComplaintReceived>(e) || Is<v1::ComplaintClassified>(e)) {
          const v1::Event* event = &e;
          Index({&event, 1});
        }
        return true;
      });
  if (absl::IsDataLoss(scanned)) {
    // The server still starts, so that auditors can read and verify the
    // log up to the break; commands stay refused until it is repaired.
    broken_ = scanned;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(scanned);

  if (reference->calendar() != nullptr || !options_.publish_shipped_calendar) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::CalendarPublished shipped, BusinessCalendar::Shipped());
  AppendRequest request;
  request.stream_id = kCalendarStream;
  request.expected = ExpectedRevision::NoStream();
  request.command_id =
      absl::StrCat("ledgerd/shipped-calendar/", shipped.calendar_version());
  ProposedEvent event;
  event.event_type = EventTypeOf<v1::CalendarPublished>();
  event.payload = shipped.SerializeAsString();
  event.actor = kSystemActor;
  request.events.push_back(std::move(event));
  RETURN_IF_ERROR(store_.Append(std::move(request)).status());
  RETURN_IF_ERROR(reference->Apply(Wrap(shipped)));
  return absl::OkStatus();
}

absl::Status ComplaintApp::CheckWritable() const {
  if (broken_.ok()) return absl::OkStatus();
  absl::Status refused(
      broken_.code(),
      absl::StrCat("the log failed its checks when the server started, so "
                   "commands are refused until it is repaired: ",
                   broken_.message()));
  broken_.ForEachPayload(
      [&refused](absl::string_view url, const absl::Cord& p) {
        refused.SetPayload(url, p);
      });
  return refused;
}

std::shared_ptr<const ReferenceData> ComplaintApp::reference() const {
  absl::MutexLock lock(&reference_mu_);
  return reference_;
}

void ComplaintApp::Index(absl::Span<const v1::Event* const> events) {
  absl::MutexLock lock(&index_mu_);
  // A payload that does not parse was caught by the store's checks already;
  // the index only skips it.
  customers_.ApplyAll(events).IgnoreError();
  for (const v1::Event* event : events) {
    int64_t year = 0;
    int64_t number = 0;
    if (Is<v1::ComplaintReceived>(*event) &&
        ParseComplaintNumber(ComplaintIdOfStream(event->stream_id()), &year,
                             &number)) {
      int64_t& last = last_number_[year];
      last = std::max(last, number);
    }
  }
}

std::string ComplaintApp::NextComplaintId() {
  const absl::Time now = options_.clock->Now();
  std::shared_ptr<const ReferenceData> reference = this->reference();
  const absl::TimeZone zone = reference->calendar() != nullptr
                                  ? reference->calendar()->time_zone()
                                  : absl::UTCTimeZone();
  const int64_t year = absl::ToCivilYear(now, zone).year();
  absl::MutexLock lock(&index_mu_);
  // "%04d-%06d", without StrFormat's parse of its format on every intake.
  return absl::StrCat(absl::Dec(year, absl::kZeroPad4), "-",
                      absl::Dec(++last_number_[year], absl::kZeroPad6));
}

absl::StatusOr<v1::CommandResult> ComplaintApp::ResultOf(
    const AppendResult& earlier, bool complaint) const {
  ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                   ReadWholeStream(store_, earlier.stream_id));
  v1::CommandResult result;
  result.set_duplicate(true);
  v1::ComplaintState state;
  for (const v1::Event& e : events) {
    if (e.revision() > earlier.revision_last) break;
    if (complaint) RETURN_IF_ERROR(Apply(e, &state));
    if (e.revision() >= earlier.revision_first) *result.add_events() = e;
  }
  if (complaint) *result.mutable_state() = std::move(state);
  return result;
}

template <typename Command>
absl::StatusOr<ComplaintApp::Decided> ComplaintApp::DecideCommand(
    Command& command, const std::string& actor, const std::string& fingerprint,
    bool numbered_here) {
  const v1::CommandContext& given = command.context();
  for (int attempt = 1;; ++attempt) {
    const std::string& id = command.complaint_id();
    RETURN_IF_ERROR(CheckId("complaint_id", id));
    Decided decided;
    decided.stream = ComplaintStream(id);
    decided.request.stream_id = decided.stream;
    // A number this app has just handed out names no stream yet: no read.
    // (Should one exist after all, the append's NoStream check refuses it
    // and the command is numbered again, as when Decide finds it taken.)
    std::vector<v1::Event> events;
    if (!numbered_here) {
      ASSIGN_OR_RETURN(events, ReadWholeStream(store_, decided.stream));
    }
    ASSIGN_OR_RETURN(decided.state, Fold(events));
    decided.new_stream = events.empty();
    if (given.has_expected_revision() &&
        (events.empty() ||
         decided.state.revision() != given.expected_revision())) {
      return absl::AbortedError(absl::StrCat(
          "complaint ", id, " is ",
          events.empty()
              ? "not received"
              : absl::StrCat("at revision ", decided.state.revision()),
          "; the command expected revision ", given.expected_revision()));
    }

    std::shared_ptr<const ReferenceData> reference = this->reference();
    DecideContext context;
    context.now = options_.clock->Now();
    context.actor = actor;
    context.reference = reference.get();
    context.policy = &options_.policy;
    decided.customer = decided.state.customer_ref();
    if constexpr (std::is_same_v<Command, v1::ReceiveComplaint>) {
      absl::StatusOr<std::string> phone =
          NormalizePhone(command.customer().phone());
      if (phone.ok()) decided.customer = CustomerRef(*phone);
    }
    if (!decided.customer.empty()) {
      absl::MutexLock lock(&index_mu_);
      context.customer_history = customers_.History(decided.customer);
    }
    absl::StatusOr<Decision> decision = Decide(decided.state, command, context);
    if (numbered_here && absl::IsAlreadyExists(decision.status()) &&
        attempt < kMaxAttempts) {
      command.set_complaint_id(NextComplaintId());  // The number was taken.
      continue;
    }
    RETURN_IF_ERROR(decision.status());
    decided.request.expected =
        events.empty() ? ExpectedRevision::NoStream()
                       : ExpectedRevision::Exact(decided.state.revision());
    decided.request.command_id = given.command_id();
    decided.request.command_fingerprint = fingerprint;
    decided.request.events = Propose(*std::move(decision), given);
    decided.events = decided.request.events.size();
    return decided;
  }
}

absl::StatusOr<v1::CommandResult> ComplaintApp::Finish(Decided decided,
                                                       AppendResult appended,
                                                       bool with_state) {
  if (appended.duplicate) {
    // Read from the first append's stream: a retry that numbered its
    // complaint afresh decided on another.
    return ResultOf(appended, /*complaint=*/true);
  }
  std::vector<const v1::Event*> events;
  CollectForIndex(decided, appended, &events);
  Index(events);
  v1::CommandResult result;
  for (const v1::Event& e : appended.events) {
    if (with_state) RETURN_IF_ERROR(Apply(e, &decided.state));
    *result.add_events() = e;
  }
  if (with_state) *result.mutable_state() = std::move(decided.state);
  return result;
}

void ComplaintApp::CollectForIndex(const Decided& decided,
                                   const AppendResult& appended,
                                   std::vector<const v1::Event*>* events) {
  if (appended.duplicate) return;
  // The writer hands back what it wrote: no read.
  LEDGER_CHECK(appended.events.size() == decided.events,
               "an append writes every event it was given");
  for (const v1::Event& e : appended.events) events->push_back(&e);
}

template <typename Command>
absl::StatusOr<ComplaintApp::Admitted> ComplaintApp::Admit(
    Command& command, const std::string& actor) {
  RETURN_IF_ERROR(CheckWritable());
  Admitted admitted;
  admitted.fingerprint = Fingerprint(command, actor);
  // A retry (FindCommand finds nothing for an empty command id).
  ASSIGN_OR_RETURN(
      admitted.earlier,
      store_.FindCommand(command.context().command_id(), admitted.fingerprint));
  if (admitted.earlier.has_value()) return admitted;
  if constexpr (std::is_same_v<Command, v1::ReceiveComplaint>) {
    if (command.complaint_id().empty()) {
      command.set_complaint_id(NextComplaintId());
      admitted.numbered_here = true;
    }
  }
  return admitted;
}

template <typename Command>
absl::StatusOr<v1::CommandResult> ComplaintApp::RunComplaintCommand(
    Command command, const std::string& actor) {
  absl::Notification done;
  absl::StatusOr<v1::CommandResult> result;
  RunComplaintCommandAsync(std::move(command), actor,
                           [&](absl::StatusOr<v1::CommandResult> r) {
                             result = std::move(r);
                             done.Notify();
                           });
  done.WaitForNotification();
  return result;
}

template <typename Command>
void ComplaintApp::RunComplaintCommandAsync(Command command,
                                            const std::string& actor,
                                            CommandCallback done) {
  absl::StatusOr<Admitted> admitted = Admit(command, actor);
  if (!admitted.ok()) return done(admitted.status());
  if (admitted->earlier.has_value()) {
    return done(ResultOf(*admitted->earlier, /*complaint=*/true));
  }
  DecideAndAppend(std::make_shared<Attempt<Command>>(
      Attempt<Command>{std::move(command), actor, *std::move(admitted),
                       /*number=*/1, std::move(done)}));
}

template <typename Command>
void ComplaintApp::DecideAndAppend(std::shared_ptr<Attempt<Command>> attempt) {
  absl::StatusOr<Decided> decided = DecideCommand(
      attempt->command, attempt->actor, attempt->admitted.fingerprint,
      attempt->admitted.numbered_here);
  if (!decided.ok()) return attempt->done(decided.status());
  AppendRequest request = std::move(decided->request);
  store_.AppendAsync(
      std::move(request), [this, attempt, decided = *std::move(decided)](
                              absl::StatusOr<AppendResult> appended) mutable {
        if (absl::IsAborted(appended.status()) &&
            !attempt->command.context().has_expected_revision() &&
            attempt->number < kMaxAttempts) {
          // Another command got there first: decide again (on the writer's
          // thread; a race on one complaint is rare).
          if (attempt->admitted.numbered_here && decided.new_stream) {
            attempt->command.set_complaint_id(NextComplaintId());
          }
          ++attempt->number;
          return DecideAndAppend(std::move(attempt));
        }
        if (!appended.ok()) return attempt->done(appended.status());
        attempt->done(Finish(std::move(decided), *std::move(appended)));
      });
}

template <typename Command>
absl::StatusOr<v1::CommandResult> ComplaintApp::RunReferenceCommand(
    const Command& command, const std::string& actor) {
  RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock write_lock(&reference_write_mu_);
  const v1::CommandContext& given = command.context();
  Command copy = command;
  const std::string fingerprint = Fingerprint(copy, actor);
  // A retry (FindCommand finds nothing for an empty command id).
  ASSIGN_OR_RETURN(std::optional<AppendResult> earlier,
                   store_.FindCommand(given.command_id(), fingerprint));
  if (earlier.has_value()) return ResultOf(*earlier, /*complaint=*/false);
  std::shared_ptr<const ReferenceData> reference = this->reference();
  ASSIGN_OR_RETURN(ReferenceChange change,
                   DecideReference(*reference, actor, command));
  change.event.set_actor(actor);
  AppendRequest request;
  request.stream_id = change.stream_id;
  request.command_id = given.command_id();
  request.command_fingerprint = fingerprint;
  request.events = Propose({change.event}, given);
  ASSIGN_OR_RETURN(AppendResult appended, store_.Append(std::move(request)));
  if (appended.duplicate) {
    return ResultOf(appended, /*complaint=*/false);
  }
  auto next = std::make_shared<ReferenceData>(*reference);
  v1::CommandResult result;
  for (const v1::Event& e : appended.events) {
    RETURN_IF_ERROR(next->Apply(e));
    *result.add_events() = e;
  }
  absl::MutexLock lock(&reference_mu_);
  reference_ = std::move(next);
  return result;
}

namespace {

// Calls `f` with the command a BatchCommand holds; false when it holds none.
template <typename F>
bool VisitBatchCommand(const v1::BatchCommand& c, F&& f) {
  using C = v1::BatchCommand;
  switch (c.command_case()) {
    case C::kReceiveComplaint:
      f(c.receive_complaint());
      return true;
    case C::kAssignOwner:
      f(c.assign_owner());
      return true;
    case C::kHandOver:
      f(c.hand_over());
      return true;
    case C::kClassify:
      f(c.classify());
      return true;
    case C::kRaiseSeverity:
      f(c.raise_severity());
      return true;
    case C::kChooseTrack:
      f(c.choose_track());
      return true;
    case C::kRequestAssist:
      f(c.request_assist());
      return true;
    case C::kAnswerAssist:
      f(c.answer_assist());
      return true;
    case C::kChaseAssist:
      f(c.chase_assist());
      return true;
    case C::kEscalateToGm:
      f(c.escalate_to_gm());
      return true;
    case C::kRecordGmDecision:
      f(c.record_gm_decision());
      return true;
    case C::kReply:
      f(c.reply());
      return true;
    case C::kRecordRevisit:
      f(c.record_revisit());
      return true;
    case C::kWaiveRevisit:
      f(c.waive_revisit());
      return true;
    case C::kReopen:
      f(c.reopen());
      return true;
    case C::kCompletePaperwork:
      f(c.complete_paperwork());
      return true;
    case C::kSignOff:
      f(c.sign_off());
      return true;
    case C::COMMAND_NOT_SET:
      return false;
  }
  return false;
}

void SetStatus(const absl::Status& status, v1::BatchCommandResult* result) {
  result->set_code(static_cast<int32_t>(status.code()));
  result->set_message(std::string(status.message()));
}

// An appended command's batch result, without its events.
void SetAppended(const AppendResult& appended, v1::BatchCommandResult* result) {
  v1::Appended* a = result->mutable_appended();
  a->set_stream_id(appended.stream_id);
  a->set_position_first(appended.position_first);
  a->set_position_last(appended.position_last);
  a->set_revision_first(appended.revision_first);
  a->set_revision_last(appended.revision_last);
  a->set_duplicate(appended.duplicate);
}

// A command's batch result from its full result: where its events went,
// and with `with_events` the events (never the state; see ExecuteBatch).
void SetOutcome(absl::StatusOr<v1::CommandResult> outcome, bool with_events,
                v1::BatchCommandResult* result) {
  SetStatus(outcome.status(), result);
  if (!outcome.ok() || outcome->events().empty()) return;
  const v1::Event& first = outcome->events(0);
  const v1::Event& last = outcome->events(outcome->events_size() - 1);
  AppendResult appended;
  appended.stream_id = first.stream_id();
  appended.position_first = first.position();
  appended.position_last = last.position();
  appended.revision_first = first.revision();
  appended.revision_last = last.revision();
  appended.duplicate = outcome->duplicate();
  SetAppended(appended, result);
  if (with_events) {
    outcome->clear_state();
    *result->mutable_result() = *std::move(outcome);
  }
}

}  // namespace

absl::StatusOr<v1::BatchResult> ComplaintApp::ExecuteBatch(
    const v1::CommandBatch& batch,
    const std::function<std::string(const v1::CommandContext&)>& actor_of) {
  if (batch.commands().empty()) {
    return absl::InvalidArgumentError("the batch holds no commands");
  }
  if (static_cast<size_t>(batch.commands_size()) > kMaxBatchCommands) {
    return absl::InvalidArgumentError(
        absl::StrCat("the batch holds ", batch.commands_size(),
                     " commands; at most ", kMaxBatchCommands, " are taken"));
  }
  for (int i = 0; i < batch.commands_size(); ++i) {
    if (batch.commands(i).command_case() == v1::BatchCommand::COMMAND_NOT_SET) {
      return absl::InvalidArgumentError(absl::StrCat(
          "command ", i, " of the batch is empty (no command set)"));
    }
  }

  // Appends in flight, in batch order, and what they touch.
  struct InFlight {
    int index;
    Decided decided;
    bool expected_revision;
    // Who gave the command, to run it again on its own when it lost a race.
    std::string actor;
    absl::StatusOr<AppendResult> appended;
  };
  std::deque<InFlight> in_flight;
  // Views of strings in `batch` and `in_flight`, cleared with the latter.
  absl::flat_hash_set<absl::string_view> streams, customers, command_ids;
  // Where the writer's callbacks report; one pointer, so that a callback
  // fits in std::function without an allocation.
  struct Outstanding {
    absl::Mutex mu;
    size_t appends ABSL_GUARDED_BY(mu) = 0;
  } outstanding;
  // Decided and not yet queued for the writer: queued together when the
  // batch waits or ends.
  std::vector<EventStore::AsyncAppend> to_append;

  const bool with_events = batch.with_events();
  v1::BatchResult out;
  for (int i = 0; i < batch.commands_size(); ++i) out.add_results();
  auto wait_for_in_flight = [&] {
    {
      absl::MutexLock lock(&outstanding.mu);
      outstanding.appends += to_append.size();
    }
    store_.AppendAllAsync(std::exchange(to_append, {}));
    {
      absl::MutexLock lock(&outstanding.mu);
      outstanding.mu.Await(absl::Condition(
          +[](size_t* n) { return *n == 0; }, &outstanding.appends));
    }
    // The appends without events in their results, indexed at once.
    std::vector<const v1::Event*> to_index;
    for (InFlight& f : in_flight) {
      v1::BatchCommandResult* result = out.mutable_results(f.index);
      if (absl::IsAborted(f.appended.status()) && !f.expected_revision) {
        // From the command as given: a number it was given here may be the
        // one that was taken.
        VisitBatchCommand(batch.commands(f.index), [&](const auto& given) {
          SetOutcome(RunComplaintCommand(given, f.actor), with_events, result);
        });
      } else if (!f.appended.ok()) {
        SetStatus(f.appended.status(), result);
      } else if (with_events) {
        SetOutcome(Finish(std::move(f.decided), *std::move(f.appended),
                          /*with_state=*/false),
                   with_events, result);
      } else {
        CollectForIndex(f.decided, *f.appended, &to_index);
        SetAppended(*f.appended, result);
      }
    }
    Index(to_index);
    streams.clear();
    customers.clear();
    command_ids.clear();
    in_flight.clear();
  };

  for (int i = 0; i < batch.commands_size(); ++i) {
    VisitBatchCommand(batch.commands(i), [&](const auto& given) {
      using Command = std::decay_t<decltype(given)>;
      v1::BatchCommandResult* result = out.mutable_results(i);
      std::string actor = actor_of(given.context());
      const std::string& command_id = given.context().command_id();
      if ((!command_id.empty() && command_ids.contains(command_id)) ||
          (!given.complaint_id().empty() &&
           streams.contains(ComplaintStream(given.complaint_id())))) {
        wait_for_in_flight();
      }
      Command command = given;
      absl::StatusOr<Admitted> admitted = Admit(command, actor);
      if (!admitted.ok()) return SetStatus(admitted.status(), result);
      if (admitted->earlier.has_value()) {
        if (!with_events) return SetAppended(*admitted->earlier, result);
        return SetOutcome(ResultOf(*admitted->earlier, /*complaint=*/true),
                          with_events, result);
      }
      absl::StatusOr<Decided> decided = DecideCommand(
          command, actor, admitted->fingerprint, admitted->numbered_here);
      if (decided.ok() && customers.contains(decided->customer)) {
        // It read a history an earlier command is changing.
        wait_for_in_flight();
        decided = DecideCommand(command, actor, admitted->fingerprint,
                                admitted->numbered_here);
      }
      if (!decided.ok()) return SetStatus(decided.status(), result);

      AppendRequest request = std::move(decided->request);
      InFlight& f = in_flight.emplace_back(InFlight{
          i, *std::move(decided), given.context().has_expected_revision(),
          std::move(actor), absl::UnknownError("not appended")});
      streams.insert(f.decided.stream);
      if (!f.decided.customer.empty()) customers.insert(f.decided.customer);
      if (!command_id.empty()) command_ids.insert(command_id);
      to_append.push_back(EventStore::AsyncAppend{
          std::move(request),
          [&f, &outstanding](absl::StatusOr<AppendResult> appended) {
            absl::MutexLock lock(&outstanding.mu);
            f.appended = std::move(appended);
            --outstanding.appends;
          }});
    });
  }
  wait_for_in_flight();
  return out;
}

absl::StatusOr<v1::ComplaintView> ComplaintApp::Get(
    const std::string& complaint_id) const {
  RETURN_IF_ERROR(CheckId("complaint_id", complaint_id));
  ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                   ReadWholeStream(store_, ComplaintStream(complaint_id)));
  if (events.empty()) {
    return absl::NotFoundError(
        absl::StrCat("complaint ", complaint_id, " was never received"));
  }
  v1::ComplaintView view;
  ASSIGN_OR_RETURN(*view.mutable_state(), Fold(events));
  for (v1::Event& e : events) *view.add_timeline() = std::move(e);
  return view;
}

#define LEDGER_COMPLAINT_COMMAND(Type)                     \
  absl::StatusOr<v1::CommandResult> ComplaintApp::Execute( \
      const v1::Type& c, const std::string& actor) {       \
    return RunComplaintCommand(c, actor);                  \
  }
#define LEDGER_COMPLAINT_COMMAND_ASYNC(Type)                                   \
  void ComplaintApp::ExecuteAsync(const v1::Type& c, const std::string& actor, \
                                  CommandCallback done) {                      \
    RunComplaintCommandAsync(c, actor, std::move(done));                       \
  }
#define LEDGER_REFERENCE_COMMAND(Type)                     \
  absl::StatusOr<v1::CommandResult> ComplaintApp::Execute( \
      const v1::Type& c, const std::string& actor) {       \
    return RunReferenceCommand(c, actor);                  \
  }

LEDGER_COMPLAINT_COMMAND(ReceiveComplaint)
LEDGER_COMPLAINT_COMMAND_ASYNC(ReceiveComplaint)
LEDGER_COMPLAINT_COMMAND(AssignOwner)
LEDGER_COMPLAINT_COMMAND_ASYNC(AssignOwner)
LEDGER_COMPLAINT_COMMAND(HandOver)
LEDGER_COMPLAINT_COMMAND_ASYNC(HandOver)
LEDGER_COMPLAINT_COMMAND(Classify)
LEDGER_COMPLAINT_COMMAND_ASYNC(Classify)
LEDGER_COMPLAINT_COMMAND(RaiseSeverity)
LEDGER_COMPLAINT_COMMAND_ASYNC(RaiseSeverity)
LEDGER_COMPLAINT_COMMAND(ChooseTrack)
LEDGER_COMPLAINT_COMMAND_ASYNC(ChooseTrack)
LEDGER_COMPLAINT_COMMAND(RequestAssist)
LEDGER_COMPLAINT_COMMAND_ASYNC(RequestAssist)
LEDGER_COMPLAINT_COMMAND(AnswerAssist)
LEDGER_COMPLAINT_COMMAND_ASYNC(AnswerAssist)
LEDGER_COMPLAINT_COMMAND(ChaseAssist)
LEDGER_COMPLAINT_COMMAND_ASYNC(ChaseAssist)
LEDGER_COMPLAINT_COMMAND(EscalateToGm)
LEDGER_COMPLAINT_COMMAND_ASYNC(EscalateToGm)
LEDGER_COMPLAINT_COMMAND(RecordGmDecision)
LEDGER_COMPLAINT_COMMAND_ASYNC(RecordGmDecision)
LEDGER_COMPLAINT_COMMAND(Reply)
LEDGER_COMPLAINT_COMMAND_ASYNC(Reply)
LEDGER_COMPLAINT_COMMAND(RecordRevisit)
LEDGER_COMPLAINT_COMMAND_ASYNC(RecordRevisit)
LEDGER_COMPLAINT_COMMAND(WaiveRevisit)
LEDGER_COMPLAINT_COMMAND_ASYNC(WaiveRevisit)
LEDGER_COMPLAINT_COMMAND(Reopen)
LEDGER_COMPLAINT_COMMAND_ASYNC(Reopen)
LEDGER_COMPLAINT_COMMAND(CompletePaperwork)
LEDGER_COMPLAINT_COMMAND_ASYNC(CompletePaperwork)
LEDGER_COMPLAINT_COMMAND(SignOff)
LEDGER_COMPLAINT_COMMAND_ASYNC(SignOff)

LEDGER_REFERENCE_COMMAND(RegisterStation)
LEDGER_REFERENCE_COMMAND(RegisterDepartment)
LEDGER_REFERENCE_COMMAND(RegisterAgent)
LEDGER_REFERENCE_COMMAND(RecordStationVolume)
LEDGER_REFERENCE_COMMAND(PublishCalendar)
LEDGER_REFERENCE_COMMAND(PublishPenaltySchedule)
LEDGER_REFERENCE_COMMAND(DeclareSpecialPeriod)

#undef LEDGER_COMPLAINT_COMMAND
#undef LEDGER_COMPLAINT_COMMAND_ASYNC
#undef LEDGER_REFERENCE_COMMAND

}  // namespace ledger
