// Typed access to an event's payload: the envelope names the payload's full
// proto name in event_type; these check it and (de)serialize. Consumers of
// many events take them decoded once instead (ledger/events/visitor.h).
#ifndef LEDGER_EVENTS_PAYLOAD_H_
#define LEDGER_EVENTS_PAYLOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

template <typename Payload>
const std::string& EventTypeOf() {
  // Looked up once: descriptor() costs a check of the descriptor pool's
  // initialisation each time, and projections ask for every event.
  static const std::string& name = Payload::descriptor()->full_name();
  return name;
}

template <typename Payload>
bool Is(const v1::Event& event) {
  return event.event_type() == EventTypeOf<Payload>();
}

// DATA_LOSS: `event`'s payload bytes are not a message of its type (what
// Unwrap answers, for readers of the bytes of their own).
inline absl::Status PayloadDoesNotParse(const v1::Event& event) {
  return absl::DataLossError(absl::StrCat("the ", event.event_type(),
                                          " payload at position ",
                                          event.position(), " does not parse"));
}

namespace payload_internal {

template <typename Payload>
absl::Status OtherType(const v1::Event& event) {
  return absl::InternalError(absl::StrCat("expected a ", EventTypeOf<Payload>(),
                                          " event, found ",
                                          event.event_type()));
}

}  // namespace payload_internal

// An envelope holding `payload`; the store fills in the rest on append.
template <typename Payload>
v1::Event Wrap(const Payload& payload) {
  v1::Event event;
  event.set_event_type(EventTypeOf<Payload>());
  payload.SerializeToString(event.mutable_payload());
  return event;
}

// The payload of `event` as a Payload: INTERNAL when the envelope names
// another type, DATA_LOSS when the bytes do not parse.
template <typename Payload>
absl::StatusOr<Payload> Unwrap(const v1::Event& event) {
  if (!Is<Payload>(event)) return payload_internal::OtherType<Payload>(event);
  Payload payload;
  if (!payload.ParseFromString(event.payload())) {
    return PayloadDoesNotParse(event);
  }
  return payload;
}

}  // namespace ledger

#endif  // LEDGER_EVENTS_PAYLOAD_H_
