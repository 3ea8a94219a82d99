#include "ledger/complaint/internal/decide_support.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"
#include "ledger/store/limits.h"

namespace ledger::complaint_internal {
namespace {

std::string Describe(const v1::ComplaintState& state) {
  return absl::StrCat("complaint ", state.complaint_id(), " is ",
                      StageLabel(state.stage()));
}

}  // namespace

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

absl::Status WrongState(const v1::ComplaintState& state,
                        absl::string_view action, absl::string_view why) {
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

absl::Status RequireHeadOrGm(const DecideContext& context,
                             absl::string_view action) {
  if (IsHead(context) ||
      context.reference->HasRole(context.actor, v1::ROLE_GENERAL_MANAGER)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("only a centre head or the general manager may ", action,
                   "; ", context.actor, " is neither"));
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

absl::Status CheckCommon(const v1::ComplaintState& state,
                         const std::string& complaint_id,
                         const DecideContext& context, absl::string_view action,
                         bool allow_closed) {
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

}  // namespace ledger::complaint_internal
