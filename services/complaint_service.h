// The ComplaintService and ReferenceDataService gRPC services: each handler
// names the actor (services/actor.h), runs the command through ComplaintApp
// and converts the status (services/grpc_status.h).
#ifndef LEDGER_SERVICES_COMPLAINT_SERVICE_H_
#define LEDGER_SERVICES_COMPLAINT_SERVICE_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "services/complaint_app.h"

namespace ledger {

#define LEDGER_COMMAND_RPC(Method, Type)                                     \
  grpc::Status Method(grpc::ServerContext* context, const v1::Type* request, \
                      v1::CommandResult* response) override;

// The lifecycle commands are callback methods: decided on gRPC's thread,
// answered from the append's callback once durable, no thread parked on
// the fsync. ExecuteBatch is a callback method run on a BatchRunner thread
// (a batch waits for its fsyncs, and gRPC's callback threads must not
// block). GetComplaint stays synchronous.
//
// Why ExecuteBatch is not a synchronous method: with callback methods in the
// same server, Debian's gRPC 1.51 holds every synchronous call in flight for
// ~100 ms once every 1.1 s (BENCHMARKS.md, "A stall every 1.1 s").
namespace complaint_service_internal {

// Runs work on `workers` threads, in arrival order; at most `workers` pieces
// at once. The destructor runs what is queued, then joins.
class BatchRunner {
 public:
  explicit BatchRunner(int workers);
  ~BatchRunner();
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  void Schedule(std::function<void()> work);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

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
    S::WithCallbackMethod_CompletePaperwork, S::WithCallbackMethod_SignOff,
    S::WithCallbackMethod_ExecuteBatch>::type;

}  // namespace complaint_service_internal

#define LEDGER_COMMAND_CALLBACK(Method, Type)                            \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Type* request,              \
                                   v1::CommandResult* response) override;

class ComplaintService final : public complaint_service_internal::Base {
 public:
  // Batches run at once, at most; more wait their turn. A batch holds up to
  // kMaxBatchCommands appends in the writer's queue.
  static constexpr int kBatchWorkers = 8;

  // `app` must outlive the service.
  explicit ComplaintService(ComplaintApp* app)
      : app_(*app), batches_(kBatchWorkers) {}

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
  grpc::Status GetComplaint(grpc::ServerContext* context,
                            const v1::GetComplaintRequest* request,
                            v1::ComplaintView* response) override;

 private:
  ComplaintApp& app_;
  complaint_service_internal::BatchRunner batches_;
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
