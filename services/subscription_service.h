// The Subscriptions gRPC service: Subscribe streams the log to a consumer
// (ledger/subscribe/subscription.h); Ack keeps a durable subscription's
// position in the store, so a reconnecting consumer resumes after it. With a
// member id, the durable name is a consumer group (ledger/subscribe/
// groups.h): a member's stream ends with ABORTED when the group changes,
// and the member subscribes again.
#ifndef LEDGER_SERVICES_SUBSCRIPTION_SERVICE_H_
#define LEDGER_SERVICES_SUBSCRIPTION_SERVICE_H_

#include <atomic>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "app/complaint_tags.h"
#include "ledger/store/event_store.h"
#include "ledger/subscribe/groups.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class SubscriptionService final
    : public ParsedRequests<v1::Subscriptions::CallbackService> {
 public:
  // Each pointer must outlive the service. Each Subscribe call streams from
  // a thread of its own; acks run on `pool`.
  // A consumer group member gone longer than `takeover` has its share
  // taken over by the others.
  SubscriptionService(
      EventStore* store, SubscriptionHub* hub, WorkPool* pool,
      absl::Duration takeover = absl::Seconds(10),
      std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>())
      : store_(*store),
        hub_(*hub),
        pool_(*pool),
        tagger_(store),
        groups_(&store->views(), takeover, std::move(clock)) {
    ParseRequests(v1::Subscriptions::service_full_name(), "Ack",
                  &SubscriptionService::Ack);
    ParseSubscribeRequests();
  }

  grpc::ServerUnaryReactor* Ack(grpc::CallbackServerContext* context,
                                const v1::AckRequest* request,
                                v1::AckResponse* response) override;

  // Ends every subscription promptly (before the server shuts down).
  void Stop();

  // Subscribe's body: sends what `request` asks for with `write` (false once
  // the stream is broken) until the subscription ends; blocks throughout.
  // `caller` is who the gate admitted (nobody when it is open).
  grpc::Status Stream(
      grpc::CallbackServerContext* context, const Caller& caller,
      const v1::SubscribeRequest& request,
      const std::function<bool(const v1::SubscribeResponse&)>& write);

 private:
  // Subscribe takes its request's bytes (an unparseable one is
  // INVALID_ARGUMENT naming the RPC, services/parsed_requests.h) and
  // streams from a thread of its own.
  void ParseSubscribeRequests();
  grpc::Status AckNow(grpc::CallbackServerContext* context,
                      const v1::AckRequest& request, v1::AckResponse* response);

  EventStore& store_;
  SubscriptionHub& hub_;
  WorkPool& pool_;
  ComplaintTagger tagger_;
  ConsumerGroups groups_;
  std::atomic<bool> stopping_{false};
  // Acks read, compare and write a checkpoint: one at a time.
  absl::Mutex ack_mu_;
  // Open subscriptions per caller (its address, without the port).
  absl::Mutex callers_mu_;
  absl::flat_hash_map<std::string, size_t> callers_
      ABSL_GUARDED_BY(callers_mu_);
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_SUBSCRIPTION_SERVICE_H_
