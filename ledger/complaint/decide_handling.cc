// Handling tracks, assist requests and the general manager (docs/rules.md
// §4–§6).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/internal/decide_support.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {

using complaint_internal::Builder;
using complaint_internal::Calendar;
using complaint_internal::CheckCommon;
using complaint_internal::CheckTarget;
using complaint_internal::FromMicros;
using complaint_internal::Micros;
using complaint_internal::One;
using complaint_internal::RequireHead;
using complaint_internal::RequireHeadOrGm;
using complaint_internal::RequireOwnerOrHead;
using complaint_internal::TargetLabel;
using complaint_internal::WorkingDaysAfter;
using complaint_internal::WrongState;

namespace {

const v1::AssistRequestState* FindRequest(const v1::ComplaintState& state,
                                          const std::string& id) {
  for (const auto& request : state.assist_requests()) {
    if (request.assist_request_id() == id) return &request;
  }
  return nullptr;
}

// The request and the target's state in it, or INVALID_ARGUMENT.
absl::StatusOr<const v1::AssistTargetState*> FindAssistTarget(
    const v1::ComplaintState& state, const std::string& request_id,
    const v1::AssistTarget& target) {
  const v1::AssistRequestState* request = FindRequest(state, request_id);
  if (request == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("complaint ", state.complaint_id(),
                     " has no assist request ", request_id));
  }
  for (const auto& t : request->targets()) {
    if (t.target().SerializeAsString() == target.SerializeAsString()) {
      return &t;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "assist request ", request_id, " was not sent to ", TargetLabel(target)));
}

