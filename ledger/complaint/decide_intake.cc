// Intake, ownership, classification and severity (docs/rules.md §1, §2, §10).
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
using complaint_internal::CheckAgentField;
using complaint_internal::CheckCommon;
using complaint_internal::Micros;
using complaint_internal::One;
using complaint_internal::Raise;
using complaint_internal::RequireActiveAgent;
using complaint_internal::RequireHead;
using complaint_internal::RequireOwnerOrHead;
using complaint_internal::WorkingDaysAfter;
using complaint_internal::WrongState;

namespace {

// The longest wait an intake may record: a day.
constexpr uint32_t kMaxWaitSeconds = 86400;

// --- Classification ----------------------------------------------------

// Routing by kind (docs/rules.md §2): major -> project head; special service ->
// the service department; complaint, suggestion -> customer service; repair ->
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
  for (const PriorComplaint& prior : context.customer_history) {
    if (prior.complaint_id == complaint_id) continue;
    if (prior.kind != v1::INFO_KIND_COMPLAINT || prior.category != category) {
      continue;
    }
    // Subtracted as Durations: two times of a damaged or forged log may
    // lie further apart than an int64 of microseconds holds, and an int64
    // subtraction that overflows is undefined.
    if (prior.received_time_us > received_us ||
        absl::Microseconds(received_us) -
                absl::Microseconds(prior.received_time_us) >
            context.policy->repeat_window) {
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
  out->Add(std::move(classified));

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
  out->Add(std::move(raised));
}

// --- Intake ------------------------------------------------------------

struct Owner {
  std::string agent_id;
  v1::OwnerRule rule;
};

// First-contact owner by channel (docs/rules.md §1).
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
  return CheckText("customer.phone", customer.phone(), false, kMaxIdBytes);
}

// How long the customer waited: a call or a chat only (the service
// norms, docs/rules.md §13), at most a day.
absl::Status CheckWait(const v1::ReceiveComplaint& c) {
  if (!c.has_wait_seconds()) return absl::OkStatus();
  if (c.channel() != v1::CHANNEL_PHONE && c.channel() != v1::CHANNEL_CHAT) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wait_seconds applies to phone and chat intake only, not to ",
        EnumLabel(c.channel())));
  }
  if (c.wait_seconds() > kMaxWaitSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("wait_seconds ", c.wait_seconds(),
                     " is more than a day (at most ", kMaxWaitSeconds, ")"));
  }
  return absl::OkStatus();
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
  RETURN_IF_ERROR(CheckWait(c));
  RETURN_IF_ERROR(CheckText("content", c.content(), true, kMaxContentBytes));
  RETURN_IF_ERROR(CheckCustomer(c.customer()));
  ASSIGN_OR_RETURN(std::string contact_key,
                   ContactKey(c.channel(), c.customer()));
  RETURN_IF_ERROR(CheckText("order_ref", c.order_ref(), false, kMaxIdBytes));
  RETURN_IF_ERROR(
      CheckText("account_ref", c.account_ref(), false, kMaxIdBytes));
  RETURN_IF_ERROR(CheckOptionalId("station_id", c.station_id()));
  if (!c.station_id().empty() &&
      !context.reference->HasStation(c.station_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("station_id ", c.station_id(), " is not registered"));
  }
  RETURN_IF_ERROR(CheckOptionalId("customer_type", c.customer_type()));
  if (!c.customer_type().empty() &&
      !context.reference->HasCustomerType(c.customer_type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer_type ", c.customer_type(),
                     " is not one of the published customer types"));
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

  Builder out(context);
  v1::ComplaintReceived& received = out.New<v1::ComplaintReceived>();
  received.set_complaint_id(c.complaint_id());
  received.set_channel(c.channel());
  *received.mutable_customer() = c.customer();
  received.set_customer_ref(context.customer_ref.empty()
                                ? CustomerRef(contact_key)
                                : context.customer_ref);
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
  if (c.has_wait_seconds()) received.set_wait_seconds(c.wait_seconds());
  received.set_customer_type(c.customer_type());
  if (c.green_channel()) {
    ASSIGN_OR_RETURN(
        int64_t due,
        WorkingDaysAfter(context, now, context.policy->paperwork_working_days,
                         "receive a green-channel complaint"));
    received.set_paperwork_due_us(due);
  }
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
  return One(std::move(assigned), context);
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
  return One(std::move(handed), context);
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
  return One(std::move(raised), context);
}

}  // namespace ledger
