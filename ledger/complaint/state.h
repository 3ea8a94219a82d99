// ComplaintState folded from a complaint's own events. Pure: the state is
// a function of the events alone (times come from the events), so the
// same stream gives the same state on every machine, at every replay.
#ifndef LEDGER_COMPLAINT_STATE_H_
#define LEDGER_COMPLAINT_STATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ledger/events/visitor.h"
#include "ledger/v1/complaint_state.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

inline constexpr char kComplaintStreamPrefix[] = "complaint-";

// "complaint-<id>".
std::string ComplaintStream(absl::string_view complaint_id);
// The id in a complaint stream's name; empty for other streams.
std::string ComplaintIdOfStream(absl::string_view stream_id);
// The same, as a view into `stream_id`.
absl::string_view ComplaintIdView(absl::string_view stream_id);

// Folds `event`, the next event of the complaint's stream, into *state:
// the first must be a ComplaintReceived at revision 0, each later one the
// next revision. INTERNAL for an event out of order or of a type that does
// not belong in a complaint stream; DATA_LOSS for a payload that does not
// parse. On error *state is unspecified.
absl::Status Apply(const v1::Event& event, v1::ComplaintState* state);
// The same, for an event decoded already (ledger/events/visitor.h).
absl::Status Apply(const DecodedEvent& event, v1::ComplaintState* state);

// Folds a whole stream, oldest first.
absl::StatusOr<v1::ComplaintState> Fold(absl::Span<const v1::Event> events);

// For messages: "open", "replied (waiting for the revisit)", ...
std::string StageLabel(v1::Stage stage);

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_STATE_H_
