// Reply, revisit, reopen, paperwork and sign-off (docs/rules.md §8–§9).
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
using complaint_internal::Micros;
using complaint_internal::One;
using complaint_internal::Raise;
using complaint_internal::RequireHead;
using complaint_internal::RequireHeadOrGm;
using complaint_internal::RequireOwnerOrHead;
using complaint_internal::WorkingDaysAfter;
using complaint_internal::WrongState;

namespace {

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

// A new flow for the same owner, with the shift (for its deadlines) at now.
absl::StatusOr<v1::Reopened> Reopening(const v1::ComplaintState& state,
                                       std::string reason,
                                       bool after_failed_revisit,
                                       const DecideContext& context,
                                       absl::string_view action) {
  ASSIGN_OR_RETURN(const BusinessCalendar* calendar, Calendar(context, action));
  ASSIGN_OR_RETURN(v1::Shift shift, calendar->ShiftAt(context.now));
  v1::Reopened reopened;
  reopened.set_reason(std::move(reason));
  reopened.set_reopened_by_agent_id(context.actor);
  reopened.set_reopen_count(state.reopen_count() + 1);
  reopened.set_shift(shift);
  reopened.set_after_failed_revisit(after_failed_revisit);
  return reopened;
}

}  // namespace

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
  return One(std::move(replied), context);
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
    out.Add(std::move(revisit));
    return std::move(out).Done();
  }
  if (state.stage() != v1::STAGE_REPLIED) {
    return WrongState(state, kAction, "a revisit follows a reply");
  }
  revisit.set_within_deadline(now <= state.revisit_due_us());
  out.Add(std::move(revisit));
  if (c.resolved()) return std::move(out).Done();

  // Not resolved: the first-contact flow starts again with the same owner.
  ASSIGN_OR_RETURN(
      v1::Reopened reopened,
      Reopening(state,
                absl::StrCat("the revisit found the problem not resolved (",
                             EnumLabel(c.satisfaction()), ")"),
                /*after_failed_revisit=*/true, context, kAction));
  out.Add(std::move(reopened));

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
  return One(std::move(waived), context);
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
  ASSIGN_OR_RETURN(v1::Reopened reopened,
                   Reopening(state, c.reason(), /*after_failed_revisit=*/false,
                             context, "reopen it"));
  return One(std::move(reopened), context);
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
  return One(std::move(completed), context);
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
  RETURN_IF_ERROR(
      CheckText("override_reason", c.override_reason(), false, kMaxTextBytes));
  if (state.dissatisfied_but_resolved() && c.override_reason().empty()) {
    return WrongState(state, kAction,
                      "the latest revisit found it resolved but the customer "
                      "dissatisfied: sign it off with an override_reason, or "
                      "reopen it");
  }
  if (!state.dissatisfied_but_resolved() && !c.override_reason().empty()) {
    return absl::InvalidArgumentError(
        "override_reason applies only when the latest revisit left the "
        "customer dissatisfied");
  }
  v1::SignedOff signed_off;
  signed_off.set_signed_by_agent_id(context.actor);
  signed_off.set_review_note(c.review_note());
  signed_off.set_record_complete(true);
  signed_off.set_unresolved_items_passed_on(c.unresolved_items_passed_on());
  signed_off.set_verified_with_customer(state.revisits() > 0);
  signed_off.set_override_reason(c.override_reason());
  return One(std::move(signed_off), context);
}

}  // namespace ledger

namespace ledger {

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordSpotCheck& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "record a spot check";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction,
                              /*allow_closed=*/true));
  RETURN_IF_ERROR(RequireHeadOrGm(context, kAction));
  RETURN_IF_ERROR(CheckText("finding", c.finding(), true, kMaxTextBytes));
  v1::SpotChecked checked;
  checked.set_record_accurate(c.record_accurate());
  checked.set_finding(c.finding());
  checked.set_checked_by_agent_id(context.actor);
  return One(std::move(checked), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::MarkTypicalCase& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "mark a typical case";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction,
                              /*allow_closed=*/true));
  if (!complaint_internal::IsHead(context)) {
    return absl::PermissionDeniedError(
        absl::StrCat("only a centre head may ", kAction, "; ", context.actor,
                     " is not one"));
  }
  if (!state.classified()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "complaint ", c.complaint_id(),
        " is not classified: a typical case is filed by its category"));
  }
  RETURN_IF_ERROR(CheckText("summary", c.summary(), true, kMaxTextBytes));
  RETURN_IF_ERROR(CheckText("solution", c.solution(), true, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckText("points_to_watch", c.points_to_watch(), true, kMaxTextBytes));
  constexpr int kMaxTags = 10;
  if (c.tags_size() > kMaxTags) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tags: at most ", kMaxTags, " (", c.tags_size(), " given)"));
  }
  for (int i = 0; i < c.tags_size(); ++i) {
    RETURN_IF_ERROR(
        CheckText(absl::StrCat("tags[", i, "]"), c.tags(i), true, 64));
  }
  v1::TypicalCaseMarked marked;
  marked.set_summary(c.summary());
  marked.set_solution(c.solution());
  marked.set_points_to_watch(c.points_to_watch());
  marked.set_category(state.category());
  *marked.mutable_tags() = c.tags();
  marked.set_marked_by_agent_id(context.actor);
  return One(std::move(marked), context);
}

absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::EraseCustomerData& c,
                                const DecideContext& context) {
  constexpr absl::string_view kAction = "erase the customer's personal data";
  RETURN_IF_ERROR(CheckCommon(state, c.complaint_id(), context, kAction,
                              /*allow_closed=*/true));
  RETURN_IF_ERROR(RequireHead(context, state, kAction));
  RETURN_IF_ERROR(CheckText("reason", c.reason(), true, kMaxTextBytes));
  if (state.customer_ref().empty()) {
    return WrongState(state, kAction, "it names no customer");
  }
  if (state.customer_data_erased()) {
    return WrongState(state, kAction, "it is already erased");
  }
  v1::CustomerDataErased erased;
  erased.set_customer_ref(state.customer_ref());
  erased.set_reason(c.reason());
  erased.set_erased_by_agent_id(context.actor);
  return One(std::move(erased), context);
}

}  // namespace ledger
