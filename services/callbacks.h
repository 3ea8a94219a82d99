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

#include <functional>
#include <utility>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "ledger/base/work_pool.h"

namespace ledger {

namespace callbacks_internal {

// What a call whose request came as bytes (services/parsed_requests.h)
// does once its body answered OK: its typed response written into the
// call's bytes. Set by that handler around its call of the typed method,
// taken by FinishOn or FinishNow on the same thread.
using Serialize = std::function<grpc::Status()>;
inline thread_local Serialize* pending_serialize = nullptr;

inline Serialize TakeSerialize() {
  if (pending_serialize == nullptr) return nullptr;
  Serialize serialize = std::move(*pending_serialize);
  pending_serialize = nullptr;
  return serialize;
}

// The body's status, then (when OK) the response written.
inline grpc::Status Answer(grpc::Status status, const Serialize& serialize) {
  if (status.ok() && serialize) return serialize();
  return status;
}

// Finishes `reactor`'s call with what `body()` returns, run on one of
// `pool`'s threads, then (when OK) `serialize` (taken with TakeSerialize on
// gRPC's thread, before anything waits).
template <typename Body>
void FinishLater(WorkPool& pool, grpc::ServerUnaryReactor* reactor,
                 Serialize serialize, Body body) {
  pool.Schedule([reactor, body = std::move(body),
                 serialize = std::move(serialize)]() mutable {
    reactor->Finish(Answer(body(), serialize));
  });
}

}  // namespace callbacks_internal

// Finishes the call with the grpc::Status that `body()` returns, run on one
// of `pool`'s threads. The call's context, request and response live until
// the call finishes, so `body` may point at them.
template <typename Body>
grpc::ServerUnaryReactor* FinishOn(WorkPool& pool,
                                   grpc::CallbackServerContext* context,
                                   Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  callbacks_internal::FinishLater(
      pool, reactor, callbacks_internal::TakeSerialize(), std::move(body));
  return reactor;
}

// Finishes the call with what `body` returns, run here on gRPC's thread: for
// bodies that only read memory.
template <typename Body>
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  callbacks_internal::Serialize serialize = callbacks_internal::TakeSerialize();
  reactor->Finish(callbacks_internal::Answer(body(), serialize));
  return reactor;
}

}  // namespace ledger

#endif  // LEDGER_SERVICES_CALLBACKS_H_
