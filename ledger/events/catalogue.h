// The event catalogue: every payload type the ledger knows, looked up by the
// name an envelope carries in event_type (the payload's full proto name).
#ifndef LEDGER_EVENTS_CATALOGUE_H_
#define LEDGER_EVENTS_CATALOGUE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// Every event payload type: the top-level messages of
// complaint_events.proto and reference_events.proto, in file order.
const std::vector<const google::protobuf::Descriptor*>& AllEventTypes();

// "ledger.v1.Replied" for "Replied"; a name with a '.' as it is.
std::string FullEventTypeName(const std::string& type);

// The payload type named `event_type`, or nullptr when it is not an event.
const google::protobuf::Descriptor* FindEventType(
    const std::string& event_type);

// Decodes the payload of `event` as the type its event_type names.
// NOT_FOUND for an unknown type, DATA_LOSS when the bytes do not parse.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> DecodePayload(
    const v1::Event& event);

}  // namespace ledger

#endif  // LEDGER_EVENTS_CATALOGUE_H_
