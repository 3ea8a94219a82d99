#include "services/complaint_service.h"

#include "rpc/status.h"
#include "services/actor.h"

namespace ledger {
ComplaintService::ComplaintService(ComplaintApp* app, WorkPool* pool)
    : app_(*app), pool_(*pool), batches_("ledger-batch", kBatchWorkers) {
  InstallCommandHandlers(
      v1::ComplaintService::service_full_name(),
      [this](grpc::CallbackServerContext* context,
             const google::protobuf::Message& command,
             v1::CommandResult* response) {
        return Execute(context, command, response);
      });
}

// Finishes the call on one of `replies_`' threads with ExecuteAsync's
// outcome (given on this thread when the command was refused, on the
// store's writer thread once it is durable): Finish writes to the socket
// inline, which the writer, the ledger's one serial stage, should not wait
// for.
grpc::ServerUnaryReactor* ComplaintService::Execute(
    grpc::CallbackServerContext* context,
    const google::protobuf::Message& command, v1::CommandResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ExecuteAsync(
      command, ActorOf(context, *CommandContextOf(command)),
      [this, context, reactor,
       response](absl::StatusOr<v1::CommandResult> result) {
        replies_.Schedule(
            [context, reactor, response, result = std::move(result)]() mutable {
              if (!result.ok()) {
                return reactor->Finish(ToGrpcStatus(result.status(), context));
              }
              *response = *std::move(result);
              reactor->Finish(grpc::Status::OK);
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ComplaintService::ExecuteBatch(
    grpc::CallbackServerContext* context, const v1::CommandBatch* request,
    v1::BatchResult* response) {
  return FinishOn(batches_, context, [this, context, request, response] {
    absl::StatusOr<v1::BatchResult> result = app_.ExecuteBatch(
        *request, [context](const v1::CommandContext& command) {
          return ActorOf(context, command);
        });
    if (!result.ok()) return ToGrpcStatus(result.status(), context);
    *response = std::move(*result);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* ComplaintService::GetComplaint(
    grpc::CallbackServerContext* context,
    const v1::GetComplaintRequest* request, v1::ComplaintView* response) {
  return FinishOn(pool_, context, [this, context, request, response] {
    absl::StatusOr<v1::ComplaintView> view = app_.Get(request->complaint_id());
    if (!view.ok()) return ToGrpcStatus(view.status(), context);
    *response = std::move(*view);
    return grpc::Status::OK;
  });
}

ReferenceDataService::ReferenceDataService(ComplaintApp* app, WorkPool* pool)
    : app_(*app), pool_(*pool) {
  InstallCommandHandlers(
      v1::ReferenceDataService::service_full_name(),
      [this](grpc::CallbackServerContext* context,
             const google::protobuf::Message& command,
             v1::CommandResult* response) {
        return Execute(context, command, response);
      });
}

// On the pool: the command waits for its fsync.
grpc::ServerUnaryReactor* ReferenceDataService::Execute(
    grpc::CallbackServerContext* context,
    const google::protobuf::Message& command, v1::CommandResult* response) {
  return FinishOn(pool_, context, [this, context, &command, response] {
    absl::StatusOr<v1::CommandResult> result =
        app_.Execute(command, ActorOf(context, *CommandContextOf(command)));
    if (!result.ok()) return ToGrpcStatus(result.status(), context);
    *response = std::move(*result);
    return grpc::Status::OK;
  });
}

}  // namespace ledger
