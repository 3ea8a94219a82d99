#include "ledger/complaint/decide.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/events/payload.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// Collects the events of one decision, each with the actor.
class Builder {
 public:
  explicit Builder(const DecideContext& context) : actor_(context.actor) {}
  template <typename Payload>
  void Add(const Payload& payload) {
    v1::Event event = Wrap(payload);
    event.set_actor(actor_);
    events_.push_back(std::move(event));
  }
  Decision Done() && { return std::move(events_); }

 private:
  const std::string& actor_;
  Decision events_;
};

// A decision of one event.
template <typename Payload>
Decision One(const Payload& payload, const DecideContext& context) {
  Builder out(context);
  out.Add(payload);
  return std::move(out).Done();
}

v1::SeverityRaised Raise(v1::Severity from, v1::Severity to, std::string reason,
                         bool automatic, const DecideContext& context) {
  v1::SeverityRaised raised;
  raised.set_previous_severity(from);
  raised.set_severity(to);
  raised.set_reason(std::move(reason));
  raised.set_automatic(automatic);
  raised.set_raised_by_agent_id(context.actor);
  return raised;
}

std::string Describe(const v1::ComplaintState& state) {
  return absl::StrCat("complaint ", state.complaint_id(), " is ",
                      StageLabel(state.stage()));
}

absl::Status WrongState(const v1::ComplaintState& state,
                        absl::string_view action, absl::string_view why = "") {
  return absl::FailedPreconditionError(absl::StrCat(
      Describe(state), "; cannot ", action, why.empty() ? "" : ": ", why));
}

absl::Status RequireActiveAgent(const DecideContext& context) {
  if (context.actor.empty()) {
    return absl::PermissionDeniedError(
        "no actor: every command names its agent");
  }
  if (!context.reference->IsActiveAgent(context.actor)) {
    return absl::PermissionDeniedError(
        absl::StrCat(context.actor, " is not a registered, active agent"));
  }
  return absl::OkStatus();
}

bool IsHead(const DecideContext& context) {
  return context.reference->HasRole(context.actor, v1::ROLE_CENTRE_HEAD);
}

absl::Status RequireHead(const DecideContext& context,
                         const v1::ComplaintState& state,
                         absl::string_view action) {
  if (IsHead(context)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("only a centre head may ", action, " (complaint ",
                   state.complaint_id(), "); ", context.actor, " is not one"));
}

absl::Status RequireOwnerOrHead(const DecideContext& context,
                                const v1::ComplaintState& state,
                                absl::string_view action) {
  if (context.actor == state.owner_agent_id() || IsHead(context)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("only the owner (", state.owner_agent_id(),
                   ") or a centre head may ", action, " (complaint ",
                   state.complaint_id(), "); ", context.actor, " is neither"));
}

