// Subscription: one subscriber's stream of the log. Reads from RocksDB up
// to the acknowledged end of the log, then attaches to the hub and delivers
// live; when it falls behind (its live buffer overflowed) it goes back to
// disk from where it was. Positions are delivered in order, each at most
// once, none skipped, across every switch.
//
// Messages: events that match; a checkpoint after stretches the filter
// skipped (at the end of each disk page, and live at least every 1,024
// positions or heartbeat interval); one caught-up marker at the first
// switch to live; heartbeats on an idle stream.
#ifndef LEDGER_SUBSCRIBE_SUBSCRIPTION_H_
#define LEDGER_SUBSCRIBE_SUBSCRIPTION_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ledger/store/event_store.h"
#include "ledger/subscribe/filter.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {

struct SubscriptionOptions {
  // The first position to deliver (1: the beginning).
  uint64_t from_position = 1;
  v1::SubscriptionFilter filter;
  absl::Duration heartbeat = absl::Seconds(1);
  // Consumer groups: only events this returns true for (empty: all).
  std::function<bool(const v1::Event& event)> share;
  // Catching up from disk comes after the writers
  // (SubscriptionHub::PaceCatchUp): for other services' subscriptions
  // (SubscriptionService), not for the ledger's own projections.
  bool yield_to_writers = false;
};

class Subscription {
 public:
  // Each pointer must outlive the subscription. `tagger` tells the tags of
  // events for a filter by tag; nullptr when the filter has none.
  Subscription(const EventStore* store, SubscriptionHub* hub,
               EventTagger* tagger, SubscriptionOptions options)
      : store_(*store),
        hub_(*hub),
        tagger_(tagger),
        options_(std::move(options)) {}

  // Delivers until `sink` returns false (the consumer went away), `stop`
  // returns true (checked between pages and on every heartbeat), or the hub
  // closes. INVALID_ARGUMENT for a bad filter; RESOURCE_EXHAUSTED over the
  // subscriber limit; a store error (DATA_LOSS naming a broken position).
  absl::Status Run(
      const std::function<bool(const v1::SubscribeResponse&)>& sink,
      const std::function<bool()>& stop);

 private:
  const EventStore& store_;
  SubscriptionHub& hub_;
  EventTagger* tagger_;
  const SubscriptionOptions options_;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_SUBSCRIPTION_H_
