// The tags the ledger attaches to events for subscriptions filtered by tag
// (ledger/subscribe/tags.h): "station:<id>" on whatever concerns a
// distribution station: every event of a complaint whose intake named the
// station, an assist request to it with its answers and chases, the
// station's registration and monthly volumes. A filter's station_id is
// shorthand for that tag.
#ifndef LEDGER_APP_COMPLAINT_TAGS_H_
#define LEDGER_APP_COMPLAINT_TAGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/store/event_store.h"
#include "ledger/subscribe/tags.h"

namespace ledger {

std::string StationTag(absl::string_view station_id);

class ComplaintTagger final : public EventTagger {
 public:
  // `store` must outlive the tagger: the station of a complaint whose
  // intake it has not seen is read from the complaint's first event.
  explicit ComplaintTagger(const EventStore* store) : store_(*store) {}

  absl::StatusOr<std::vector<std::string>> TagsWanted(
      const v1::SubscriptionFilter& filter) const override;
  absl::Status TagsOf(const v1::Event& event,
                      std::vector<std::string>* tags) override;

 private:
  // The station a complaint stream concerns ("" for none), remembered.
  absl::StatusOr<std::string> StationOf(const std::string& stream_id);
  void Remember(const std::string& stream_id, std::string station);

  const EventStore& store_;
  absl::Mutex mu_;
  // Bounded: cleared when full.
  absl::flat_hash_map<std::string, std::string> stations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_APP_COMPLAINT_TAGS_H_
