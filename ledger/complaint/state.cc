#include "ledger/complaint/state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/base/status_macros.h"
#include "ledger/events/visitor.h"
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

// Folds each event of a complaint's stream into its state.
class StateFold final : public EventVisitor {
 public:
  explicit StateFold(v1::ComplaintState* state) : state_(state) {}

  // The Visits this class does not override stay in scope rather than
  // hidden (clang's -Woverloaded-virtual, in -Wall, refuses hiding them).
  using EventVisitor::Visit;

  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintReceived& e) override {
    state_->set_complaint_id(e.complaint_id());
    state_->set_channel(e.channel());
    state_->set_received_time_us(e.received_time_us());
    state_->set_shift(e.shift());
    state_->set_receiving_agent_id(e.receiving_agent_id());
    state_->set_customer_ref(e.customer_ref());
    state_->set_station_id(e.station_id());
    state_->set_department_id(e.department_id());
    state_->set_owner_agent_id(e.owner_agent_id());
    state_->set_owner_rule(e.owner_rule());
    state_->set_green_channel(e.green_channel());
    state_->set_paperwork_pending(e.green_channel());
    state_->set_paperwork_due_us(e.paperwork_due_us());
    state_->set_severity(v1::SEVERITY_GENERAL);
    StartFlow(e.received_time_us(), e.shift(), state_);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::OwnerAssigned& e) override {
    state_->set_owner_agent_id(e.owner_agent_id());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::OwnerHandedOver& e) override {
    state_->set_owner_agent_id(e.owner_agent_id());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintClassified& e) override {
    state_->set_classified(true);
    state_->set_kind(e.kind());
    state_->set_category(e.category());
    state_->set_subcategory(e.subcategory());
    state_->set_importance(e.importance());
    state_->set_suggested_routing(e.suggested_routing());
    state_->set_flagged_for_head(e.flagged_for_head());
    state_->set_classifications(state_->classifications() + 1);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::SeverityRaised& e) override {
    state_->set_severity(e.severity());
    state_->set_severity_reason(e.reason());
    for (const std::string& id : e.linked_complaint_ids()) {
      const auto& linked = state_->linked_complaint_ids();
      if (std::find(linked.begin(), linked.end(), id) == linked.end()) {
        state_->add_linked_complaint_ids(id);
      }
    }
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::HandlingTrackChosen& e) override {
    state_->set_track(e.track());
    state_->set_reply_due_us(e.reply_due_us());
    state_->set_assist_request_due_us(e.assist_request_due_us());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::AssistRequested& e) override {
    v1::AssistRequestState* request = state_->add_assist_requests();
    request->set_assist_request_id(e.assist_request_id());
    request->set_requested_time_us(event.recorded_time_us());
    request->set_answer_due_us(e.answer_due_us());
    request->set_sent_within_deadline(e.sent_within_deadline());
    for (const v1::AssistTarget& target : e.targets()) {
      *request->add_targets()->mutable_target() = target;
    }
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::AssistAnswered& e) override {
    ASSIGN_OR_RETURN(v1::AssistTargetState * target,
                     FindTarget(state_, e.assist_request_id(), e.target()));
    target->set_answered(true);
    target->set_answered_immediately(e.answered_immediately());
    target->set_promised_due_us(e.promised_due_us());
    target->set_answered_time_us(event.recorded_time_us());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::AssistChased& e) override {
    ASSIGN_OR_RETURN(v1::AssistTargetState * target,
                     FindTarget(state_, e.assist_request_id(), e.target()));
    if (e.kind() == v1::CHASE_KIND_SUPERVISE) {
      target->set_supervisions(target->supervisions() + 1);
    } else {
      target->set_chases(target->chases() + 1);
    }
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::EscalatedToGm& e) override {
    state_->set_escalated_to_gm(true);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event, const v1::GmDecided& e) override {
    state_->set_gm_decided(true);
    state_->set_reply_due_us(e.reply_due_us());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event, const v1::Replied& e) override {
    state_->set_stage(v1::STAGE_REPLIED);
    state_->set_reply_outcome(e.outcome());
    state_->set_replied_time_us(event.recorded_time_us());
    state_->set_replied_within_deadline(e.within_deadline());
    state_->set_revisit_due_us(e.revisit_due_us());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::RevisitRecorded& e) override {
    state_->set_revisits(state_->revisits() + 1);
    state_->set_last_satisfaction(e.satisfaction());
    if (e.revisit_kind() == v1::REVISIT_KIND_MONTH_END_SECOND) {
      state_->set_month_end_revisit_done(true);
      return absl::OkStatus();
    }
    state_->set_dissatisfied_but_resolved(
        e.resolved() &&
        (e.satisfaction() == v1::SATISFACTION_DISSATISFIED ||
         e.satisfaction() == v1::SATISFACTION_VERY_DISSATISFIED));
    if (e.resolved()) {
      state_->set_stage(v1::STAGE_REVISITED);
    } else {
      state_->set_failed_revisits(state_->failed_revisits() + 1);
    }
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::RevisitWaived& e) override {
    state_->set_revisit_waived(true);
    state_->set_stage(v1::STAGE_REVISITED);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event, const v1::Reopened& e) override {
    state_->set_reopen_count(e.reopen_count());
    state_->set_dissatisfied_but_resolved(false);
    StartFlow(event.recorded_time_us(), e.shift(), state_);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::PaperworkCompleted& e) override {
    state_->set_paperwork_pending(false);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event, const v1::SignedOff& e) override {
    state_->set_stage(v1::STAGE_CLOSED);
    state_->set_signed_off_by_agent_id(e.signed_by_agent_id());
    state_->set_signed_off_time_us(event.recorded_time_us());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::CustomerDataErased& e) override {
    state_->set_customer_data_erased(true);
    return absl::OkStatus();
  }

 protected:
  // A spot check leaves the case as it was (its revision and time move on,
  // as for every event).
  absl::Status Visit(const v1::Event& event, const v1::SpotChecked&) override {
    return absl::OkStatus();
  }
  // So does its mark as a typical case (the knowledge base keeps it).
  absl::Status Visit(const v1::Event& event,
                     const v1::TypicalCaseMarked&) override {
    return absl::OkStatus();
  }

  // Reference data, and types this version does not know.
  absl::Status Unhandled(const v1::Event& event) override {
    return absl::InternalError(absl::StrCat(
        "event ", event.position(), " of type ", event.event_type(),
        " does not belong in complaint stream ", event.stream_id()));
  }

 private:
  v1::ComplaintState* state_;
};

}  // namespace

