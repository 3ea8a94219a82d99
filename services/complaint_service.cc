#include "services/complaint_service.h"

#include "services/actor.h"
#include "services/grpc_status.h"

namespace ledger {
namespace {

template <typename Command>
grpc::Status Run(ComplaintApp& app, grpc::ServerContext* context,
                 const Command& command, v1::CommandResult* response) {
  absl::StatusOr<v1::CommandResult> result =
      app.Execute(command, ActorOf(context, command.context()));
  if (!result.ok()) return ToGrpcStatus(result.status(), context);
  *response = std::move(*result);
  return grpc::Status::OK;
}

// Finishes the call from ExecuteAsync's callback: on this thread when the
// command was refused, on the store's writer thread once it is durable.
template <typename Command>
grpc::ServerUnaryReactor* RunAsync(ComplaintApp& app,
                                   grpc::CallbackServerContext* context,
                                   const Command& command,
                                   v1::CommandResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app.ExecuteAsync(
      command, ActorOf(context, command.context()),
      [context, reactor, response](absl::StatusOr<v1::CommandResult> result) {
        if (!result.ok()) {
          return reactor->Finish(ToGrpcStatus(result.status(), context));
        }
        *response = *std::move(result);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

}  // namespace

#define LEDGER_COMMAND_CALLBACK(Service, Method, Type)               \
  grpc::ServerUnaryReactor* Service::Method(                         \
      grpc::CallbackServerContext* context, const v1::Type* request, \
      v1::CommandResult* response) {                                 \
    return RunAsync(app_, context, *request, response);              \
  }

#define LEDGER_COMMAND_RPC(Service, Method, Type)             \
  grpc::Status Service::Method(grpc::ServerContext* context,  \
                               const v1::Type* request,       \
                               v1::CommandResult* response) { \
    return Run(app_, context, *request, response);            \
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
LEDGER_COMMAND_RPC(ReferenceDataService, RegisterStation, RegisterStation)
LEDGER_COMMAND_RPC(ReferenceDataService, RegisterDepartment, RegisterDepartment)
LEDGER_COMMAND_RPC(ReferenceDataService, RegisterAgent, RegisterAgent)
LEDGER_COMMAND_RPC(ReferenceDataService, RecordStationVolume,
                   RecordStationVolume)
LEDGER_COMMAND_RPC(ReferenceDataService, PublishCalendar, PublishCalendar)
LEDGER_COMMAND_RPC(ReferenceDataService, PublishPenaltySchedule,
                   PublishPenaltySchedule)
LEDGER_COMMAND_RPC(ReferenceDataService, DeclareSpecialPeriod,
                   DeclareSpecialPeriod)

#undef LEDGER_COMMAND_RPC
#undef LEDGER_COMMAND_CALLBACK

namespace complaint_service_internal {

BatchRunner::BatchRunner(int workers) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

BatchRunner::~BatchRunner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void BatchRunner::Schedule(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void BatchRunner::Work() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](BatchRunner* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return !r->queue_.empty() || r->stopping_;
          },
          this));
      if (queue_.empty()) return;  // Stopping, and everything queued ran.
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace complaint_service_internal

grpc::ServerUnaryReactor* ComplaintService::ExecuteBatch(
    grpc::CallbackServerContext* context, const v1::CommandBatch* request,
    v1::BatchResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The call's context, request and response live until Finish.
  batches_.Schedule([this, context, request, response, reactor] {
    absl::StatusOr<v1::BatchResult> result = app_.ExecuteBatch(
        *request, [context](const v1::CommandContext& command) {
          return ActorOf(context, command);
        });
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status(), context));
      return;
    }
    *response = std::move(*result);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::Status ComplaintService::GetComplaint(
    grpc::ServerContext* context, const v1::GetComplaintRequest* request,
    v1::ComplaintView* response) {
  absl::StatusOr<v1::ComplaintView> view = app_.Get(request->complaint_id());
  if (!view.ok()) return ToGrpcStatus(view.status(), context);
  *response = std::move(*view);
  return grpc::Status::OK;
}

}  // namespace ledger
