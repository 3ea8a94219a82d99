#include "app/complaint_app.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "app/complaint_numbers.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/base/check.h"
#include "ledger/base/log.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
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
    const bool last = page.size() < kMaxPageSize;
    if (page.empty()) break;
    from = page.back().revision() + 1;
    for (v1::Event& e : page) events.push_back(std::move(e));
    if (last) break;  // A short page ends the stream: no read to find that.
  }
  return events;
}

// What makes two commands "the same" for idempotency: the command with its
// context reduced to the actor (the id, expected revision and correlation
// id of a retry may differ), serialized deterministically and hashed.
// `command` is left as it was; its context is set aside meanwhile, which
// spares a copy of the whole command.
std::string Fingerprint(google::protobuf::Message& command,
                        const internal::CommandOps& ops,
                        const std::string& actor,
                        const PersonalData* personal) {
  v1::CommandContext given;
  v1::CommandContext* context = ops.mutable_context(command);
  given.Swap(context);
  context->set_actor_agent_id(actor);
  // A sealing ledger keeps no hash of a customer's contact that anyone
  // could test a guess against: the contact is stood in for by a keyed
  // hash of it (restored below).
  v1::CustomerContact contact;
  auto* intake =
      google::protobuf::DynamicCastToGenerated<v1::ReceiveComplaint>(&command);
  const bool keyed =
      personal != nullptr && intake != nullptr && intake->has_customer();
  if (keyed) {
    contact.Swap(intake->mutable_customer());
    intake->mutable_customer()->set_name(personal->CustomerRef(
        absl::StrCat("contact:", contact.SerializeAsString())));
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&coded);
  }
  context->Swap(&given);
  if (keyed) contact.Swap(intake->mutable_customer());
  Sha256 sha;
  sha.Update(bytes);
  return absl::StrCat(ops.descriptor->full_name(), ":",
                      absl::BytesToHexString(sha.Finish()));
}

// INVALID_ARGUMENT: `command` is no command of the registry.
absl::Status NotACommand(const google::protobuf::Message& command) {
  return absl::InvalidArgumentError(
      absl::StrCat(command.GetDescriptor()->full_name(),
                   " is not a command of the ledger (app/commands.h)"));
}

