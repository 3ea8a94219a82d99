// What the gRPC services share to be callback services (every method a
// callback method, v1::X::CallbackService).
//
// Why no method is synchronous: most ledgerd processes whose methods were
// mostly synchronous held a call in flight ~100 ms once every 1.1 s, and
// answered every call slower; all-callback ones rarely do (Debian's gRPC
// 1.51; measured with tools/call_gaps.py, BENCHMARKS.md "Over gRPC, against
// PostgreSQL"). Callback methods run on gRPC's threads, which must not
// block: a method that may wait (a RocksDB read that may touch the disk, a
// fold of a view, a command waiting for its fsync) runs its body on a
// WorkPool with FinishOn; one that only reads memory answers at once with
// FinishNow.
#ifndef LEDGER_SERVICES_CALLBACKS_H_
#define LEDGER_SERVICES_CALLBACKS_H_

#include <utility>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "ledger/base/work_pool.h"

namespace ledger {

// Finishes the call with the grpc::Status that `body()` returns, run on one
// of `pool`'s threads. The call's context, request and response live until
// the call finishes, so `body` may point at them.
template <typename Body>
grpc::ServerUnaryReactor* FinishOn(WorkPool& pool,
                                   grpc::CallbackServerContext* context,
                                   Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool.Schedule(
      [reactor, body = std::move(body)]() mutable { reactor->Finish(body()); });
  return reactor;
}

// Finishes the call with what `body` returns, run here on gRPC's thread: for
// bodies that only read memory.
template <typename Body>
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(body());
  return reactor;
}

}  // namespace ledger

#endif  // LEDGER_SERVICES_CALLBACKS_H_
