#include "services/complaint_service.h"

#include "rpc/status.h"
#include "services/actor.h"

namespace ledger {
ComplaintService::ComplaintService(ComplaintApp* app, WorkPool* pool)
    : app_(*app), pool_(*pool), batches_("ledger-batch", kBatchWorkers) {
  const std::string name = v1::ComplaintService::service_full_name();
  ParseRequests(name, "ExecuteBatch", &ComplaintService::ExecuteBatch);
  ParseRequests(name, "GetComplaint", &ComplaintService::GetComplaint);
  InstallCommandHandlers(
      v1::ComplaintService::service_full_name(),
      [this](grpc::CallbackServerContext* context,
             const google::protobuf::Message& command,
             v1::CommandResult* response, Finish finish) {
        Execute(context, command, response, std::move(finish));
      });
}

// Finishes the call on one of `replies_`' threads with ExecuteAsync's
// outcome (given on this thread when the command was refused, on the
// store's writer thread once it is durable): Finish writes to the socket
// inline, which the writer, the ledger's one serial stage, should not wait
// for.
void ComplaintService::Execute(grpc::CallbackServerContext* context,
                               const google::protobuf::Message& command,
                               v1::CommandResult* response, Finish finish) {
  app_.ExecuteAsync(
      command, ActorOf(context, *CommandContextOf(command)),
      [this, context, response, finish = std::move(finish)](
          absl::StatusOr<v1::CommandResult> result) mutable {
        replies_.Schedule([context, response, finish = std::move(finish),
                           result = std::move(result)]() mutable {
          if (!result.ok()) {
            return finish(ToGrpcStatus(result.status(), context));
          }
          *response = *std::move(result);
          finish(grpc::Status::OK);
        });
      });
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
             v1::CommandResult* response, Finish finish) {
        Execute(context, command, response, std::move(finish));
      });
}

// On the pool: the command waits for its fsync.
void ReferenceDataService::Execute(grpc::CallbackServerContext* context,
                                   const google::protobuf::Message& command,
                                   v1::CommandResult* response,
                                   Finish finish) {
  pool_.Schedule([this, context, &command, response,
                  finish = std::move(finish)] {
    absl::StatusOr<v1::CommandResult> result =
        app_.Execute(command, ActorOf(context, *CommandContextOf(command)));
    if (!result.ok()) return finish(ToGrpcStatus(result.status(), context));
    *response = std::move(*result);
    finish(grpc::Status::OK);
  });
}

}  // namespace ledger