// The decided events as an append proposes them; their strings move.
template <typename Events>
std::vector<ProposedEvent> Propose(Events& decided,
                                   const v1::CommandContext& context) {
  std::vector<ProposedEvent> events;
  events.reserve(decided.size());
  for (v1::Event& e : decided) {
    ProposedEvent p;
    p.event_type = std::move(*e.mutable_event_type());
    p.payload = std::move(*e.mutable_payload());
    p.actor = std::move(*e.mutable_actor());
    p.correlation_id = context.correlation_id();
    events.push_back(std::move(p));
  }
  return events;
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

ComplaintApp::~ComplaintApp() { Close(); }

void ComplaintApp::Close() {
  closing_.store(true);
  if (log_checker_.joinable()) log_checker_.join();
  if (state_ != nullptr) state_->Close();
}

void ComplaintApp::CheckLog(uint64_t first, uint64_t last) {
  absl::Status checked;
  // In slices, so that Close need not wait for a whole log.
  constexpr uint64_t kSlice = 1 << 16;
  for (uint64_t from = first; from <= last && checked.ok();) {
    if (closing_.load()) {
      checked = absl::CancelledError(
          absl::StrCat("the check of the log stopped at position ", from,
                       " as the ledger closed"));
      break;
    }
    const uint64_t n = std::min(kSlice, last - from + 1);
    checked = store_.ScanAll(from, n, [](const v1::Event&) { return true; });
    from += n;
  }
  absl::MutexLock lock(&broken_mu_);
  // The scan marked the store damaged too (EventStore::damage).
  if (absl::IsDataLoss(checked) && broken_.ok()) broken_ = checked;
  log_check_ = checked;
  log_checked_ = true;
}

absl::Status ComplaintApp::WaitForLogCheck() const {
  absl::MutexLock lock(&broken_mu_);
  broken_mu_.Await(absl::Condition(&log_checked_));
  return broken_.ok() ? log_check_ : broken_;
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
  // A damaged store refuses commands (CheckWritable): no state to decide
  // them on, and nothing more to check.
  uint64_t unchecked = 0;
  if (store_.damage().ok()) {
    ASSIGN_OR_RETURN(state_, AppState::Open(&store_, options_.app_state));
    start_.events_folded = state_->at_open().events_folded;
    start_.state_rebuilt_because = state_->at_open().rebuilt_because;
    // The fold checked the events it read; those below its checkpoint were
    // checked when they were folded, and are again now.
    unchecked = state_->at_open().checkpoint;
    {
      absl::MutexLock lock(&index_mu_);
      numbers_ = state_->numbers_at_open();
    }
    absl::MutexLock lock(&broken_mu_);
    broken_ = state_->broken();
  }
  // An erasure recorded whose key outlived it (a crash between the two, a
  // failed compaction): destroyed now, before anyone reads.
  if (PersonalData* personal = options_.personal_data.get();
      personal != nullptr && state_ != nullptr) {
    for (const std::string& key_id : state_->erased_at_open()) {
      // Exactly the key the erasure named: a customer who came back since
      // has a key of a later generation, which stays. (Nothing to do for
      // one this node destroyed already.) Should the other nodes' copy not
      // be reachable now, the next start tries again.
      if (absl::Status erased = personal->EraseKey(key_id); !erased.ok()) {
        if (!absl::IsUnavailable(erased)) return erased;
        LogWarn(absl::StrFormat(
            "ComplaintApp: the erasure of data key %s is not finished (tried "
            "again at the next start): %s",
            key_id, erased.ToString()));
      }
    }
  }
  if (unchecked == 0 || !store_.damage().ok()) {
    absl::MutexLock lock(&broken_mu_);
    log_checked_ = true;
  } else if (options_.log_check ==
             ComplaintAppOptions::LogCheck::kInBackground) {
    log_checker_ = std::thread([this, unchecked] {
      NameThisThread("ledger-logcheck");
      CheckLog(1, unchecked);
    });
  } else {
    CheckLog(1, unchecked);
  }
  if (absl::MutexLock lock(&broken_mu_); !broken_.ok()) {
    // The server still starts, so that auditors can read and verify the
    // log up to the break; commands stay refused until it is repaired.
    return absl::OkStatus();
  }

  if (reference->calendar() != nullptr || !options_.publish_shipped_calendar ||
      !store_.damage().ok()) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::CalendarPublished shipped, AppendShippedCalendar());
  RETURN_IF_ERROR(reference->Apply(Wrap(shipped)));
  return absl::OkStatus();
}

absl::StatusOr<v1::CalendarPublished> ComplaintApp::AppendShippedCalendar() {
  v1::CalendarPublished shipped;
  if (options_.initial_calendar.has_value()) {
    shipped = *options_.initial_calendar;
  } else {
    ASSIGN_OR_RETURN(shipped, BusinessCalendar::Shipped());
  }
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
  return shipped;
}

absl::Status ComplaintApp::PublishShippedCalendar() {
  // As a reference command: no other one between its append and the swap.
  absl::MutexLock write_lock(&reference_write_mu_);
  if (reference()->calendar() != nullptr || !store_.damage().ok()) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::CalendarPublished shipped, AppendShippedCalendar());
  // Into the reference data where other nodes' events are folded, after
  // them.
  absl::Status applied;
  absl::Notification done;
  retries_.Schedule([&] {
    auto next = std::make_shared<ReferenceData>(*reference());
    applied = next->Apply(Wrap(shipped));
    if (applied.ok()) {
      absl::MutexLock lock(&reference_mu_);
      reference_ = std::move(next);
    }
    done.Notify();
  });
  done.WaitForNotification();
  return applied;
}

