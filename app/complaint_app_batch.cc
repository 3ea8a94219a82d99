// ComplaintApp::ExecuteBatch: many complaint commands in one call, each
// decided as Execute would decide it alone, their appends sharing the
// writer's group commits. The per-command steps it runs (Admit,
// DecideCommand, Finish) are in complaint_app.cc.
#include "app/complaint_app.h"

#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/complaint/state.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

// What a BatchCommand may hold: each field of its oneof (a registered
// complaint command, or not: ExecuteBatch refuses it) with the command's
// ops, by field number.
struct BatchField {
  const google::protobuf::FieldDescriptor* field = nullptr;
  const internal::CommandOps* ops = nullptr;
};
const std::vector<BatchField>& BatchFields() {
  static const auto* const kFields = [] {
    const google::protobuf::OneofDescriptor* oneof =
        v1::BatchCommand::descriptor()->oneof_decl(0);
    auto* fields = new std::vector<BatchField>();
    for (int i = 0; i < oneof->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = oneof->field(i);
      if (static_cast<size_t>(field->number()) >= fields->size()) {
        fields->resize(field->number() + 1);
      }
      (*fields)[field->number()] = BatchField{
          field, internal::OpsOf(*google::protobuf::MessageFactory::
                                     generated_factory()
                                         ->GetPrototype(field->message_type()))};
    }
    return fields;
  }();
  return *kFields;
}

// The command a BatchCommand holds and its ops (null when it is no
// registered command); nullptr when it holds none.
const google::protobuf::Message* CommandOf(const v1::BatchCommand& c,
                                           const internal::CommandOps** ops) {
  const std::vector<BatchField>& fields = BatchFields();
  const size_t number = static_cast<size_t>(c.command_case());
  if (number == 0 || number >= fields.size() ||
      fields[number].field == nullptr) {
    return nullptr;
  }
  *ops = fields[number].ops;
  return &c.GetReflection()->GetMessage(c, fields[number].field);
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

// One ExecuteBatch call on its way: appends in flight, in batch order, and
// what they touch.
struct ComplaintApp::BatchRun {
  BatchRun(const v1::CommandBatch& batch,
           const std::function<std::string(const v1::CommandContext&)>&
               actor_of)
      : batch(batch), actor_of(actor_of) {}

  const v1::CommandBatch& batch;
  const std::function<std::string(const v1::CommandContext&)>& actor_of;
  // Each command of the batch, and its ops.
  std::vector<std::pair<const google::protobuf::Message*,
                        const internal::CommandOps*>>
      commands;
  v1::BatchResult out;

  struct InFlight {
    InFlight(int index, Decided decided, bool expected_revision,
             std::string actor)
        : index(index),
          decided(std::move(decided)),
          expected_revision(expected_revision),
          actor(std::move(actor)) {}

    int index;
    Decided decided;
    bool expected_revision;
    // Who gave the command, to run it again on its own when it lost a race.
    std::string actor;
    absl::StatusOr<AppendResult> appended = absl::UnknownError("not appended");
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
};

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
  BatchRun run(batch, actor_of);
  run.commands.reserve(batch.commands_size());
  for (int i = 0; i < batch.commands_size(); ++i) {
    const internal::CommandOps* ops = nullptr;
    const google::protobuf::Message* command =
        CommandOf(batch.commands(i), &ops);
    if (command == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "command ", i, " of the batch is empty (no command set)"));
    }
    if (ops == nullptr || ops->kind != CommandKind::kComplaint) {
      return absl::InvalidArgumentError(
          absl::StrCat("command ", i, " of the batch is a ",
                       command->GetDescriptor()->name(),
                       ", not a complaint command"));
    }
    run.commands.emplace_back(command, ops);
  }
  for (int i = 0; i < batch.commands_size(); ++i) run.out.add_results();
  for (int i = 0; i < batch.commands_size(); ++i) BatchOne(run, i);
  WaitForInFlight(run);
  return std::move(run.out);
}

