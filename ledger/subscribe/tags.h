// EventTagger: the tags an application attaches to events and streams, for
// subscription filters by tag (v1::SubscriptionFilter.tags). The
// subscription machinery knows nothing of what the tags mean; the
// application (app/complaint_tags.h) says which events carry which tags,
// and which tags a filter's shorthand fields stand for.
#ifndef LEDGER_SUBSCRIBE_TAGS_H_
#define LEDGER_SUBSCRIBE_TAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {

// Implementations are thread-safe: every subscription asks at once.
class EventTagger {
 public:
  virtual ~EventTagger() = default;

  // The tags `filter` asks for: its `tags`, and those its shorthand fields
  // stand for. INVALID_ARGUMENT naming a bad field.
  virtual absl::StatusOr<std::vector<std::string>> TagsWanted(
      const v1::SubscriptionFilter& filter) const = 0;

  // Adds `event`'s tags (its own, and its stream's) to *tags. May read the
  // store for what it has not seen of the stream; DATA_LOSS when that
  // fails its checks.
  virtual absl::Status TagsOf(const v1::Event& event,
                              std::vector<std::string>* tags) = 0;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_TAGS_H_
