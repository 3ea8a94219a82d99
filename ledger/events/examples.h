// One example event of every type in the catalogue, as a small complaint's
// life and its reference data. Fixed values: the golden files under
// tests/testdata/events are these (tests/golden_events_test.cc).
#ifndef LEDGER_EVENTS_EXAMPLES_H_
#define LEDGER_EVENTS_EXAMPLES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "ledger/store/event_store.h"

namespace ledger {

struct ExampleEvent {
  std::string stream_id;
  std::string actor;
  std::shared_ptr<const google::protobuf::Message> payload;
};

// In an order that makes sense as history: reference data first, then the
// complaint from intake to sign-off. Exactly one event of each type.
std::vector<ExampleEvent> ExampleEvents();

// Appends ExampleEvents() to `store`, one append each, with command ids
// "<tag>-1", "<tag>-2", ... and correlation id `tag`. Returns how many.
absl::StatusOr<int> AppendExamples(EventStore& store, const std::string& tag);

}  // namespace ledger

#endif  // LEDGER_EVENTS_EXAMPLES_H_