// Everything but intake: the complaint exists, the actor is an agent, the
// stream has room, and (unless `allow_closed`) it is not closed.
absl::Status CheckCommon(const v1::ComplaintState& state,
                         const std::string& complaint_id,
                         const DecideContext& context, absl::string_view action,
                         bool allow_closed = false) {
  RETURN_IF_ERROR(CheckId("complaint_id", complaint_id));
  if (state.stage() == v1::STAGE_UNSPECIFIED) {
    return absl::NotFoundError(
        absl::StrCat("complaint ", complaint_id, " was never received"));
  }
  RETURN_IF_ERROR(RequireActiveAgent(context));
  if (state.revision() + 1 >= kMaxComplaintEvents) {
    return WrongState(state, action,
                      absl::StrCat("it has reached ", kMaxComplaintEvents,
                                   " events, the limit for one complaint"));
  }
  if (state.stage() == v1::STAGE_CLOSED && !allow_closed) {
    return WrongState(state, action,
                      absl::StrCat("only a centre head's reopen changes a "
                                   "closed complaint (signed off by ",
                                   state.signed_off_by_agent_id(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const BusinessCalendar*> Calendar(const DecideContext& context,
                                                 absl::string_view action) {
  const BusinessCalendar* calendar = context.reference->calendar();
  if (calendar == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no working-day calendar has been published; cannot ",
                     action, " (deadlines need one)"));
  }
  return calendar;
}

absl::StatusOr<int64_t> WorkingDaysAfter(const DecideContext& context,
                                         int64_t from_us, int days,
                                         absl::string_view action) {
  ASSIGN_OR_RETURN(const BusinessCalendar* calendar, Calendar(context, action));
  ASSIGN_OR_RETURN(absl::Time due,
                   calendar->WorkingDaysAfter(FromMicros(from_us), days));
  return Micros(due);
}

absl::Status CheckAgentField(const DecideContext& context,
                             absl::string_view field, const std::string& id) {
  RETURN_IF_ERROR(CheckId(field, id));
  if (!context.reference->IsActiveAgent(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", id, " is not a registered, active agent"));
  }
  return absl::OkStatus();
}

std::string TargetLabel(const v1::AssistTarget& target) {
  return target.has_station_id()
             ? absl::StrCat("station ", target.station_id())
             : absl::StrCat("department ", target.department_id());
}

absl::Status CheckTarget(const DecideContext& context, absl::string_view field,
                         const v1::AssistTarget& target) {
  if (target.target_case() == v1::AssistTarget::TARGET_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " names neither a department nor a station"));
  }
  RETURN_IF_ERROR(CheckId(field, target.has_station_id()
                                     ? target.station_id()
                                     : target.department_id()));
  if (!context.reference->HasTarget(target)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", TargetLabel(target), " is not registered"));
  }
  return absl::OkStatus();
}

// --- Classification ----------------------------------------------------

// Routing by kind (§3): major -> project head; special service -> the
// service department; complaint, suggestion -> customer service; repair ->
// engineering; public safety -> security; the rest -> customer service.
v1::RoutingTarget RoutingFor(v1::InfoKind kind) {
  switch (kind) {
    case v1::INFO_KIND_MAJOR:
      return v1::ROUTING_TARGET_PROJECT_HEAD;
    case v1::INFO_KIND_SPECIAL_SERVICE:
      return v1::ROUTING_TARGET_SERVICE_DEPARTMENT;
    case v1::INFO_KIND_REPAIR_REQUEST:
      return v1::ROUTING_TARGET_ENGINEERING;
    case v1::INFO_KIND_PUBLIC_SAFETY:
      return v1::ROUTING_TARGET_SECURITY;
    default:
      return v1::ROUTING_TARGET_CUSTOMER_SERVICE;
  }
}

absl::Status CheckClassification(const v1::Classification& c) {
  RETURN_IF_ERROR(CheckEnumSet("classification.kind", c.kind()));
  if (c.kind() == v1::INFO_KIND_COMPLAINT) {
    RETURN_IF_ERROR(CheckEnumSet("classification.category (for a complaint)",
                                 c.category()));
  } else if (c.category() != v1::COMPLAINT_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "classification.category applies to complaints only, not to a ",
        EnumLabel(c.kind())));
  }
  RETURN_IF_ERROR(CheckEnumSet("classification.importance", c.importance()));
  if ((c.kind() == v1::INFO_KIND_MAJOR ||
       c.kind() == v1::INFO_KIND_PUBLIC_SAFETY) &&
      c.importance() != v1::IMPORTANCE_IMPORTANT) {
    return absl::InvalidArgumentError(
        absl::StrCat("classification.importance: a ", EnumLabel(c.kind()),
                     " matter is important by definition"));
  }
  return CheckText("classification.subcategory", c.subcategory(), false,
                   kMaxIdBytes);
}

