// Helpers shared by the command deciders (decide_*.cc): the event builder,
// the checks every command makes, and deadlines on the calendar. Internal to
// ledger/complaint.
#ifndef LEDGER_COMPLAINT_INTERNAL_DECIDE_SUPPORT_H_
#define LEDGER_COMPLAINT_INTERNAL_DECIDE_SUPPORT_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ledger/complaint/decide.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger::complaint_internal {

inline int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// Collects the events of one decision, each with the actor.
class Builder {
 public:
  explicit Builder(const DecideContext& context) : actor_(context.actor) {}
  template <typename Payload>
  void Add(Payload&& payload) {
    v1::Event event = Wrap(payload);
    event.set_actor(actor_);
    events_.Add(std::move(event), std::forward<Payload>(payload));
  }
  // An event whose payload the caller fills in place, before Done (which
  // serializes it then); the reference holds until the next Add or New.
  // Spares the move of a large payload into the decision.
  template <typename Payload>
  Payload& New() {
    return events_.Emplace<Payload>();
  }
  // Seals what New made (an event without a type yet).
  Decision Done() && {
    for (size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].event_type().empty()) events_.Seal(i, actor_);
    }
    return std::move(events_);
  }

 private:
  const std::string& actor_;
  Decision events_;
};

// A decision of one event.
template <typename Payload>
Decision One(Payload&& payload, const DecideContext& context) {
  Builder out(context);
  out.Add(std::forward<Payload>(payload));
  return std::move(out).Done();
}

v1::SeverityRaised Raise(v1::Severity from, v1::Severity to, std::string reason,
                         bool automatic, const DecideContext& context);

// FAILED_PRECONDITION: "complaint X is <stage>; cannot <action>: <why>".
absl::Status WrongState(const v1::ComplaintState& state,
                        absl::string_view action, absl::string_view why = "");

absl::Status RequireActiveAgent(const DecideContext& context);
bool IsHead(const DecideContext& context);
absl::Status RequireHead(const DecideContext& context,
                         const v1::ComplaintState& state,
                         absl::string_view action);
absl::Status RequireOwnerOrHead(const DecideContext& context,
                                const v1::ComplaintState& state,
                                absl::string_view action);
// PERMISSION_DENIED "only a centre head or the general manager may
// <action>; <actor> is neither".
absl::Status RequireHeadOrGm(const DecideContext& context,
                             absl::string_view action);

// Everything but intake: the complaint exists, the actor is an agent, the
// stream has room, and (unless `allow_closed`) it is not closed.
absl::Status CheckCommon(const v1::ComplaintState& state,
                         const std::string& complaint_id,
                         const DecideContext& context, absl::string_view action,
                         bool allow_closed = false);

// The calendar in force, or FAILED_PRECONDITION naming the action.
absl::StatusOr<const BusinessCalendar*> Calendar(const DecideContext& context,
                                                 absl::string_view action);
absl::StatusOr<int64_t> WorkingDaysAfter(const DecideContext& context,
                                         int64_t from_us, int days,
                                         absl::string_view action);

// A registered, active agent named in `field`, or INVALID_ARGUMENT.
absl::Status CheckAgentField(const DecideContext& context,
                             absl::string_view field, const std::string& id);
// "station s1" / "department eng".
std::string TargetLabel(const v1::AssistTarget& target);
// A registered station or department, or INVALID_ARGUMENT.
absl::Status CheckTarget(const DecideContext& context, absl::string_view field,
                         const v1::AssistTarget& target);

}  // namespace ledger::complaint_internal

#endif  // LEDGER_COMPLAINT_INTERNAL_DECIDE_SUPPORT_H_
