// What a subscriber asked for (v1::SubscriptionFilter), checked and ready
// to match events, and the directory of which station a complaint concerns.
#ifndef LEDGER_SUBSCRIBE_FILTER_H_
#define LEDGER_SUBSCRIBE_FILTER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {

// The station each complaint stream concerns: the one named by its
// ComplaintReceived. Learns from events passing by; asks the store for the
// first event of a stream it has not seen. Thread-safe; the cache is
// bounded (cleared when full).
class StationDirectory {
 public:
  explicit StationDirectory(const EventStore* store) : store_(*store) {}

  // "" when the stream is no complaint or named no station.
  absl::StatusOr<std::string> StationOf(const std::string& stream_id);
  void Learn(const v1::Event& event);

 private:
  void Remember(const std::string& stream_id, std::string station);

  const EventStore& store_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> stations_ ABSL_GUARDED_BY(mu_);
};

class EventFilter {
 public:
  // INVALID_ARGUMENT naming a bad field.
  static absl::StatusOr<EventFilter> Create(
      const v1::SubscriptionFilter& filter, StationDirectory* stations);

  absl::StatusOr<bool> Matches(const v1::Event& event) const;
  bool by_station() const { return !filter_.station_id().empty(); }
  // Matches every event.
  bool empty() const {
    return filter_.stream_prefix().empty() && filter_.stream_id().empty() &&
           types_.empty() && filter_.station_id().empty();
  }

 private:
  EventFilter() = default;
  absl::StatusOr<bool> ConcernsStation(const v1::Event& event) const;

  v1::SubscriptionFilter filter_;
  absl::flat_hash_set<std::string> types_;
  StationDirectory* stations_ = nullptr;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_FILTER_H_
