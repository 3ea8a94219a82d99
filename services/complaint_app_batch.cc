// ComplaintApp::ExecuteBatch: many complaint commands in one call, each
// decided as Execute would decide it alone, their appends sharing the
// writer's group commits. The per-command steps it runs (Admit,
// DecideCommand, RunComplaintCommand) are in complaint_app.cc, instantiated
// there for every complaint command.
#include <deque>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/complaint/state.h"
#include "ledger/store/limits.h"
#include "services/complaint_app.h"

namespace ledger {
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

}  // namespace ledger
