// The ComplaintService and ReferenceDataService gRPC services: each handler
// names the actor (services/actor.h), runs the command through ComplaintApp
// and converts the status (services/grpc_status.h).
#ifndef LEDGER_SERVICES_COMPLAINT_SERVICE_H_
#define LEDGER_SERVICES_COMPLAINT_SERVICE_H_

#include "ledger/v1/complaint_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/complaint_app.h"

namespace ledger {

// The lifecycle commands are decided on gRPC's thread and answered, once
// durable, on a reply thread the append's callback hands them to: no thread
// parked on the fsync, no socket write on the store's writer. A batch
// waits for its fsyncs: it runs on a batch thread of the service's own, so
// that batches never hold up the other calls. GetComplaint and the reference
// data commands (rare, and waiting for their fsync) run on the server's
// pool (services/callbacks.h).
#define LEDGER_COMMAND_CALLBACK(Method, Type)                            \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Type* request,              \
                                   v1::CommandResult* response) override;

class ComplaintService final : public v1::ComplaintService::CallbackService {
 public:
  // Batches run at once, at most; more wait their turn. A batch holds up to
  // kMaxBatchCommands appends in the writer's queue.
  static constexpr int kBatchWorkers = 8;
  // Threads that answer the lifecycle commands once their events are
  // durable.
  static constexpr int kReplyWorkers = 2;

  // `app` and `pool` must outlive the service; GetComplaint runs on `pool`.
  ComplaintService(ComplaintApp* app, WorkPool* pool)
      : app_(*app), pool_(*pool), batches_("ledger-batch", kBatchWorkers) {}

  LEDGER_COMMAND_CALLBACK(ReceiveComplaint, ReceiveComplaint)
  LEDGER_COMMAND_CALLBACK(AssignOwner, AssignOwner)
  LEDGER_COMMAND_CALLBACK(HandOver, HandOver)
  LEDGER_COMMAND_CALLBACK(Classify, Classify)
  LEDGER_COMMAND_CALLBACK(RaiseSeverity, RaiseSeverity)
  LEDGER_COMMAND_CALLBACK(ChooseTrack, ChooseTrack)
  LEDGER_COMMAND_CALLBACK(RequestAssist, RequestAssist)
  LEDGER_COMMAND_CALLBACK(AnswerAssist, AnswerAssist)
  LEDGER_COMMAND_CALLBACK(ChaseAssist, ChaseAssist)
  LEDGER_COMMAND_CALLBACK(EscalateToGm, EscalateToGm)
  LEDGER_COMMAND_CALLBACK(RecordGmDecision, RecordGmDecision)
  LEDGER_COMMAND_CALLBACK(Reply, Reply)
  LEDGER_COMMAND_CALLBACK(RecordRevisit, RecordRevisit)
  LEDGER_COMMAND_CALLBACK(WaiveRevisit, WaiveRevisit)
  LEDGER_COMMAND_CALLBACK(Reopen, Reopen)
  LEDGER_COMMAND_CALLBACK(CompletePaperwork, CompletePaperwork)
  LEDGER_COMMAND_CALLBACK(SignOff, SignOff)

  grpc::ServerUnaryReactor* ExecuteBatch(grpc::CallbackServerContext* context,
                                         const v1::CommandBatch* request,
                                         v1::BatchResult* response) override;
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context,
                                         const v1::GetComplaintRequest* request,
                                         v1::ComplaintView* response) override;

 private:
  ComplaintApp& app_;
  WorkPool& pool_;
  WorkPool batches_;
  // Where the lifecycle commands' calls are finished (complaint_service.cc).
  WorkPool replies_{"ledger-reply", kReplyWorkers};
};

class ReferenceDataService final
    : public v1::ReferenceDataService::CallbackService {
 public:
  // `app` and `pool` must outlive the service; the commands run on `pool`.
  ReferenceDataService(ComplaintApp* app, WorkPool* pool)
      : app_(*app), pool_(*pool) {}

  LEDGER_COMMAND_CALLBACK(RegisterStation, RegisterStation)
  LEDGER_COMMAND_CALLBACK(RegisterDepartment, RegisterDepartment)
  LEDGER_COMMAND_CALLBACK(RegisterAgent, RegisterAgent)
  LEDGER_COMMAND_CALLBACK(RecordStationVolume, RecordStationVolume)
  LEDGER_COMMAND_CALLBACK(PublishCalendar, PublishCalendar)
  LEDGER_COMMAND_CALLBACK(PublishPenaltySchedule, PublishPenaltySchedule)
  LEDGER_COMMAND_CALLBACK(DeclareSpecialPeriod, DeclareSpecialPeriod)

 private:
  ComplaintApp& app_;
  WorkPool& pool_;
};

#undef LEDGER_COMMAND_CALLBACK

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMPLAINT_SERVICE_H_
