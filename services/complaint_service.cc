#include "services/complaint_service.h"

#include "services/actor.h"
#include "services/grpc_status.h"

namespace ledger {
namespace {

// Finishes the call on `pool` with Execute's result (the command and its
// wait for the fsync).
template <typename Command>
grpc::ServerUnaryReactor* RunOn(WorkPool& pool, ComplaintApp& app,
                                grpc::CallbackServerContext* context,
                                const Command* command,
                                v1::CommandResult* response) {
  return FinishOn(pool, context, [&app, context, command, response] {
    absl::StatusOr<v1::CommandResult> result =
        app.Execute(*command, ActorOf(context, command->context()));
    if (!result.ok()) return ToGrpcStatus(result.status(), context);
    *response = std::move(*result);
    return grpc::Status::OK;
  });
}

// Finishes the call on one of `replies`' threads with ExecuteAsync's outcome
// (given on this thread when the command was refused, on the store's writer
// thread once it is durable): Finish writes to the socket inline, which the
// writer, the ledger's one serial stage, should not wait for.
template <typename Command>
grpc::ServerUnaryReactor* RunAsync(WorkPool& replies, ComplaintApp& app,
                                   grpc::CallbackServerContext* context,
                                   const Command& command,
                                   v1::CommandResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app.ExecuteAsync(
      command, ActorOf(context, command.context()),
      [&replies, context, reactor,
       response](absl::StatusOr<v1::CommandResult> result) {
        replies.Schedule(
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

}  // namespace

#define LEDGER_COMMAND_CALLBACK(Service, Method, Type)               \
  grpc::ServerUnaryReactor* Service::Method(                         \
      grpc::CallbackServerContext* context, const v1::Type* request, \
      v1::CommandResult* response) {                                 \
    return RunAsync(replies_, app_, context, *request, response);    \
  }

#define LEDGER_COMMAND_ON_POOL(Service, Method, Type)                \
  grpc::ServerUnaryReactor* Service::Method(                         \
      grpc::CallbackServerContext* context, const v1::Type* request, \
      v1::CommandResult* response) {                                 \
    return RunOn(pool_, app_, context, request, response);           \
  }

LEDGER_COMMAND_CALLBACK(ComplaintService, ReceiveComplaint, ReceiveComplaint)
LEDGER_COMMAND_CALLBACK(ComplaintService, AssignOwner, AssignOwner)
LEDGER_COMMAND_CALLBACK(ComplaintService, HandOver, HandOver)
LEDGER_COMMAND_CALLBACK(ComplaintService, Classify, Classify)
LEDGER_COMMAND_CALLBACK(ComplaintService, RaiseSeverity, RaiseSeverity)
LEDGER_COMMAND_CALLBACK(ComplaintService, ChooseTrack, ChooseTrack)
LEDGER_COMMAND_CALLBACK(ComplaintService, RequestAssist, RequestAssist)
LEDGER_COMMAND_CALLBACK(ComplaintService, AnswerAssist, AnswerAssist)
LEDGER_COMMAND_CALLBACK(ComplaintService, ChaseAssist, ChaseAssist)
LEDGER_COMMAND_CALLBACK(ComplaintService, EscalateToGm, EscalateToGm)
LEDGER_COMMAND_CALLBACK(ComplaintService, RecordGmDecision, RecordGmDecision)
LEDGER_COMMAND_CALLBACK(ComplaintService, Reply, Reply)
LEDGER_COMMAND_CALLBACK(ComplaintService, RecordRevisit, RecordRevisit)
LEDGER_COMMAND_CALLBACK(ComplaintService, WaiveRevisit, WaiveRevisit)
LEDGER_COMMAND_CALLBACK(ComplaintService, Reopen, Reopen)
LEDGER_COMMAND_CALLBACK(ComplaintService, CompletePaperwork, CompletePaperwork)
LEDGER_COMMAND_CALLBACK(ComplaintService, SignOff, SignOff)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, RegisterStation, RegisterStation)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, RegisterDepartment,
                       RegisterDepartment)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, RegisterAgent, RegisterAgent)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, RecordStationVolume,
                       RecordStationVolume)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, PublishCalendar, PublishCalendar)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, PublishPenaltySchedule,
                       PublishPenaltySchedule)
LEDGER_COMMAND_ON_POOL(ReferenceDataService, DeclareSpecialPeriod,
                       DeclareSpecialPeriod)

#undef LEDGER_COMMAND_ON_POOL
#undef LEDGER_COMMAND_CALLBACK

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

}  // namespace ledger
