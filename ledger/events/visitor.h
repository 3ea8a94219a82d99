// Events parsed once and dispatched by type. An event's payload is parsed by
// DecodedEvent::Decode, once, into the message its event_type names; every
// consumer of the event (the complaint state fold, the reference data, the
// customer index, the projection views, the subscription filters) then
// implements EventVisitor and is handed the parsed payload by
// DecodedEvent::Accept: no consumer checks types or parses on its own.
//
// The event catalogue is kEventTypes below: every payload message of
// proto/ledger/v1/complaint_events.proto and reference_events.proto
// (tests/event_visitor_test.cc checks the list against the files). A new
// event type is one line there; every visitor then has a Visit for it that
// does nothing until the visitor overrides it.
#ifndef LEDGER_EVENTS_VISITOR_H_
#define LEDGER_EVENTS_VISITOR_H_

#include <cstddef>
#include <memory>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/log_events.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

template <typename... Types>
struct TypeList {};

// The catalogue, in file order.
using EventTypes = TypeList<
    // complaint_events.proto
    v1::ComplaintReceived, v1::OwnerAssigned, v1::OwnerHandedOver,
    v1::ComplaintClassified, v1::SeverityRaised, v1::HandlingTrackChosen,
    v1::AssistRequested, v1::AssistAnswered, v1::AssistChased,
    v1::EscalatedToGm, v1::GmDecided, v1::Replied, v1::RevisitRecorded,
    v1::RevisitWaived, v1::Reopened, v1::PaperworkCompleted, v1::SignedOff,
    v1::CustomerDataErased, v1::SpotChecked, v1::TypicalCaseMarked,
    // reference_events.proto
    v1::StationRegistered, v1::StationMonthlyVolumeRecorded,
    v1::DepartmentRegistered, v1::AgentRegistered, v1::CalendarPublished,
    v1::PenaltySchedulePublished, v1::SpecialPeriodDeclared,
    v1::CustomerTypesPublished, v1::AssessmentPointsEntered,
    v1::AssessmentPublished, v1::AssessmentAppealed, v1::AppealDecided,
    v1::PenaltyTableDrawnUp, v1::PenaltyTableSigned, v1::PenaltyTablePublished,
    v1::PenaltyTableSentToFinance, v1::DigestDrawnUp, v1::DigestCirculated,
    v1::ReadingRecorded,
    // log_events.proto (written by the store itself)
    v1::LogEndAccepted>;

namespace events_internal {

// The Visit of one payload type: Unhandled, unless overridden.
template <typename Payload>
class VisitOne {
 public:
  virtual ~VisitOne() = default;
  virtual absl::Status Visit(const v1::Event& event, const Payload& payload) {
    return Unhandled(event);
  }

 protected:
  // One overrider in EventVisitor overrides this of every VisitOne.
  virtual absl::Status Unhandled(const v1::Event& event) = 0;
};

template <typename List>
class VisitAll;
template <typename... Payloads>
class VisitAll<TypeList<Payloads...>> : public VisitOne<Payloads>... {
 public:
  using VisitOne<Payloads>::Visit...;
};

template <typename List>
struct PayloadVariant;
template <typename... Payloads>
struct PayloadVariant<TypeList<Payloads...>> {
  using Type = std::variant<std::monostate, Payloads...>;
};

}  // namespace events_internal

// Implemented by whatever folds events: override
//   absl::Status Visit(const v1::Event& event, const v1::Replied& payload)
// for each type of interest (`override` checks the type is an event); the
// others go to Unhandled, which does nothing unless overridden too.
// `event` is the envelope (stream, revision, position, times, actor); its
// payload bytes need no parsing. A non-OK status is Accept's result.
class EventVisitor : public events_internal::VisitAll<EventTypes> {
 public:
  // An event whose type is not in the catalogue (written by a newer
  // version): Unhandled by default.
  virtual absl::Status VisitUnknown(const v1::Event& event) {
    return Unhandled(event);
  }

 protected:
  // Every type this visitor does not Visit, and unknown ones.
  absl::Status Unhandled(const v1::Event& event) override {
    return absl::OkStatus();
  }
};

// A payload of any type of the catalogue (monostate: unknown).
using EventPayload = events_internal::PayloadVariant<EventTypes>::Type;

// An event and its payload, parsed. Refers to the envelope it was decoded
// from, which must outlive it.
class DecodedEvent {
 public:
  // An event whose payload is at hand already, as `payload`, which must be
  // what `event.payload()` parses to (the decision that made the event had
  // it) and must outlive this.
  DecodedEvent(const v1::Event& event, const EventPayload& payload)
      : event_(&event), payload_(&payload) {}

  // Parses `event`'s payload as the type its event_type names: DATA_LOSS
  // (naming the type and position) when the bytes are not one; an unknown
  // type decodes, and is visited as unknown.
  static absl::StatusOr<DecodedEvent> Decode(const v1::Event& event);

  const v1::Event& event() const { return *event_; }
  // The payload when it is a `Payload`, else nullptr.
  template <typename Payload>
  const Payload* As() const {
    return std::get_if<Payload>(payload_);
  }
  bool known() const { return payload_->index() != 0; }

  // Calls visitor.Visit(event, payload) for the payload's type (or
  // VisitUnknown) and returns its status.
  absl::Status Accept(EventVisitor& visitor) const;

 private:
  DecodedEvent(const v1::Event& event, std::unique_ptr<EventPayload> payload)
      : event_(&event), payload_(payload.get()), owned_(std::move(payload)) {}

  const v1::Event* event_;
  const EventPayload* payload_;
  // What Decode parsed; null when the payload was at hand.
  std::unique_ptr<EventPayload> owned_;
};

// Decode, then Accept: for a consumer that is the event's only one.
absl::Status Visit(const v1::Event& event, EventVisitor& visitor);

}  // namespace ledger

#endif  // LEDGER_EVENTS_VISITOR_H_