void ComplaintApp::WaitForInFlight(BatchRun& run) {
  {
    absl::MutexLock lock(&run.outstanding.mu);
    run.outstanding.appends += run.to_append.size();
  }
  store_.AppendAllAsync(std::exchange(run.to_append, {}));
  {
    absl::MutexLock lock(&run.outstanding.mu);
    run.outstanding.mu.Await(absl::Condition(
        +[](size_t* n) { return *n == 0; }, &run.outstanding.appends));
  }
  const bool with_events = run.batch.with_events();
  // The appends without events in their results, indexed at once.
  std::vector<DecodedEvent> to_index;
  for (BatchRun::InFlight& f : run.in_flight) {
    v1::BatchCommandResult* result = run.out.mutable_results(f.index);
    if (f.decided.numbered_here && !absl::IsAborted(f.appended.status()) &&
        (!f.appended.ok() || f.appended->duplicate)) {
      // Not committed: its number is the next intake's. (ABORTED: the
      // number was taken.)
      ReleaseComplaintId(std::string(ComplaintIdView(f.decided.stream)));
    }
    if (absl::IsAborted(f.appended.status()) && !f.expected_revision) {
      // From the command as given: a number it was given here may be the
      // one that was taken.
      SetOutcome(Execute(*run.commands[f.index].first, f.actor),
                 with_events, result);
    } else if (!f.appended.ok()) {
      SetStatus(f.appended.status(), result);
    } else if (absl::Status erased = DestroyErasedKey(f.decided, *f.appended);
               !erased.ok()) {
      SetStatus(erased, result);
    } else if (with_events) {
      SetOutcome(Finish(std::move(f.decided), *std::move(f.appended),
                        /*with_state=*/false),
                 with_events, result);
    } else {
      CollectDecoded(f.decided, *f.appended, &to_index);
      SetAppended(*f.appended, result);
    }
  }
  Index(to_index);
  run.streams.clear();
  run.customers.clear();
  run.command_ids.clear();
  run.in_flight.clear();
}

void ComplaintApp::BatchOne(BatchRun& run, int i) {
  const google::protobuf::Message& given = *run.commands[i].first;
  const internal::CommandOps& ops = *run.commands[i].second;
  v1::BatchCommandResult* result = run.out.mutable_results(i);
  const v1::CommandContext& context = ops.context(given);
  std::string actor = run.actor_of(context);
  const std::string& command_id = context.command_id();
  const std::string& complaint_id = ops.complaint_id(given);
  if ((!command_id.empty() && run.command_ids.contains(command_id)) ||
      (!complaint_id.empty() &&
       run.streams.contains(ComplaintStream(complaint_id)))) {
    WaitForInFlight(run);
  }
  std::unique_ptr<google::protobuf::Message> command = ops.clone(given);
  absl::StatusOr<Admitted> admitted = Admit(*command, ops, actor);
  if (!admitted.ok()) return SetStatus(admitted.status(), result);
  const bool with_events = run.batch.with_events();
  if (admitted->earlier.has_value()) {
    if (!with_events) return SetAppended(*admitted->earlier, result);
    return SetOutcome(ResultOf(*admitted->earlier, /*complaint=*/true),
                      with_events, result);
  }
  absl::StatusOr<Decided> decided = DecideCommand(
      *command, ops, actor, admitted->fingerprint, admitted->numbered_here);
  if (decided.ok() && run.customers.contains(decided->customer)) {
    // It read a history an earlier command is changing.
    WaitForInFlight(run);
    decided = DecideCommand(*command, ops, actor, admitted->fingerprint,
                            admitted->numbered_here);
  }
  if (!decided.ok()) {
    if (admitted->numbered_here) ReleaseComplaintId(ops.complaint_id(*command));
    return SetOutcome(RefusedOrEarlier(decided.status(), *command, ops,
                                       admitted->fingerprint),
                      with_events, result);
  }

  AppendRequest request = std::move(decided->request);
  BatchRun::InFlight& f = run.in_flight.emplace_back(
      i, *std::move(decided), context.has_expected_revision(),
      std::move(actor));
  run.streams.insert(f.decided.stream);
  if (!f.decided.customer.empty()) run.customers.insert(f.decided.customer);
  if (!command_id.empty()) run.command_ids.insert(command_id);
  run.to_append.push_back(EventStore::AsyncAppend{
      std::move(request),
      [&f, outstanding = &run.outstanding](
          absl::StatusOr<AppendResult> appended) {
        absl::MutexLock lock(&outstanding->mu);
        f.appended = std::move(appended);
        --outstanding->appends;
      }});
}

}  // namespace ledger
