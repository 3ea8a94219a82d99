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

// The lifecycle commands are callback methods: decided on gRPC's thread,
// answered from the append's callback once durable, no thread parked on
// the fsync. ExecuteBatch and GetComplaint stay synchronous.
using ComplaintServiceBase = v1::ComplaintService::WithCallbackMethod_ReceiveComplaint<
    v1::ComplaintService::WithCallbackMethod_AssignOwner<v1::ComplaintService::WithCallbackMethod_HandOver<
        v1::ComplaintService::WithCallbackMethod_Classify<v1::ComplaintService::WithCallbackMethod_RaiseSeverity<
            v1::ComplaintService::WithCallbackMethod_ChooseTrack<v1::ComplaintService::WithCallbackMethod_RequestAssist<
                v1::ComplaintService::WithCallbackMethod_AnswerAssist<
                    v1::ComplaintService::WithCallbackMethod_ChaseAssist<
                        v1::ComplaintService::WithCallbackMethod_EscalateToGm<
                            v1::ComplaintService::WithCallbackMethod_RecordGmDecision<
                                v1::ComplaintService::WithCallbackMethod_Reply<
                                    v1::ComplaintService::WithCallbackMethod_RecordRevisit<
                                        v1::ComplaintService::WithCallbackMethod_WaiveRevisit<
                                            v1::ComplaintService::WithCallbackMethod_Reopen<
                                                v1::ComplaintService::WithCallbackMethod_CompletePaperwork<
                                                    v1::ComplaintService::
                                                        WithCallbackMethod_SignOff<
                                                            v1::ComplaintService::
                                                                Service>>>>>>>>>>>>>>>>>;

#define LEDGER_COMMAND_CALLBACK(Method, Type)                            \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Type* request,              \
                                   v1::CommandResult* response) override;

class ComplaintService final : public ComplaintServiceBase {
 public:
  // `app` must outlive the service.
  explicit ComplaintService(ComplaintApp* app) : app_(*app) {}

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
#undef LEDGER_COMMAND_CALLBACK

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMPLAINT_SERVICE_H_
