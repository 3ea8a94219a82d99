// One log line per gRPC call that was refused (any status but OK) or slow
// (at least `slow`): its request id (the client's "x-request-id" header, or
// one made here), the RPC, the peer, the authenticated actor (as the gate
// found it, when it did), the status code and message, and the latency.
// Calls that went well and fast are not logged: the metrics count those
// (every unary call's latency, by method and status code, into `metrics`
// when given; services/metrics.h).
#ifndef LEDGER_SERVICES_CALL_LOG_H_
#define LEDGER_SERVICES_CALL_LOG_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "services/metrics.h"

namespace ledger {

// Who each call in flight acts as, once the gate has authenticated it; the
// call log takes it when the call ends.
class CallActors {
 public:
  void Set(const grpc::ServerContextBase* call, std::string actor);
  // The actor of `call` ("" when none was set), forgotten.
  std::string Take(const grpc::ServerContextBase* call);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, std::string> actors_
      ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewCallLog(absl::Duration slow, CallActors* actors,
           CallMetrics* metrics = nullptr);

}  // namespace ledger

#endif  // LEDGER_SERVICES_CALL_LOG_H_
