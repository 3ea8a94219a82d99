// What a subscriber asked for (v1::SubscriptionFilter), checked and ready
// to match events.
#ifndef LEDGER_SUBSCRIBE_FILTER_H_
#define LEDGER_SUBSCRIBE_FILTER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ledger/subscribe/tags.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {

class EventFilter {
 public:
  // INVALID_ARGUMENT naming a bad field; tags asked for without a
  // `tagger` (nullptr) to tell them.
  static absl::StatusOr<EventFilter> Create(
      const v1::SubscriptionFilter& filter, EventTagger* tagger);

  absl::StatusOr<bool> Matches(const v1::Event& event) const;
  // Matches every event.
  bool empty() const {
    return filter_.stream_prefix().empty() && filter_.stream_id().empty() &&
           types_.empty() && tags_.empty();
  }

 private:
  EventFilter() = default;

  v1::SubscriptionFilter filter_;
  absl::flat_hash_set<std::string> types_;
  // Any of them.
  absl::flat_hash_set<std::string> tags_;
  EventTagger* tagger_ = nullptr;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_FILTER_H_
