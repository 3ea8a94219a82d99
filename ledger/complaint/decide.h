// Decide: a command against a complaint's state -> the events it causes, or
// the reason it is refused. The rules of docs/rules.md §1–§10 live here.
// Pure: no I/O, no clock (the time is in the context), so the same state,
// command and context always give the same events.
//
// Refusals: INVALID_ARGUMENT for a bad field (named); FAILED_PRECONDITION
// when the complaint's state does not allow the action (the message names
// the state and the action); PERMISSION_DENIED when the actor lacks the
// role; NOT_FOUND for a complaint never received; ALREADY_EXISTS for a
// second intake under one id.
//
// Who may act: the owner or a centre head, unless said otherwise below.
#ifndef LEDGER_COMPLAINT_DECIDE_H_
#define LEDGER_COMPLAINT_DECIDE_H_

#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/events/payload.h"
#include "ledger/events/visitor.h"
#include "ledger/v1/commands.pb.h"
#include "ledger/v1/complaint_state.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// Rules the sources leave to the site; defaults are the stricter reading
// (docs/rules.md §15).
struct LifecyclePolicy {
  // Failed revisits after which severity rises to repeat (docs/rules.md §8,
  // §10).
  int failed_revisits_for_repeat = 2;
  // Same customer, same category within this window: repeat (§10).
  absl::Duration repeat_window = absl::Hours(24 * 30);
  // On the spot: answered within this of the flow's start (§4).
  absl::Duration on_the_spot = absl::Minutes(5);
  // Working-day deadlines (§4, §5, §8), each "by the end of the day shift of
  // the N-th working day after".
  int internal_study_working_days = 1;
  int coordinated_working_days = 2;
  int gm_decision_reply_working_days = 1;
  int revisit_working_days = 2;
  int paperwork_working_days = 1;
};

struct DecideContext {
  absl::Time now;
  // The acting agent (must be registered and active).
  std::string actor;
  const ReferenceData* reference = nullptr;
  const LifecyclePolicy* policy = nullptr;
  // Receive and Classify: the customer's complaints so far (repeat
  // detection); the complaint itself may be among them.
  std::vector<PriorComplaint> customer_history;
  // Receive: the customer's ref as the app computed it (a keyed hash, when
  // the site has a key); empty: CustomerRef(phone) unkeyed.
  std::string customer_ref;
};

// The events a command causes, in order: each an envelope with event_type,
// payload and actor set (the store does the rest), and beside it the
// payload as decided, so that whoever folds or indexes the events once they
// are appended need not parse them back (DecodedEvent).
class Decision {
 public:
  Decision() = default;

  // Kept in place: moved once, from the decider.
  template <typename Payload>
  void Add(v1::Event event, Payload&& payload) {
    Reserve();
    events_.push_back(std::move(event));
    payloads_.emplace_back(std::in_place_type<std::decay_t<Payload>>,
                           std::forward<Payload>(payload));
  }

  // A payload made in place (no move of it), its envelope empty until
  // Seal(i) fills it from the payload as it then stands. The reference
  // holds until the next Add or Emplace.
  template <typename Payload>
  Payload& Emplace() {
    Reserve();
    events_.emplace_back();
    return payloads_.emplace_back().template emplace<Payload>();
  }
  // Fills event `i`'s type and payload bytes from its payload, and names
  // `actor`.
  void Seal(size_t i, const std::string& actor) {
    std::visit(
        [&](const auto& payload) {
          using P = std::decay_t<decltype(payload)>;
          if constexpr (!std::is_same_v<P, std::monostate>) {
            events_[i].set_event_type(EventTypeOf<P>());
            payload.SerializeToString(events_[i].mutable_payload());
            events_[i].set_actor(actor);
          }
        },
        payloads_[i]);
  }

  size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  const v1::Event& operator[](size_t i) const { return events_[i]; }
  v1::Event& operator[](size_t i) { return events_[i]; }
  auto begin() const { return events_.begin(); }
  auto end() const { return events_.end(); }
  auto begin() { return events_.begin(); }
  auto end() { return events_.end(); }

  // The payloads, in the events' order, to be moved out once the events
  // are appended.
  std::vector<EventPayload>& payloads() { return payloads_; }

 private:
  void Reserve() {
    if (events_.empty()) {
      // Enough for every decision (at most an event and two it entails).
      events_.reserve(3);
      payloads_.reserve(3);
    }
  }

  std::vector<v1::Event> events_;
  std::vector<EventPayload> payloads_;
};

// Intake. `state` is the (empty) state of command.complaint_id(). Owner by
// channel; shift from the calendar; green channel paperwork due; optional
// classification with repeat detection.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::ReceiveComplaint& command,
                                const DecideContext& context);
// Centre head only.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::AssignOwner& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::HandOver& command,
                                const DecideContext& context);
// Kind, category, importance; routing suggestion; repeat detection.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Classify& command,
                                const DecideContext& context);
// Repeat: owner or head. Malicious: head only, and only once repeat.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RaiseSeverity& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::ChooseTrack& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RequestAssist& command,
                                const DecideContext& context);
// Any registered agent may record a unit's answer.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::AnswerAssist& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::ChaseAssist& command,
                                const DecideContext& context);
// Centre head only.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::EscalateToGm& command,
                                const DecideContext& context);
// A centre head or the general manager.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordGmDecision& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Reply& command,
                                const DecideContext& context);
// Not resolved: the revisit, a reopen and, after enough failed revisits,
// the rise to repeat, in one decision.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordRevisit& command,
                                const DecideContext& context);
// Centre head only; never for complaints (quota 100%).
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::WaiveRevisit& command,
                                const DecideContext& context);
// A closed complaint: centre head only.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::Reopen& command,
                                const DecideContext& context);
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::CompletePaperwork& command,
                                const DecideContext& context);
// Centre head only.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::SignOff& command,
                                const DecideContext& context);
// A centre head or the general manager; any stage.
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::RecordSpotCheck& command,
                                const DecideContext& context);
// Centre head only; any stage once classified (the case's category tags
// it).
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::MarkTypicalCase& command,
                                const DecideContext& context);
// Centre head only; any stage. The app destroys the customer's data key
// once the event is durable (app/personal_data.h).
absl::StatusOr<Decision> Decide(const v1::ComplaintState& state,
                                const v1::EraseCustomerData& command,
                                const DecideContext& context);

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_DECIDE_H_