// The earlier complaints of the customer with the same category within the
// window before `received_us`.
std::vector<std::string> RepeatsOf(const std::string& complaint_id,
                                   int64_t received_us,
                                   v1::ComplaintCategory category,
                                   const DecideContext& context) {
  std::vector<std::string> earlier;
  const int64_t window =
      absl::ToInt64Microseconds(context.policy->repeat_window);
  for (const PriorComplaint& prior : context.customer_history) {
    if (prior.complaint_id == complaint_id) continue;
    if (prior.kind != v1::INFO_KIND_COMPLAINT || prior.category != category) {
      continue;
    }
    if (prior.received_time_us > received_us ||
        received_us - prior.received_time_us > window) {
      continue;
    }
    earlier.push_back(prior.complaint_id);
    if (earlier.size() == kMaxLinkedComplaints) break;
  }
  return earlier;
}

// The events of a (re)classification, and the repeat rise it may cause.
void Classification(const std::string& complaint_id, int64_t received_us,
                    v1::Severity severity, bool reclassification,
                    const v1::Classification& c, const DecideContext& context,
                    Builder* out) {
  v1::ComplaintClassified classified;
  classified.set_kind(c.kind());
  classified.set_category(c.category());
  classified.set_subcategory(c.subcategory());
  classified.set_importance(c.importance());
  classified.set_suggested_routing(RoutingFor(c.kind()));
  classified.set_reclassification(reclassification);
  classified.set_flagged_for_head(c.importance() == v1::IMPORTANCE_IMPORTANT);
  classified.set_classified_by_agent_id(context.actor);
  out->Add(classified);

  if (c.kind() != v1::INFO_KIND_COMPLAINT || severity >= v1::SEVERITY_REPEAT) {
    return;
  }
  std::vector<std::string> earlier =
      RepeatsOf(complaint_id, received_us, c.category(), context);
  if (earlier.empty()) return;
  v1::SeverityRaised raised =
      Raise(severity, v1::SEVERITY_REPEAT,
            absl::StrCat("the same customer complained about ",
                         EnumLabel(c.category()), " within ",
                         absl::ToInt64Hours(context.policy->repeat_window) / 24,
                         " days before (", absl::StrJoin(earlier, ", "), ")"),
            /*automatic=*/true, context);
  for (const std::string& id : earlier) raised.add_linked_complaint_ids(id);
  out->Add(raised);
}

// --- Intake ------------------------------------------------------------

struct Owner {
  std::string agent_id;
  v1::OwnerRule rule;
};