// The unit has not answered the request yet (INVALID_ARGUMENT when the
// request or the unit is unknown).
absl::Status RequireUnanswered(const v1::ComplaintState& state,
                               const std::string& request_id,
                               const v1::AssistTarget& target,
                               absl::string_view action) {
  ASSIGN_OR_RETURN(const v1::AssistTargetState* t,
                   FindAssistTarget(state, request_id, target));
  if (!t->answered()) return absl::OkStatus();
  return WrongState(
      state, action,
      absl::StrCat(TargetLabel(target), " already answered assist request ",
                   request_id));
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::ChooseTrack& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "choose a handling track";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, kAction));
  RETURN_IF_ERROR(CheckEnumSet("track", c.track()));
  if (c.track() == v1::HANDLING_TRACK_ESCALATED_TO_GM) {
    return absl::InvalidArgumentError(
        "track: escalation to the general manager is the centre head's "
        "EscalateToGm command, with a proposal");
  }
  if (state.stage() != v1::STAGE_OPEN) return WrongState(state, kAction);
  if (!state.classified() && !state.green_channel()) {
    return WrongState(state, kAction, "classify it first");
  }
  if (state.escalated_to_gm()) {
    return WrongState(state, kAction, "it is escalated to the general manager");
  }
  if (state.track() == c.track()) {
    return WrongState(
        state, kAction,
        absl::StrCat("it is already on the ", EnumLabel(c.track()), " track"));
  }
  // Deadlines run from the start of the flow (intake or reopen), so
  // choosing a track late never extends them.
  const int64_t start = state.flow_started_us();
  const LifecyclePolicy& policy = *context.policy;
  v1::HandlingTrackChosen chosen;
  chosen.set_track(c.track());
  chosen.set_chosen_by_agent_id(context.actor);
  switch (c.track()) {
    case v1::HANDLING_TRACK_ON_THE_SPOT:
      chosen.set_reply_due_us(Micros(FromMicros(start) + policy.on_the_spot));
      break;
    case v1::HANDLING_TRACK_INTERNAL_STUDY: {
      ASSIGN_OR_RETURN(
          int64_t due,
          WorkingDaysAfter(context, start, policy.internal_study_working_days,
                           kAction));
      chosen.set_reply_due_us(due);
      break;
    }
    default: {  // Coordinated.
      ASSIGN_OR_RETURN(
          int64_t due,
          WorkingDaysAfter(context, start, policy.coordinated_working_days,
                           kAction));
      chosen.set_reply_due_us(due);
      ASSIGN_OR_RETURN(const BusinessCalendar* calendar,
                       Calendar(context, kAction));
      ASSIGN_OR_RETURN(
          absl::Time assist_due,
          calendar->AssistRequestDue(FromMicros(start), state.flow_shift()));
      chosen.set_assist_request_due_us(Micros(assist_due));
      break;
    }
  }
  return One(std::move(chosen), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RequestAssist& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "send an assist request";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, kAction));
  if (c.targets().empty()) {
    return absl::InvalidArgumentError(
        "targets: name at least one department or station");
  }
  if (c.targets_size() > static_cast<int>(kMaxAssistTargets)) {
    return absl::InvalidArgumentError(
        absl::StrCat("targets holds ", c.targets_size(),
                     " units, the limit is ", kMaxAssistTargets));
  }
  for (int i = 0; i < c.targets_size(); ++i) {
    RETURN_IF_ERROR(CheckTarget(context, "targets", c.targets(i)));
    for (int j = 0; j < i; ++j) {
      if (c.targets(j).SerializeAsString() ==
          c.targets(i).SerializeAsString()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "targets names ", TargetLabel(c.targets(i)), " twice"));
      }
    }
  }
  RETURN_IF_ERROR(CheckText("request", c.request(), true, kMaxTextBytes));
  if (state.stage() != v1::STAGE_OPEN) return WrongState(state, kAction);
  if (!state.green_channel() &&
      state.track() != v1::HANDLING_TRACK_COORDINATED) {
    return WrongState(state, kAction,
                      "choose the coordinated track first (assist requests "
                      "belong to it)");
  }
  const int64_t now = Micros(context.now);
  v1::AssistRequested requested;
  requested.set_assist_request_id(
      absl::StrCat("A", state.assist_requests_size() + 1));
  *requested.mutable_targets() = c.targets();
  requested.set_request(c.request());
  // The units answer by the customer's reply deadline.
  int64_t answer_due = state.reply_due_us();
  if (answer_due == 0) {
    ASSIGN_OR_RETURN(
        answer_due,
        WorkingDaysAfter(context, state.flow_started_us(),
                         context.policy->coordinated_working_days, kAction));
  }
  requested.set_answer_due_us(answer_due);
  requested.set_sent_within_deadline(state.assist_request_due_us() == 0 ||
                                     now <= state.assist_request_due_us());
  requested.set_requested_by_agent_id(context.actor);
  return One(std::move(requested), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::AnswerAssist& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "record an assist answer";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(CheckId("assist_request_id", c.assist_request_id()));
  RETURN_IF_ERROR(CheckTarget(context, "target", c.target()));
  RETURN_IF_ERROR(CheckText("answer", c.answer(), true, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckText("answered_by", c.answered_by(), false, kMaxIdBytes));
  const int64_t now = Micros(context.now);
  if (c.answered_immediately() == (c.promised_due_us() != 0)) {
    return absl::InvalidArgumentError(
        "an assisting unit either answers at once (answered_immediately) or "
        "promises a deadline (promised_due_us), not both and not neither");
  }
  if (!c.answered_immediately() && c.promised_due_us() <= now) {
    return absl::InvalidArgumentError("promised_due_us is not in the future");
  }
  RETURN_IF_ERROR(
      RequireUnanswered(state, c.assist_request_id(), c.target(), kAction));
  v1::AssistAnswered answered;
  answered.set_assist_request_id(c.assist_request_id());
  *answered.mutable_target() = c.target();
  answered.set_answer(c.answer());
  answered.set_answered_immediately(c.answered_immediately());
  answered.set_promised_due_us(c.promised_due_us());
  answered.set_answered_by(c.answered_by().empty() ? context.actor
                                                   : c.answered_by());
  return One(std::move(answered), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::ChaseAssist& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "chase an assisting unit";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, kAction));
  RETURN_IF_ERROR(CheckId("assist_request_id", c.assist_request_id()));
  RETURN_IF_ERROR(CheckTarget(context, "target", c.target()));
  RETURN_IF_ERROR(CheckEnumSet("kind", c.kind()));
  RETURN_IF_ERROR(CheckText("note", c.note(), false, kMaxTextBytes));
  RETURN_IF_ERROR(
      RequireUnanswered(state, c.assist_request_id(), c.target(), kAction));
  v1::AssistChased chased;
  chased.set_assist_request_id(c.assist_request_id());
  *chased.mutable_target() = c.target();
  chased.set_kind(c.kind());
  chased.set_note(c.note());
  chased.set_chased_by_agent_id(context.actor);
  return One(std::move(chased), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::EscalateToGm& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "escalate it to the general manager";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireHead(context, state, kAction));
  RETURN_IF_ERROR(CheckText("proposal", c.proposal(), true, kMaxTextBytes));
  if (state.stage() != v1::STAGE_OPEN) return WrongState(state, kAction);
  if (!state.classified() && !state.green_channel()) {
    return WrongState(state, kAction, "classify it first");
  }
  if (state.escalated_to_gm()) {
    return WrongState(state, kAction, "it is already escalated");
  }
  v1::HandlingTrackChosen chosen;
  chosen.set_track(v1::HANDLING_TRACK_ESCALATED_TO_GM);
  chosen.set_chosen_by_agent_id(context.actor);
  v1::EscalatedToGm escalated;
  escalated.set_proposal(c.proposal());
  escalated.set_escalated_by_agent_id(context.actor);
  Builder out(context);
  out.Add(std::move(chosen));
  out.Add(std::move(escalated));
  return std::move(out).Done();
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordGmDecision& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "record the general manager's decision";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireHeadOrGm(context, kAction));
  RETURN_IF_ERROR(CheckText("decision", c.decision(), true, kMaxTextBytes));
  RETURN_IF_ERROR(CheckText("decided_by", c.decided_by(), false, kMaxIdBytes));
  if (state.stage() != v1::STAGE_OPEN || !state.escalated_to_gm()) {
    return WrongState(state, kAction, "it is not escalated");
  }
  if (state.gm_decided()) {
    return WrongState(state, kAction, "the decision is already recorded");
  }
  ASSIGN_OR_RETURN(
      int64_t due,
      WorkingDaysAfter(context, Micros(context.now),
                       context.policy->gm_decision_reply_working_days,
                       kAction));
  v1::GmDecided decided;
  decided.set_decision(c.decision());
  decided.set_decided_by(c.decided_by().empty() ? context.actor
                                                : c.decided_by());
  decided.set_reply_due_us(due);
  return One(std::move(decided), context);
}

}  // namespace ledger
