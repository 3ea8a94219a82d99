// RemoteLog: the global log of a ledgerd elsewhere, over gRPC, for a
// projection process of its own (ledgerd --projections_only). Follow is one
// Subscriptions.Subscribe stream from the next position; when the stream
// breaks (the ledger restarts, the network drops) it reconnects with backoff
// from the position after the last one delivered, so nothing is delivered
// twice or skipped. Each event must continue the hash chain of the one
// before it (previous_hash), across reconnects too: a ledger that is not the
// one the views were built from is refused for good (FAILED_PRECONDITION),
// not silently mixed in.
#ifndef LEDGER_PROJECTIONS_REMOTE_LOG_H_
#define LEDGER_PROJECTIONS_REMOTE_LOG_H_

#include <memory>
#include <string>

#include "ledger/v1/subscription_service.pb.h"
#include "projections/log_source.h"
#include "rpc/channel.h"

namespace ledger {

// `target` is host:port of a ledgerd, reached with `security` (rpc/channel.h:
// TLS, and the follower's own identity: a service's client certificate or a
// token). Follow delivers only what `filter` passes (and checkpoints for
// the stretches it skips); the default, everything.
std::unique_ptr<LogSource> RemoteLog(const std::string& target,
                                     const ClientSecurity& security = {},
                                     const v1::SubscriptionFilter& filter = {});

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_REMOTE_LOG_H_
