#include "ledger/complaint/state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/base/status_macros.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

bool SameTarget(const v1::AssistTarget& a, const v1::AssistTarget& b) {
  return a.target_case() == b.target_case() &&
         a.department_id() == b.department_id() &&
         a.station_id() == b.station_id();
}

absl::StatusOr<v1::AssistTargetState*> FindTarget(
    v1::ComplaintState* state, const std::string& request_id,
    const v1::AssistTarget& target) {
  for (v1::AssistRequestState& request : *state->mutable_assist_requests()) {
    if (request.assist_request_id() != request_id) continue;
    for (v1::AssistTargetState& t : *request.mutable_targets()) {
      if (SameTarget(t.target(), target)) return &t;
    }
  }
  return absl::InternalError(absl::StrCat("assist request ", request_id,
                                          " has no such target in complaint ",
                                          state->complaint_id()));
}

// Starts a new flow (intake or reopen): no track, no reply yet.
void StartFlow(int64_t time_us, v1::Shift shift, v1::ComplaintState* state) {
  state->set_stage(v1::STAGE_OPEN);
  state->set_flow_started_us(time_us);
  state->set_flow_shift(shift);
  state->clear_track();
  state->clear_reply_due_us();
  state->clear_assist_request_due_us();
  state->clear_escalated_to_gm();
  state->clear_gm_decided();
  state->clear_reply_outcome();
  state->clear_replied_time_us();
  state->clear_replied_within_deadline();
  state->clear_revisit_due_us();
  state->clear_revisit_waived();
  state->clear_signed_off_by_agent_id();
  state->clear_signed_off_time_us();
}