// First-contact owner by channel (§1).
absl::StatusOr<Owner> FirstContactOwner(const v1::ReceiveComplaint& c,
                                        const std::string& receiver,
                                        const DecideContext& context) {
  auto only_for = [&](absl::string_view field, const std::string& value,
                      v1::Channel channel) -> absl::Status {
    if (!value.empty() && c.channel() != channel) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " applies to ", EnumLabel(channel),
                       " intake only, not to ", EnumLabel(c.channel())));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      only_for("handler_agent_id", c.handler_agent_id(), v1::CHANNEL_VISIT));
  RETURN_IF_ERROR(only_for("head_assigned_agent_id", c.head_assigned_agent_id(),
                           v1::CHANNEL_EMAIL));
  RETURN_IF_ERROR(only_for("on_duty_head_agent_id", c.on_duty_head_agent_id(),
                           v1::CHANNEL_FAX));
  RETURN_IF_ERROR(only_for("on_duty_clerk_agent_id", c.on_duty_clerk_agent_id(),
                           v1::CHANNEL_FAX));

  switch (c.channel()) {
    case v1::CHANNEL_PHONE:
      return Owner{receiver, v1::OWNER_RULE_PHONE_ANSWERING_AGENT};
    case v1::CHANNEL_VISIT:
      if (!c.handler_agent_id().empty()) {
        RETURN_IF_ERROR(
            CheckAgentField(context, "handler_agent_id", c.handler_agent_id()));
        return Owner{c.handler_agent_id(), v1::OWNER_RULE_VISIT_HANDLER};
      }
      return Owner{receiver, v1::OWNER_RULE_VISIT_FIRST_RECEIVER};
    case v1::CHANNEL_EMAIL:
      if (!c.head_assigned_agent_id().empty()) {
        RETURN_IF_ERROR(CheckAgentField(context, "head_assigned_agent_id",
                                        c.head_assigned_agent_id()));
        return Owner{c.head_assigned_agent_id(),
                     v1::OWNER_RULE_EMAIL_HEAD_ASSIGNED};
      }
      return Owner{receiver, v1::OWNER_RULE_EMAIL_OPENER_HEAD_AWAY};
    case v1::CHANNEL_FAX:
      if (!c.on_duty_head_agent_id().empty()) {
        if (!context.reference->HasRole(c.on_duty_head_agent_id(),
                                        v1::ROLE_CENTRE_HEAD)) {
          return absl::InvalidArgumentError(
              absl::StrCat("on_duty_head_agent_id ", c.on_duty_head_agent_id(),
                           " is not an active centre head"));
        }
        return Owner{c.on_duty_head_agent_id(), v1::OWNER_RULE_FAX_CENTRE_HEAD};
      }
      if (!c.on_duty_clerk_agent_id().empty()) {
        if (!context.reference->HasRole(c.on_duty_clerk_agent_id(),
                                        v1::ROLE_CLERK)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "on_duty_clerk_agent_id ", c.on_duty_clerk_agent_id(),
              " is not an active clerk"));
        }
        return Owner{c.on_duty_clerk_agent_id(), v1::OWNER_RULE_FAX_CLERK};
      }
      return Owner{receiver, v1::OWNER_RULE_FAX_RECEIVER};
    default:
      return Owner{receiver, v1::OWNER_RULE_RECEIVING_AGENT};
  }
}

