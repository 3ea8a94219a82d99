// One example event of every type in the catalogue, as a small complaint's
// life and its reference data. Fixed values: the golden files under
// tests/testdata/events are these, and `ledger_seed` puts them into a new
// ledger so there is something to look at.
#ifndef LEDGER_EVENTS_EXAMPLES_H_
#define LEDGER_EVENTS_EXAMPLES_H_

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace ledger {

struct ExampleEvent {
  std::string stream_id;
  std::string actor;
  std::shared_ptr<const google::protobuf::Message> payload;
};

// In an order that makes sense as history: reference data first, then the
// complaint from intake to sign-off. Exactly one event of each type.
std::vector<ExampleEvent> ExampleEvents();

}  // namespace ledger

#endif  // LEDGER_EVENTS_EXAMPLES_H_