absl::Status ApplyPayload(const v1::Event& event, v1::ComplaintState* state) {
  const int64_t time = event.recorded_time_us();
  if (Is<v1::ComplaintReceived>(event)) {
    // Shared: the views fold the same intake one after another.
    ASSIGN_OR_RETURN(const v1::ComplaintReceived* received,
                     SharedUnwrap<v1::ComplaintReceived>(event));
    const v1::ComplaintReceived& e = *received;
    state->set_complaint_id(e.complaint_id());
    state->set_channel(e.channel());
    state->set_received_time_us(e.received_time_us());
    state->set_shift(e.shift());
    state->set_receiving_agent_id(e.receiving_agent_id());
    state->set_customer_ref(e.customer_ref());
    state->set_station_id(e.station_id());
    state->set_department_id(e.department_id());
    state->set_owner_agent_id(e.owner_agent_id());
    state->set_owner_rule(e.owner_rule());
    state->set_green_channel(e.green_channel());
    state->set_paperwork_pending(e.green_channel());
    state->set_paperwork_due_us(e.paperwork_due_us());
    state->set_severity(v1::SEVERITY_GENERAL);
    StartFlow(e.received_time_us(), e.shift(), state);
  } else if (Is<v1::OwnerAssigned>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::OwnerAssigned>(event));
    state->set_owner_agent_id(e.owner_agent_id());
  } else if (Is<v1::OwnerHandedOver>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::OwnerHandedOver>(event));
    state->set_owner_agent_id(e.owner_agent_id());
  } else if (Is<v1::ComplaintClassified>(event)) {
    ASSIGN_OR_RETURN(const v1::ComplaintClassified* shared,
                     SharedUnwrap<v1::ComplaintClassified>(event));
    const v1::ComplaintClassified& e = *shared;
    state->set_classified(true);
    state->set_kind(e.kind());
    state->set_category(e.category());
    state->set_subcategory(e.subcategory());
    state->set_importance(e.importance());
    state->set_suggested_routing(e.suggested_routing());
    state->set_flagged_for_head(e.flagged_for_head());
    state->set_classifications(state->classifications() + 1);
  } else if (Is<v1::SeverityRaised>(event)) {
    ASSIGN_OR_RETURN(const v1::SeverityRaised* shared,
                     SharedUnwrap<v1::SeverityRaised>(event));
    const v1::SeverityRaised& e = *shared;
    state->set_severity(e.severity());
    state->set_severity_reason(e.reason());
    for (const std::string& id : e.linked_complaint_ids()) {
      const auto& linked = state->linked_complaint_ids();
      if (std::find(linked.begin(), linked.end(), id) == linked.end()) {
        state->add_linked_complaint_ids(id);
      }
    }
  } else if (Is<v1::HandlingTrackChosen>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::HandlingTrackChosen>(event));
    state->set_track(e.track());
    state->set_reply_due_us(e.reply_due_us());
    state->set_assist_request_due_us(e.assist_request_due_us());
  } else if (Is<v1::AssistRequested>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::AssistRequested>(event));
    v1::AssistRequestState* request = state->add_assist_requests();
    request->set_assist_request_id(e.assist_request_id());
    request->set_requested_time_us(time);
    request->set_answer_due_us(e.answer_due_us());
    request->set_sent_within_deadline(e.sent_within_deadline());
    for (const v1::AssistTarget& target : e.targets()) {
      *request->add_targets()->mutable_target() = target;
    }
  } else if (Is<v1::AssistAnswered>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::AssistAnswered>(event));
    ASSIGN_OR_RETURN(v1::AssistTargetState * target,
                     FindTarget(state, e.assist_request_id(), e.target()));
    target->set_answered(true);
    target->set_answered_immediately(e.answered_immediately());
    target->set_promised_due_us(e.promised_due_us());
    target->set_answered_time_us(time);
  } else if (Is<v1::AssistChased>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::AssistChased>(event));
    ASSIGN_OR_RETURN(v1::AssistTargetState * target,
                     FindTarget(state, e.assist_request_id(), e.target()));
    if (e.kind() == v1::CHASE_KIND_SUPERVISE) {
      target->set_supervisions(target->supervisions() + 1);
    } else {
      target->set_chases(target->chases() + 1);
    }
  } else if (Is<v1::EscalatedToGm>(event)) {
    state->set_escalated_to_gm(true);
  } else if (Is<v1::GmDecided>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::GmDecided>(event));
    state->set_gm_decided(true);
    state->set_reply_due_us(e.reply_due_us());
  } else if (Is<v1::Replied>(event)) {
    ASSIGN_OR_RETURN(const v1::Replied* shared,
                     SharedUnwrap<v1::Replied>(event));
    const v1::Replied& e = *shared;
    state->set_stage(v1::STAGE_REPLIED);
    state->set_reply_outcome(e.outcome());
    state->set_replied_time_us(time);
    state->set_replied_within_deadline(e.within_deadline());
    state->set_revisit_due_us(e.revisit_due_us());
  } else if (Is<v1::RevisitRecorded>(event)) {
    ASSIGN_OR_RETURN(const v1::RevisitRecorded* shared,
                     SharedUnwrap<v1::RevisitRecorded>(event));
    const v1::RevisitRecorded& e = *shared;
    state->set_revisits(state->revisits() + 1);
    state->set_last_satisfaction(e.satisfaction());
    if (e.revisit_kind() == v1::REVISIT_KIND_MONTH_END_SECOND) {
      state->set_month_end_revisit_done(true);
    } else if (e.resolved()) {
      state->set_stage(v1::STAGE_REVISITED);
    } else {
      state->set_failed_revisits(state->failed_revisits() + 1);
    }
  } else if (Is<v1::RevisitWaived>(event)) {
    state->set_revisit_waived(true);
    state->set_stage(v1::STAGE_REVISITED);
  } else if (Is<v1::Reopened>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::Reopened>(event));
    state->set_reopen_count(e.reopen_count());
    StartFlow(time, e.shift(), state);
  } else if (Is<v1::PaperworkCompleted>(event)) {
    state->set_paperwork_pending(false);
  } else if (Is<v1::SignedOff>(event)) {
    ASSIGN_OR_RETURN(auto e, Unwrap<v1::SignedOff>(event));
    state->set_stage(v1::STAGE_CLOSED);
    state->set_signed_off_by_agent_id(e.signed_by_agent_id());
    state->set_signed_off_time_us(time);
  } else {
    return absl::InternalError(absl::StrCat(
        "event ", event.position(), " of type ", event.event_type(),
        " does not belong in complaint stream ", event.stream_id()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ComplaintStream(absl::string_view complaint_id) {
  return absl::StrCat(kComplaintStreamPrefix, complaint_id);
}

std::string ComplaintIdOfStream(absl::string_view stream_id) {
  if (!absl::ConsumePrefix(&stream_id, kComplaintStreamPrefix)) return "";
  return std::string(stream_id);
}

absl::Status Apply(const v1::Event& event, v1::ComplaintState* state) {
  const bool first = state->stage() == v1::STAGE_UNSPECIFIED;
  if (first != Is<v1::ComplaintReceived>(event) ||
      event.revision() != (first ? 0 : state->revision() + 1)) {
    return absl::InternalError(absl::StrCat(
        "event ", event.position(), " (", event.event_type(), ", revision ",
        event.revision(), ") is out of order in complaint stream ",
        event.stream_id()));
  }
  RETURN_IF_ERROR(ApplyPayload(event, state));
  state->set_revision(event.revision());
  state->set_last_event_time_us(event.recorded_time_us());
  return absl::OkStatus();
}

absl::StatusOr<v1::ComplaintState> Fold(absl::Span<const v1::Event> events) {
  v1::ComplaintState state;
  for (const v1::Event& event : events) RETURN_IF_ERROR(Apply(event, &state));
  return state;
}

std::string StageLabel(v1::Stage stage) {
  switch (stage) {
    case v1::STAGE_OPEN:
      return "open";
    case v1::STAGE_REPLIED:
      return "replied (waiting for the revisit)";
    case v1::STAGE_REVISITED:
      return "revisited (waiting for sign-off)";
    case v1::STAGE_CLOSED:
      return "closed (signed off)";
    default:
      return "not received";
  }
}

}  // namespace ledger
