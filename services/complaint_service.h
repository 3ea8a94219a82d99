// The ComplaintService and ReferenceDataService gRPC services: each handler
// names the actor (services/actor.h), runs the command through ComplaintApp
// and converts the status (services/grpc_status.h).
#ifndef LEDGER_SERVICES_COMPLAINT_SERVICE_H_
#define LEDGER_SERVICES_COMPLAINT_SERVICE_H_

#include "ledger/v1/complaint_service.grpc.pb.h"
#include "services/complaint_app.h"

namespace ledger {

#define LEDGER_COMMAND_RPC(Method, Type)                                     \
  grpc::Status Method(grpc::ServerContext* context, const v1::Type* request, \
                      v1::CommandResult* response) override;

class ComplaintService final : public v1::ComplaintService::Service {
 public:
  // `app` must outlive the service.
  explicit ComplaintService(ComplaintApp* app) : app_(*app) {}

  LEDGER_COMMAND_RPC(ReceiveComplaint, ReceiveComplaint)
  LEDGER_COMMAND_RPC(AssignOwner, AssignOwner)
  LEDGER_COMMAND_RPC(HandOver, HandOver)
  LEDGER_COMMAND_RPC(Classify, Classify)
  LEDGER_COMMAND_RPC(RaiseSeverity, RaiseSeverity)
  LEDGER_COMMAND_RPC(ChooseTrack, ChooseTrack)
  LEDGER_COMMAND_RPC(RequestAssist, RequestAssist)
  LEDGER_COMMAND_RPC(AnswerAssist, AnswerAssist)
  LEDGER_COMMAND_RPC(ChaseAssist, ChaseAssist)
  LEDGER_COMMAND_RPC(EscalateToGm, EscalateToGm)
  LEDGER_COMMAND_RPC(RecordGmDecision, RecordGmDecision)
  LEDGER_COMMAND_RPC(Reply, Reply)
  LEDGER_COMMAND_RPC(RecordRevisit, RecordRevisit)
  LEDGER_COMMAND_RPC(WaiveRevisit, WaiveRevisit)
  LEDGER_COMMAND_RPC(Reopen, Reopen)
  LEDGER_COMMAND_RPC(CompletePaperwork, CompletePaperwork)
  LEDGER_COMMAND_RPC(SignOff, SignOff)

  grpc::Status ExecuteBatch(grpc::ServerContext* context,
                            const v1::CommandBatch* request,
                            v1::BatchResult* response) override;
  grpc::Status GetComplaint(grpc::ServerContext* context,
                            const v1::GetComplaintRequest* request,
                            v1::ComplaintView* response) override;

 private:
  ComplaintApp& app_;
};

class ReferenceDataService final : public v1::ReferenceDataService::Service {
 public:
  // `app` must outlive the service.
  explicit ReferenceDataService(ComplaintApp* app) : app_(*app) {}

  LEDGER_COMMAND_RPC(RegisterStation, RegisterStation)
  LEDGER_COMMAND_RPC(RegisterDepartment, RegisterDepartment)
  LEDGER_COMMAND_RPC(RegisterAgent, RegisterAgent)
  LEDGER_COMMAND_RPC(RecordStationVolume, RecordStationVolume)
  LEDGER_COMMAND_RPC(PublishCalendar, PublishCalendar)
  LEDGER_COMMAND_RPC(PublishPenaltySchedule, PublishPenaltySchedule)
  LEDGER_COMMAND_RPC(DeclareSpecialPeriod, DeclareSpecialPeriod)

 private:
  ComplaintApp& app_;
};

#undef LEDGER_COMMAND_RPC

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMPLAINT_SERVICE_H_
