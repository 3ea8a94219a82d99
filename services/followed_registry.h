// FollowedRegistry: the agent registry (ReferenceData: agents, their roles,
// the stations they head) of a ledgerd elsewhere, kept current, for the gate
// of a projection process. Its callers are the ledger's agents, with the
// roles the ledger's own registry gives them, so the process reads the
// reference streams (Ledger.ReadStream) and then follows them
// (Subscriptions.Subscribe, filtered to "ref-"), as the identity it was
// given (rpc/channel.h). If the ledger is away it retries; if the follow
// breaks for good (another ledger, a refused identity) it reads again from
// the start, and until the first read answers Get() is nullptr.
#ifndef LEDGER_SERVICES_FOLLOWED_REGISTRY_H_
#define LEDGER_SERVICES_FOLLOWED_REGISTRY_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "projections/log_source.h"
#include "rpc/channel.h"

namespace ledger {

class FollowedRegistry {
 public:
  FollowedRegistry(std::string target, ClientSecurity security);
  ~FollowedRegistry();
  FollowedRegistry(const FollowedRegistry&) = delete;
  FollowedRegistry& operator=(const FollowedRegistry&) = delete;

  // Starts reading and following on a thread of its own.
  void Start();

  // The registry as last read; nullptr before the first read answered,
  // and while the ledger has not been heard from for kMaxStaleness (its
  // registry may have changed meanwhile: callers get UNAVAILABLE rather
  // than an agent's old roles).
  std::shared_ptr<const ReferenceData> Get() const;
  static constexpr absl::Duration kMaxStaleness = absl::Seconds(30);

 private:
  // The reference streams as of one log position; that position.
  absl::StatusOr<uint64_t> Read(ReferenceData& data) const;
  void Run();
  void Publish(const ReferenceData& data);
  // The ledger answered (an event, a checkpoint, a heartbeat).
  void Heard();

  const std::string target_;
  const ClientSecurity security_;
  // ReadStream of the reference streams.
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  // The log's head, and the follow of "ref-" streams after it.
  std::unique_ptr<LogSource> log_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ReferenceData> current_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time heard_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_FOLLOWED_REGISTRY_H_
