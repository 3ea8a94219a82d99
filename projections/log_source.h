// LogSource: where a ProjectionRunner reads the global log. In process it is
// the ledger's own store and hub (LocalLog); a projection process of its own
// reads a remote ledgerd over gRPC (RemoteLog, remote_log.h). Both deliver
// the same messages in the same order, so the views cannot tell them apart.
#ifndef LEDGER_PROJECTIONS_LOG_SOURCE_H_
#define LEDGER_PROJECTIONS_LOG_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/store/event_store.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {

class LogSource {
 public:
  using Sink = std::function<bool(const v1::SubscribeResponse&)>;

  virtual ~LogSource() = default;

  // Where the log is read from, for messages ("in process", "host:port").
  virtual std::string name() const = 0;

  // Delivers the whole log from `from_position` on (events, checkpoints,
  // heartbeats; no filter) until `sink` returns false or `stop` returns true
  // (checked at least on every heartbeat, about every 100 ms). `on_error`
  // hears about trouble the source rides out (a remote ledger gone away: it
  // reconnects from where it was); OkStatus once it is delivering again.
  // Returns only for good: OK when stopped, else the error it cannot ride
  // out (a broken log).
  virtual absl::Status Follow(
      uint64_t from_position, const Sink& sink,
      const std::function<bool()>& stop,
      const std::function<void(const absl::Status&)>& on_error) = 0;

  // Visits positions from..to in order, until `visit` returns false.
  virtual absl::Status Scan(
      uint64_t from, uint64_t to,
      const std::function<bool(const v1::Event&)>& visit) const = 0;

  // The last position of the log.
  virtual absl::StatusOr<uint64_t> Head() const = 0;
};

// The ledger's own store and hub, in this process; each must outlive it.
// `hub` may be null for a source only scanned (Scan, Head), never followed.
std::unique_ptr<LogSource> LocalLog(const EventStore* store,
                                    SubscriptionHub* hub);

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_LOG_SOURCE_H_