absl::Status CheckCustomer(const v1::CustomerContact& customer) {
  RETURN_IF_ERROR(
      CheckText("customer.name", customer.name(), false, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckText("customer.address", customer.address(), false, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckText("customer.email", customer.email(), false, kMaxTextBytes));
  return CheckText("customer.phone", customer.phone(), true, kMaxIdBytes);
}

// Reply, revisit, sign-off need a track chosen (and its prerequisites),
// unless the case is on the green channel.
absl::Status CheckReadyToReply(const v1::ComplaintState& state) {
  if (state.green_channel()) return absl::OkStatus();
  if (!state.classified()) {
    return WrongState(state, "reply", "classify it and choose a track first");
  }
  switch (state.track()) {
    case v1::HANDLING_TRACK_UNSPECIFIED:
      return WrongState(state, "reply", "choose a handling track first");
    case v1::HANDLING_TRACK_COORDINATED:
      if (state.assist_requests().empty()) {
        return WrongState(state, "reply",
                          "on the coordinated track, send an assist request "
                          "first");
      }
      break;
    case v1::HANDLING_TRACK_ESCALATED_TO_GM:
      if (!state.gm_decided()) {
        return WrongState(state, "reply",
                          "it is escalated to the general manager, whose "
                          "decision is not recorded yet");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

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
                                const v1::ReceiveComplaint& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(CheckId("complaint_id", c.complaint_id()));
  RETURN_IF_ERROR(RequireActiveAgent(context));
  if (state.stage() != v1::STAGE_UNSPECIFIED) {
    return absl::AlreadyExistsError(
        absl::StrCat("complaint ", c.complaint_id(), " was already received"));
  }
  RETURN_IF_ERROR(CheckEnumSet("channel", c.channel()));
  RETURN_IF_ERROR(CheckText("content", c.content(), true, kMaxContentBytes));
  RETURN_IF_ERROR(CheckCustomer(c.customer()));
  ASSIGN_OR_RETURN(std::string phone, NormalizePhone(c.customer().phone()));
  RETURN_IF_ERROR(CheckText("order_ref", c.order_ref(), false, kMaxIdBytes));
  RETURN_IF_ERROR(
      CheckText("account_ref", c.account_ref(), false, kMaxIdBytes));
  RETURN_IF_ERROR(CheckOptionalId("station_id", c.station_id()));
  if (!c.station_id().empty() &&
      !context.reference->HasStation(c.station_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("station_id ", c.station_id(), " is not registered"));
  }
  RETURN_IF_ERROR(CheckOptionalId("department_id", c.department_id()));
  if (!c.department_id().empty() &&
      !context.reference->HasDepartment(c.department_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "department_id ", c.department_id(), " is not registered"));
  }
  const std::string receiver =
      c.receiving_agent_id().empty() ? context.actor : c.receiving_agent_id();
  RETURN_IF_ERROR(CheckAgentField(context, "receiving_agent_id", receiver));
  ASSIGN_OR_RETURN(Owner owner, FirstContactOwner(c, receiver, context));
  const bool classify = c.has_classification();
  if (classify) RETURN_IF_ERROR(CheckClassification(c.classification()));

  ASSIGN_OR_RETURN(const BusinessCalendar* calendar,
                   Calendar(context, "receive a complaint"));
  ASSIGN_OR_RETURN(v1::Shift shift, calendar->ShiftAt(context.now));
  const int64_t now = Micros(context.now);

  v1::ComplaintReceived received;
  received.set_complaint_id(c.complaint_id());
  received.set_channel(c.channel());
  *received.mutable_customer() = c.customer();
  received.set_customer_ref(CustomerRef(phone));
  received.set_content(c.content());
  received.set_receiving_agent_id(receiver);
  received.set_received_time_us(now);
  received.set_shift(shift);
  received.set_green_channel(c.green_channel());
  received.set_order_ref(c.order_ref());
  received.set_account_ref(c.account_ref());
  received.set_station_id(c.station_id());
  received.set_department_id(c.department_id());
  received.set_owner_agent_id(owner.agent_id);
  received.set_owner_rule(owner.rule);
  received.set_handler_agent_id(c.handler_agent_id());
  received.set_opened_by_agent_id(c.channel() == v1::CHANNEL_EMAIL ? receiver
                                                                   : "");
  if (c.green_channel()) {
    ASSIGN_OR_RETURN(
        int64_t due,
        WorkingDaysAfter(context, now, context.policy->paperwork_working_days,
                         "receive a green-channel complaint"));
    received.set_paperwork_due_us(due);
  }
  Builder out(context);
  out.Add(received);
  if (classify) {
    Classification(c.complaint_id(), now, v1::SEVERITY_GENERAL,
                   /*reclassification=*/false, c.classification(), context,
                   &out);
  }
  return std::move(out).Done();
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::AssignOwner& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(
      CheckCommon(state, c.complaint_id(), context, "assign an owner"));
  RETURN_IF_ERROR(RequireHead(context, state, "assign an owner"));
  RETURN_IF_ERROR(
      CheckAgentField(context, "owner_agent_id", c.owner_agent_id()));
  RETURN_IF_ERROR(CheckText("reason", c.reason(), true, kMaxTextBytes));
  if (c.owner_agent_id() == state.owner_agent_id()) {
    return WrongState(state, "assign an owner",
                      absl::StrCat(c.owner_agent_id(), " already owns it"));
  }
  v1::OwnerAssigned assigned;
  assigned.set_owner_agent_id(c.owner_agent_id());
  assigned.set_previous_owner_agent_id(state.owner_agent_id());
  assigned.set_assigned_by_agent_id(context.actor);
  assigned.set_reason(c.reason());
  return One(assigned, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::HandOver& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(
      CheckCommon(state, c.complaint_id(), context, "hand it over"));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, "hand it over"));
  RETURN_IF_ERROR(CheckAgentField(context, "to_agent_id", c.to_agent_id()));
  RETURN_IF_ERROR(
      CheckText("handover_note", c.handover_note(), true, kMaxTextBytes));
  if (c.to_agent_id() == state.owner_agent_id()) {
    return WrongState(state, "hand it over",
                      absl::StrCat(c.to_agent_id(), " already owns it"));
  }
  v1::OwnerHandedOver handed;
  handed.set_owner_agent_id(c.to_agent_id());
  handed.set_previous_owner_agent_id(state.owner_agent_id());
  handed.set_handover_note(c.handover_note());
  return One(handed, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Classify& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, "classify it"));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, "classify it"));
  RETURN_IF_ERROR(CheckClassification(c.classification()));
  const v1::Classification& n = c.classification();
  if (state.classified() && state.kind() == n.kind() &&
      state.category() == n.category() &&
      state.subcategory() == n.subcategory() &&
      state.importance() == n.importance()) {
    return WrongState(state, "classify it", "it is already classified so");
  }
  Builder out(context);
  Classification(state.complaint_id(), state.received_time_us(),
                 state.severity(), state.classified(), n, context, &out);
  return std::move(out).Done();
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RaiseSeverity& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(
      CheckCommon(state, c.complaint_id(), context, "raise its severity"));
  RETURN_IF_ERROR(CheckEnumSet("severity", c.severity()));
  RETURN_IF_ERROR(CheckText("reason", c.reason(), true, kMaxTextBytes));
  if (c.linked_complaint_ids_size() > static_cast<int>(kMaxLinkedComplaints)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linked_complaint_ids holds ", c.linked_complaint_ids_size(),
        " ids, the limit is ", kMaxLinkedComplaints));
  }
  for (const std::string& id : c.linked_complaint_ids()) {
    RETURN_IF_ERROR(CheckId("linked_complaint_ids", id));
    if (id == state.complaint_id()) {
      return absl::InvalidArgumentError(
          "linked_complaint_ids: a complaint cannot repeat itself");
    }
  }
  if (c.severity() == v1::SEVERITY_MALICIOUS) {
    RETURN_IF_ERROR(RequireHead(context, state, "mark a complaint malicious"));
  } else {
    RETURN_IF_ERROR(RequireOwnerOrHead(context, state, "raise its severity"));
  }
  if (c.severity() <= state.severity()) {
    return WrongState(
        state, absl::StrCat("set its severity to ", EnumLabel(c.severity())),
        absl::StrCat("it is already ", EnumLabel(state.severity()),
                     ", and severity never falls"));
  }
  if (c.severity() == v1::SEVERITY_MALICIOUS &&
      state.severity() != v1::SEVERITY_REPEAT) {
    return WrongState(state, "mark it malicious",
                      "malicious means repeat and serious; it is not a repeat "
                      "complaint");
  }
  v1::SeverityRaised raised = Raise(state.severity(), c.severity(), c.reason(),
                                    /*automatic=*/false, context);
  *raised.mutable_linked_complaint_ids() = c.linked_complaint_ids();
  return One(raised, context);
}

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
  return One(chosen, context);
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
  return One(requested, context);
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
  return One(answered, context);
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
  return One(chased, context);
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
  out.Add(chosen);
  out.Add(escalated);
  return std::move(out).Done();
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordGmDecision& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "record the general manager's decision";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  if (!IsHead(context) &&
      !context.reference->HasRole(context.actor, v1::ROLE_GENERAL_MANAGER)) {
    return absl::PermissionDeniedError(
        absl::StrCat("only a centre head or the general manager may ", kAction,
                     "; ", context.actor, " is neither"));
  }
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
  return One(decided, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Reply& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, "reply"));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, "reply"));
  RETURN_IF_ERROR(CheckEnumSet("outcome", c.outcome()));
  RETURN_IF_ERROR(CheckText("reply", c.reply(), true, kMaxTextBytes));
  if (state.stage() != v1::STAGE_OPEN) {
    return WrongState(state, "reply", "it was already answered");
  }
  RETURN_IF_ERROR(CheckReadyToReply(state));
  const int64_t now = Micros(context.now);
  ASSIGN_OR_RETURN(
      int64_t revisit_due,
      WorkingDaysAfter(context, now, context.policy->revisit_working_days,
                       "reply"));
  v1::Replied replied;
  replied.set_outcome(c.outcome());
  replied.set_reply(c.reply());
  replied.set_replied_by_agent_id(context.actor);
  replied.set_within_deadline(state.reply_due_us() == 0 ||
                              now <= state.reply_due_us());
  replied.set_revisit_due_us(revisit_due);
  return One(replied, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordRevisit& c,
                                const DecideContext& context) {
  const v1::RevisitKind kind = c.kind() == v1::REVISIT_KIND_UNSPECIFIED
                                   ? v1::REVISIT_KIND_FIRST
                                   : c.kind();
  const bool month_end = kind == v1::REVISIT_KIND_MONTH_END_SECOND;
  constexpr absl::string_view kAction = "record a revisit";
  // The month-end second revisit samples the month's handled complaints,
  // most of them signed off by then: it is allowed on closed ones.
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction,
                              /*allow_closed=*/month_end));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, kAction));
  RETURN_IF_ERROR(CheckEnumSet("kind", kind));
  RETURN_IF_ERROR(CheckEnumSet("satisfaction", c.satisfaction()));
  RETURN_IF_ERROR(CheckText("note", c.note(), false, kMaxTextBytes));
  const int64_t now = Micros(context.now);
  v1::RevisitRecorded revisit;
  revisit.set_revisit_kind(kind);
  revisit.set_satisfaction(c.satisfaction());
  revisit.set_resolved(c.resolved());
  revisit.set_note(c.note());
  revisit.set_revisited_by_agent_id(context.actor);
  Builder out(context);
  if (month_end) {
    if (state.stage() != v1::STAGE_REVISITED &&
        state.stage() != v1::STAGE_CLOSED) {
      return WrongState(state, "record a month-end second revisit",
                        "it follows a first revisit that found it resolved");
    }
    if (state.month_end_revisit_done()) {
      return WrongState(state, "record a month-end second revisit",
                        "it already had one");
    }
    revisit.set_within_deadline(true);
    out.Add(revisit);
    return std::move(out).Done();
  }
  if (state.stage() != v1::STAGE_REPLIED) {
    return WrongState(state, kAction, "a revisit follows a reply");
  }
  revisit.set_within_deadline(now <= state.revisit_due_us());
  out.Add(revisit);
  if (c.resolved()) return std::move(out).Done();

  // Not resolved: the first-contact flow starts again with the same owner.
  ASSIGN_OR_RETURN(const BusinessCalendar* calendar,
                   Calendar(context, kAction));
  ASSIGN_OR_RETURN(v1::Shift shift, calendar->ShiftAt(context.now));
  v1::Reopened reopened;
  reopened.set_reason(
      absl::StrCat("the revisit found the problem not resolved (",
                   EnumLabel(c.satisfaction()), ")"));
  reopened.set_reopened_by_agent_id(context.actor);
  reopened.set_reopen_count(state.reopen_count() + 1);
  reopened.set_shift(shift);
  reopened.set_after_failed_revisit(true);
  out.Add(reopened);

  const uint32_t failed = state.failed_revisits() + 1;
  if (state.severity() < v1::SEVERITY_REPEAT &&
      failed >=
          static_cast<uint32_t>(context.policy->failed_revisits_for_repeat)) {
    out.Add(
        Raise(state.severity(), v1::SEVERITY_REPEAT,
              absl::StrCat(failed, " revisits found the problem not resolved"),
              /*automatic=*/true, context));
  }
  return std::move(out).Done();
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::WaiveRevisit& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "waive the revisit";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireHead(context, state, kAction));
  RETURN_IF_ERROR(CheckText("reason", c.reason(), true, kMaxTextBytes));
  if (state.stage() != v1::STAGE_REPLIED) return WrongState(state, kAction);
  if (!state.classified()) {
    return WrongState(state, kAction,
                      "it is not classified, and complaints are always "
                      "revisited");
  }
  if (state.kind() == v1::INFO_KIND_COMPLAINT) {
    return WrongState(state, kAction,
                      "every complaint is revisited (quota 100%)");
  }
  v1::RevisitWaived waived;
  waived.set_reason(c.reason());
  waived.set_waived_by_agent_id(context.actor);
  return One(waived, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Reopen& c,
                                const DecideContext& context) {
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, "reopen it",
                              /*allow_closed=*/true));
  if (state.stage() == v1::STAGE_CLOSED) {
    RETURN_IF_ERROR(RequireHead(context, state, "reopen a closed complaint"));
  } else {
    RETURN_IF_ERROR(RequireOwnerOrHead(context, state, "reopen it"));
  }
  RETURN_IF_ERROR(CheckText("reason", c.reason(), true, kMaxTextBytes));
  if (state.stage() == v1::STAGE_OPEN) {
    return WrongState(state, "reopen it", "it is not answered yet");
  }
  ASSIGN_OR_RETURN(const BusinessCalendar* calendar,
                   Calendar(context, "reopen it"));
  ASSIGN_OR_RETURN(v1::Shift shift, calendar->ShiftAt(context.now));
  v1::Reopened reopened;
  reopened.set_reason(c.reason());
  reopened.set_reopened_by_agent_id(context.actor);
  reopened.set_reopen_count(state.reopen_count() + 1);
  reopened.set_shift(shift);
  return One(reopened, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::CompletePaperwork& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "complete the paperwork";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireOwnerOrHead(context, state, kAction));
  RETURN_IF_ERROR(CheckText("note", c.note(), false, kMaxTextBytes));
  if (!state.green_channel()) {
    return WrongState(state, kAction, "it is not a green-channel case");
  }
  if (!state.paperwork_pending()) {
    return WrongState(state, kAction, "its paperwork is already complete");
  }
  if (!state.classified()) {
    return WrongState(state, kAction,
                      "the record is not complete: classify it first");
  }
  v1::PaperworkCompleted completed;
  completed.set_note(c.note());
  completed.set_completed_by_agent_id(context.actor);
  completed.set_within_deadline(Micros(context.now) <=
                                state.paperwork_due_us());
  return One(completed, context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::SignOff& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "sign it off";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction));
  RETURN_IF_ERROR(RequireHead(context, state, kAction));
  RETURN_IF_ERROR(
      CheckText("review_note", c.review_note(), false, kMaxTextBytes));
  switch (state.stage()) {
    case v1::STAGE_OPEN:
      return WrongState(state, kAction, "the customer has not been answered");
    case v1::STAGE_REPLIED:
      return WrongState(state, kAction,
                        state.kind() == v1::INFO_KIND_COMPLAINT
                            ? "a complaint needs a revisit that found it "
                              "resolved"
                            : "it needs a revisit, or a waiver of it");
    default:
      break;
  }
  if (state.paperwork_pending()) {
    return WrongState(state, kAction,
                      "its green-channel paperwork is still pending");
  }
  if (!c.record_complete()) {
    return WrongState(state, kAction, "the review found the record incomplete");
  }
  v1::SignedOff signed_off;
  signed_off.set_signed_by_agent_id(context.actor);
  signed_off.set_review_note(c.review_note());
  signed_off.set_record_complete(true);
  signed_off.set_unresolved_items_passed_on(c.unresolved_items_passed_on());
  signed_off.set_verified_with_customer(state.revisits() > 0);
  return One(signed_off, context);
}

}  // namespace ledger
