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
namespace complaint_service_internal {

// Base wrapped in each of the generated WithCallbackMethod_ templates.
template <typename Base, template <typename> class... With>
struct Callbacks {
  using type = Base;
};
template <typename Base, template <typename> class First,
          template <typename> class... Rest>
struct Callbacks<Base, First, Rest...> {
  using type = First<typename Callbacks<Base, Rest...>::type>;
};

using S = v1::ComplaintService;
using Base = Callbacks<
    S::Service, S::WithCallbackMethod_ReceiveComplaint,
    S::WithCallbackMethod_AssignOwner, S::WithCallbackMethod_HandOver,
    S::WithCallbackMethod_Classify, S::WithCallbackMethod_RaiseSeverity,
    S::WithCallbackMethod_ChooseTrack, S::WithCallbackMethod_RequestAssist,
    S::WithCallbackMethod_AnswerAssist, S::WithCallbackMethod_ChaseAssist,
    S::WithCallbackMethod_EscalateToGm, S::WithCallbackMethod_RecordGmDecision,
    S::WithCallbackMethod_Reply, S::WithCallbackMethod_RecordRevisit,
    S::WithCallbackMethod_WaiveRevisit, S::WithCallbackMethod_Reopen,
    S::WithCallbackMethod_CompletePaperwork,
    S::WithCallbackMethod_SignOff>::type;

}  // namespace complaint_service_internal

#define LEDGER_COMMAND_CALLBACK(Method, Type)                            \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Type* request,              \
                                   v1::CommandResult* response) override;

class ComplaintService final : public complaint_service_internal::Base {
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