absl::Status ComplaintApp::AwaitFollowed(absl::Duration timeout) {
  auto done = std::make_shared<absl::Notification>();
  retries_.Schedule([done] { done->Notify(); });
  if (!done->WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("other nodes' events were not folded within ",
                     absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

absl::Status ComplaintApp::CheckWritable() const {
  if (absl::Status damage = store_.damage(); !damage.ok()) {
    return absl::Status(
        damage.code(),
        absl::StrCat("commands are refused until the log is repaired "
                     "(ledger/FORMAT.md, \"A damaged log\"): ",
                     damage.message()));
  }
  absl::Status broken;
  {
    absl::MutexLock lock(&broken_mu_);
    broken = broken_;
  }
  if (broken.ok()) return absl::OkStatus();
  absl::Status refused(
      broken.code(),
      absl::StrCat("the log failed its checks when the server started, so "
                   "commands are refused until it is repaired: ",
                   broken.message()));
  broken.ForEachPayload([&refused](absl::string_view url, const absl::Cord& p) {
    refused.SetPayload(url, p);
  });
  return refused;
}

void ComplaintApp::Follow(CommittedEvents events) {
  retries_.Schedule([this, events = std::move(events)] {
    std::vector<const v1::Event*> all;
    all.reserve(events->size());
    std::shared_ptr<ReferenceData> next;
    for (const v1::Event& e : *events) {
      all.push_back(&e);
      if (!IsReferenceStream(e.stream_id())) continue;
      if (next == nullptr) next = std::make_shared<ReferenceData>(*reference());
      if (absl::Status s = next->Apply(e); !s.ok()) {
        LogWarn(absl::StrFormat(
            "ComplaintApp: a reference event of another node at position %d: "
            "%s",
            e.position(), s.ToString()));
      }
    }
    Index(all);
    EraseFollowed(*events);
    if (next != nullptr) {
      absl::MutexLock lock(&reference_mu_);
      reference_ = std::move(next);
    }
  });
}

void ComplaintApp::EraseFollowed(const std::vector<v1::Event>& events) {
  PersonalData* personal = options_.personal_data.get();
  if (personal == nullptr) return;
  for (const v1::Event& e : events) {
    if (!Is<v1::CustomerDataErased>(e)) continue;
    v1::CustomerDataErased erased;
    if (!erased.ParseFromString(e.payload()) || erased.key_id().empty()) {
      continue;
    }
    // The node that appended it destroyed the key everywhere, unless it
    // stopped first: this node's copy, and the replica's once more.
    if (absl::Status s = personal->EraseKey(erased.key_id()); !s.ok()) {
      LogWarn(absl::StrFormat(
          "ComplaintApp: the data key %s erased at position %d is not yet "
          "destroyed on this node (tried again at its next start): %s",
          erased.key_id(), e.position(), s.ToString()));
    }
  }
}

std::shared_ptr<const ReferenceData> ComplaintApp::reference() const {
  absl::MutexLock lock(&reference_mu_);
  return reference_;
}

void ComplaintApp::Index(absl::Span<const DecodedEvent> events) {
  if (state_ != nullptr) state_->Index(events);
  absl::MutexLock lock(&index_mu_);
  for (const DecodedEvent& event : events) {
    int64_t year = 0;
    int64_t number = 0;
    if (event.As<v1::ComplaintReceived>() != nullptr &&
        ParseComplaintNumber(ComplaintIdView(event.event().stream_id()), &year,
                             &number)) {
      YearNumbers& numbers = numbers_[year];
      numbers.last = std::max(numbers.last, number);
      numbers.Taken(number);
    }
  }
}

void ComplaintApp::Index(absl::Span<const v1::Event* const> events) {
  std::vector<DecodedEvent> decoded;
  decoded.reserve(events.size());
  for (const v1::Event* event : events) {
    absl::StatusOr<DecodedEvent> d = DecodedEvent::Decode(*event);
    if (d.ok()) decoded.push_back(*std::move(d));
  }
  Index(decoded);
}

int64_t ComplaintApp::CurrentYear() const {
  const absl::Time now = options_.clock->Now();
  std::shared_ptr<const ReferenceData> reference = this->reference();
  const absl::TimeZone zone = reference->calendar() != nullptr
                                  ? reference->calendar()->time_zone()
                                  : absl::UTCTimeZone();
  return absl::ToCivilYear(now, zone).year();
}

std::string ComplaintApp::NextComplaintId() {
  const int64_t year = CurrentYear();
  absl::MutexLock lock(&index_mu_);
  const int64_t number = numbers_[year].Take();
  // "%04d-%06d", without StrFormat's parse of its format on every intake.
  return absl::StrCat(absl::Dec(year, absl::kZeroPad4), "-",
                      absl::Dec(number, absl::kZeroPad6));
}

void ComplaintApp::ReleaseComplaintId(const std::string& complaint_id) {
  int64_t year = 0;
  int64_t number = 0;
  if (!ParseComplaintNumber(complaint_id, &year, &number)) return;
  absl::MutexLock lock(&index_mu_);
  YearNumbers& numbers = numbers_[year];
  if (number <= numbers.last) numbers.Free(number, number);
}

std::string ComplaintApp::NumbersNote(absl::string_view stream) const {
  int64_t year = 0;
  int64_t number = 0;
  if (!ParseComplaintNumber(ComplaintIdView(stream), &year, &number)) {
    return "";
  }
  absl::MutexLock lock(&index_mu_);
  auto numbers = numbers_.find(year);
  if (numbers == numbers_.end()) return "none";
  const YearNumbers& n = numbers->second;
  return absl::StrCat("last ", n.last, ", ", n.free.size(), " free runs",
                      n.free.empty()
                          ? std::string()
                          : absl::StrCat(" from ", n.free.begin()->first));
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

absl::StatusOr<ComplaintApp::Decided> ComplaintApp::DecideCommand(
    google::protobuf::Message& command, const internal::CommandOps& ops,
    const std::string& actor, const std::string& fingerprint,
    bool numbered_here) {
  const v1::CommandContext& given = ops.context(command);
  for (int attempt = 1;; ++attempt) {
    const std::string& id = ops.complaint_id(command);
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
    decided.numbered_here = numbered_here;
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
    // Only an intake and a classification look for repeats in the
    // customer's history; no other command reads it.
    if (ops.descriptor == v1::Classify::descriptor()) {
      decided.customer = decided.state.customer_ref();
    }
    if (const auto* intake =
            google::protobuf::DynamicCastToGenerated<v1::ReceiveComplaint>(
                &command)) {
      absl::StatusOr<std::string> contact =
          ContactKey(intake->channel(), intake->customer());
      if (contact.ok()) {
        decided.customer = CustomerRefOf(*contact);
        context.customer_ref = decided.customer;
      }
    }
    if (!decided.customer.empty() && state_ != nullptr) {
      ASSIGN_OR_RETURN(context.customer_history,
                       state_->History(decided.customer));
    }
    absl::StatusOr<Decision> decision =
        ops.decide(decided.state, command, context);
    if (numbered_here && absl::IsAlreadyExists(decision.status()) &&
        attempt < kMaxAttempts) {
      // The number was taken.
      ops.set_complaint_id(command, NextComplaintId());
      continue;
    }
    RETURN_IF_ERROR(decision.status());
    RETURN_IF_ERROR(SealPersonalData(*decision, &decided));
    decided.request.expected =
        events.empty() ? ExpectedRevision::NoStream()
                       : ExpectedRevision::Exact(decided.state.revision());
    decided.request.command_id = given.command_id();
    decided.request.command_fingerprint = fingerprint;
    decided.payloads = std::move(decision->payloads());
    decided.request.events = Propose(*decision, given);
    decided.events = decided.request.events.size();
    return decided;
  }
}

absl::Status ComplaintApp::SealPersonalData(Decision& decision,
                                            Decided* decided) {
  PersonalData* personal = options_.personal_data.get();
  for (size_t i = 0; i < decision.size(); ++i) {
    EventPayload& payload = decision.payloads()[i];
    if (auto* erased = std::get_if<v1::CustomerDataErased>(&payload)) {
      if (personal == nullptr) {
        return absl::FailedPreconditionError(
            "this ledger keeps personal data in clear (ledgerd without "
            "--key_file): there is no key to destroy");
      }
      ASSIGN_OR_RETURN(
          bool has_key,
          personal->HasKey(personal->CurrentKeyId(erased->customer_ref())));
      if (!has_key) {
        return absl::FailedPreconditionError(absl::StrCat(
            "customer ", erased->customer_ref(),
            " has no data key: their personal data is already erased (by "
            "another of their complaints), or was recorded in clear before "
            "this ledger sealed it"));
      }
      erased->set_key_id(personal->CurrentKeyId(erased->customer_ref()));
      erased->SerializeToString(decision[i].mutable_payload());
      decided->erases = erased->customer_ref();
    }
    auto* received = std::get_if<v1::ComplaintReceived>(&payload);
    if (personal == nullptr || received == nullptr ||
        !received->has_customer()) {
      continue;
    }
    ASSIGN_OR_RETURN(
        v1::SealedPersonalData sealed,
        personal->Seal(received->customer_ref(), received->customer()));
    *received->mutable_sealed_customer() = std::move(sealed);
    // The envelope's bytes again, now holding only the ciphertext.
    received->SerializeToString(decision[i].mutable_payload());
  }
  return absl::OkStatus();
}

absl::Status ComplaintApp::DestroyErasedKey(const Decided& decided,
                                            const AppendResult& appended) {
  if (decided.erases.empty() || appended.duplicate) return absl::OkStatus();
  absl::Status erased = options_.personal_data->Erase(decided.erases);
  if (erased.ok()) return erased;
  return absl::UnavailableError(
      absl::StrCat("the erasure is recorded but the key of customer ",
                   decided.erases, " is not yet destroyed (", erased.message(),
                   "); ledgerd destroys it at its next start"));
}

absl::StatusOr<v1::CommandResult> ComplaintApp::Finish(Decided decided,
                                                       AppendResult appended,
                                                       bool with_state) {
  if (appended.duplicate) {
    // Read from the first append's stream: a retry that numbered its
    // complaint afresh decided on another.
    return ResultOf(appended, /*complaint=*/true);
  }
  // The writer hands back what it wrote, and the payloads are those the
  // command decided: nothing to read or parse.
  std::vector<DecodedEvent> events;
  CollectDecoded(decided, appended, &events);
  Index(events);
  v1::CommandResult result;
  for (const DecodedEvent& e : events) {
    if (with_state) RETURN_IF_ERROR(Apply(e, &decided.state));
    *result.add_events() = e.event();
  }
  if (with_state) *result.mutable_state() = std::move(decided.state);
  return result;
}

void ComplaintApp::CollectDecoded(const Decided& decided,
                                  const AppendResult& appended,
                                  std::vector<DecodedEvent>* events) {
  if (appended.duplicate) return;
  LEDGER_CHECK(appended.events.size() == decided.events &&
                   decided.payloads.size() == decided.events,
               "an append writes every event it was given");
  for (size_t i = 0; i < appended.events.size(); ++i) {
    events->emplace_back(appended.events[i], decided.payloads[i]);
  }
}

absl::StatusOr<v1::CommandResult> ComplaintApp::RefusedOrEarlier(
    const absl::Status& refused, const google::protobuf::Message& command,
    const internal::CommandOps& ops, const std::string& fingerprint) {
  const std::string& command_id = ops.context(command).command_id();
  if (command_id.empty() || absl::IsDataLoss(refused) ||
      absl::IsInvalidArgument(refused)) {
    return refused;
  }
  absl::StatusOr<std::optional<AppendResult>> earlier =
      store_.FindCommand(command_id, fingerprint);
  if (!earlier.ok()) return earlier.status();  // ALREADY_EXISTS among them.
  if (!earlier->has_value()) return refused;
  return ResultOf(**earlier, /*complaint=*/true);
}

absl::StatusOr<ComplaintApp::Admitted> ComplaintApp::Admit(
    google::protobuf::Message& command, const internal::CommandOps& ops,
    const std::string& actor) {
  if (ops.descriptor == v1::ReceiveComplaint::descriptor() &&
      LooksNumbered(ops.complaint_id(command))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "complaint_id \"", ops.complaint_id(command),
        "\" has the form of the ledger's own numbering (<year>-<number>), "
        "which only the ledger hands out: leave complaint_id empty to have "
        "the complaint numbered, or choose an id of another form"));
  }
  RETURN_IF_ERROR(CheckId("context.actor_agent_id", actor));
  RETURN_IF_ERROR(CheckWritable());
  Admitted admitted;
  admitted.fingerprint =
      Fingerprint(command, ops, actor, options_.personal_data.get());
  // A retry (FindCommand finds nothing for an empty command id).
  ASSIGN_OR_RETURN(admitted.earlier,
                   store_.FindCommand(ops.context(command).command_id(),
                                      admitted.fingerprint));
  if (admitted.earlier.has_value()) return admitted;
  if (options_.writes_here) RETURN_IF_ERROR(options_.writes_here());
  if (ops.descriptor == v1::ReceiveComplaint::descriptor() &&
      ops.complaint_id(command).empty()) {
    ops.set_complaint_id(command, NextComplaintId());
    admitted.numbered_here = true;
  }
  return admitted;
}

absl::StatusOr<v1::CommandResult> ComplaintApp::Execute(
    const google::protobuf::Message& command, const std::string& actor) {
  absl::Notification done;
  absl::StatusOr<v1::CommandResult> result;
  ExecuteAsync(command, actor, [&](absl::StatusOr<v1::CommandResult> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

void ComplaintApp::ExecuteAsync(const google::protobuf::Message& command,
                                const std::string& actor,
                                CommandCallback done) {
  const internal::CommandOps* ops = internal::OpsOf(command);
  if (ops == nullptr) return done(NotACommand(command));
  if (ops->kind == CommandKind::kReference) {
    return done(RunReferenceCommand(command, *ops, actor));
  }
  RunComplaintCommandAsync(ops->clone(command), *ops, actor, std::move(done));
}

struct ComplaintApp::Attempt {
  std::unique_ptr<google::protobuf::Message> command;
  const internal::CommandOps& ops;
  std::string actor;
  Admitted admitted;
  int number = 0;
  CommandCallback done;
};

void ComplaintApp::RunComplaintCommandAsync(
    std::unique_ptr<google::protobuf::Message> command,
    const internal::CommandOps& ops, const std::string& actor,
    CommandCallback done) {
  absl::StatusOr<Admitted> admitted = Admit(*command, ops, actor);
  if (!admitted.ok()) return done(admitted.status());
  if (admitted->earlier.has_value()) {
    return done(ResultOf(*admitted->earlier, /*complaint=*/true));
  }
  DecideAndAppend(std::make_shared<Attempt>(
      Attempt{std::move(command), ops, actor, *std::move(admitted),
              /*number=*/1, std::move(done)}));
}

void ComplaintApp::DecideAndAppend(std::shared_ptr<Attempt> attempt) {
  absl::StatusOr<Decided> decided = DecideCommand(
      *attempt->command, attempt->ops, attempt->actor,
      attempt->admitted.fingerprint, attempt->admitted.numbered_here);
  if (!decided.ok()) {
    if (attempt->admitted.numbered_here) {
      ReleaseComplaintId(attempt->ops.complaint_id(*attempt->command));
    }
    return attempt->done(RefusedOrEarlier(decided.status(), *attempt->command,
                                          attempt->ops,
                                          attempt->admitted.fingerprint));
  }
  AppendRequest request = std::move(decided->request);
  store_.AppendAsync(
      std::move(request), [this, attempt, decided = *std::move(decided)](
                              absl::StatusOr<AppendResult> appended) mutable {
        // On the writer's thread: whatever reads the store goes to
        // retries_.
        if (absl::IsAborted(appended.status()) &&
            !attempt->ops.context(*attempt->command).has_expected_revision() &&
            attempt->number < kMaxAttempts) {
          // Another command got there first: decide again. A new number
          // is taken there, on the app's thread, after what it folds of
          // other nodes' events that came before (a replicated log: the
          // number may be one a group just followed took).
          ++attempt->number;
          const bool renumber =
              attempt->admitted.numbered_here && decided.new_stream;
          if (renumber) {
            LogWarn(absl::StrCat("ComplaintApp: ", decided.stream,
                                 " was taken already (attempt ",
                                 attempt->number - 1,
                                 "): ", appended.status().message(),
                                 "; numbers ", NumbersNote(decided.stream)));
          }
          return retries_.Schedule(
              [this, attempt = std::move(attempt), renumber] {
                if (renumber) {
                  attempt->ops.set_complaint_id(*attempt->command,
                                                NextComplaintId());
                }
                DecideAndAppend(attempt);
              });
        }
        // Not committed: its number is the next intake's. (ABORTED: the
        // number was taken.)
        if (decided.numbered_here && !absl::IsAborted(appended.status()) &&
            (!appended.ok() || appended->duplicate)) {
          ReleaseComplaintId(std::string(ComplaintIdView(decided.stream)));
        }
        if (!appended.ok()) return attempt->done(appended.status());
        if (appended->duplicate) {
          // Its command id was taken while it was decided: the earlier
          // append's result, read back from the store.
          return retries_.Schedule([this, attempt = std::move(attempt),
                                    appended = *std::move(appended)] {
            attempt->done(ResultOf(appended, /*complaint=*/true));
          });
        }
        if (!decided.erases.empty()) {
          // Durable: now the key goes, before the head hears it is done
          // (a fsync and a compaction: on the app's own thread).
          return retries_.Schedule([this, attempt = std::move(attempt),
                                    decided = std::move(decided),
                                    appended = *std::move(appended)]() mutable {
            absl::Status erased = DestroyErasedKey(decided, appended);
            if (!erased.ok()) return attempt->done(erased);
            attempt->done(Finish(std::move(decided), std::move(appended)));
          });
        }
        attempt->done(Finish(std::move(decided), *std::move(appended)));
      });
}

absl::StatusOr<v1::CommandResult> ComplaintApp::RunReferenceCommand(
    const google::protobuf::Message& command, const internal::CommandOps& ops,
    const std::string& actor) {
  RETURN_IF_ERROR(CheckId("context.actor_agent_id", actor));
  RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock write_lock(&reference_write_mu_);
  const v1::CommandContext& given = ops.context(command);
  std::unique_ptr<google::protobuf::Message> copy = ops.clone(command);
  const std::string fingerprint =
      Fingerprint(*copy, ops, actor, options_.personal_data.get());
  // A retry (FindCommand finds nothing for an empty command id).
  ASSIGN_OR_RETURN(std::optional<AppendResult> earlier,
                   store_.FindCommand(given.command_id(), fingerprint));
  if (earlier.has_value()) return ResultOf(*earlier, /*complaint=*/false);
  if (options_.writes_here) RETURN_IF_ERROR(options_.writes_here());
  std::shared_ptr<const ReferenceData> reference = this->reference();
  ASSIGN_OR_RETURN(
      ReferenceChange change,
      ops.decide_reference(*reference, actor, options_.clock->Now(), command));
  change.event.set_actor(actor);
  AppendRequest request;
  request.stream_id = change.stream_id;
  request.command_id = given.command_id();
  request.command_fingerprint = fingerprint;
  // The revision of the reference stream the command changes (the store
  // refuses with ABORTED when it moved on).
  if (given.has_expected_revision()) {
    request.expected = ExpectedRevision::Exact(given.expected_revision());
  }
  std::vector<v1::Event> decided;
  decided.push_back(std::move(change.event));
  request.events = Propose(decided, given);
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

absl::StatusOr<std::vector<PriorComplaint>> ComplaintApp::FindComplaints(
    const v1::CustomerContact& contact) const {
  ASSIGN_OR_RETURN(std::string key,
                   ContactKey(v1::CHANNEL_UNSPECIFIED, contact));
  if (state_ == nullptr) {
    // A damaged log: the index is never loaded (nor commands taken).
    return absl::FailedPreconditionError(absl::StrCat(
        "customers cannot be looked up until the log is repaired: ",
        store_.damage().message()));
  }
  return state_->History(CustomerRefOf(key));
}

std::string ComplaintApp::CustomerRefOf(absl::string_view contact_key) const {
  const PersonalData* personal = options_.personal_data.get();
  return personal != nullptr ? personal->CustomerRef(contact_key)
                             : CustomerRef(contact_key);
}

absl::StatusOr<v1::ComplaintView> ComplaintApp::Get(
    const std::string& complaint_id, std::optional<uint64_t> as_of) const {
  RETURN_IF_ERROR(CheckId("complaint_id", complaint_id));
  if (as_of.has_value()) {
    if (const uint64_t head = store_.log_head().position_last; *as_of > head) {
      return absl::InvalidArgumentError(
          absl::StrCat("as_of_position ", *as_of,
                       " is past the end of the log (", head, ")"));
    }
  }
  ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                   ReadWholeStream(store_, ComplaintStream(complaint_id)));
  if (as_of.has_value()) {
    // A stream's positions rise with its revisions.
    const auto later =
        std::find_if(events.begin(), events.end(),
                     [&](const v1::Event& e) { return e.position() > *as_of; });
    events.erase(later, events.end());
    if (events.empty()) {
      return absl::NotFoundError(absl::StrCat("complaint ", complaint_id,
                                              " was not yet received at "
                                              "position ",
                                              *as_of));
    }
  }
  if (events.empty()) {
    return absl::NotFoundError(
        absl::StrCat("complaint ", complaint_id, " was never received"));
  }
  v1::ComplaintView view;
  ASSIGN_OR_RETURN(*view.mutable_state(), Fold(events));
  for (v1::Event& e : events) *view.add_timeline() = std::move(e);
  return view;
}

}  // namespace ledger