std::string ComplaintStream(absl::string_view complaint_id) {
  return absl::StrCat(kComplaintStreamPrefix, complaint_id);
}

std::string ComplaintIdOfStream(absl::string_view stream_id) {
  return std::string(ComplaintIdView(stream_id));
}

absl::string_view ComplaintIdView(absl::string_view stream_id) {
  if (!absl::ConsumePrefix(&stream_id, kComplaintStreamPrefix)) return "";
  return stream_id;
}

absl::Status Apply(const v1::Event& event, v1::ComplaintState* state) {
  ASSIGN_OR_RETURN(DecodedEvent decoded, DecodedEvent::Decode(event));
  return Apply(decoded, state);
}

absl::Status Apply(const DecodedEvent& decoded, v1::ComplaintState* state) {
  const v1::Event& event = decoded.event();
  const bool first = state->stage() == v1::STAGE_UNSPECIFIED;
  if (first != (decoded.As<v1::ComplaintReceived>() != nullptr) ||
      event.revision() != (first ? 0 : state->revision() + 1)) {
    return absl::InternalError(absl::StrCat(
        "event ", event.position(), " (", event.event_type(), ", revision ",
        event.revision(), ") is out of order in complaint stream ",
        event.stream_id()));
  }
  StateFold fold(state);
  RETURN_IF_ERROR(decoded.Accept(fold));
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
