// The ComplaintService and ReferenceDataService gRPC services: each command
// RPC (services/command_rpcs.h, from the registry app/commands.h) names the
// actor (services/actor.h), runs the command through ComplaintApp and
// converts the status (rpc/status.h).
#ifndef LEDGER_SERVICES_COMPLAINT_SERVICE_H_
#define LEDGER_SERVICES_COMPLAINT_SERVICE_H_

#include "app/complaint_app.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/command_rpcs.h"

namespace ledger {

// The lifecycle commands are decided on gRPC's thread and answered, once
// durable, on a reply thread the append's callback hands them to: no thread
// parked on the fsync, no socket write on the store's writer. A batch
// waits for its fsyncs: it runs on a batch thread of the service's own, so
// that batches never hold up the other calls. GetComplaint runs on the
// server's pool (services/callbacks.h).
class ComplaintService final
    : public CommandRpcs<v1::ComplaintService::CallbackService> {
 public:
  // Batches run at once, at most; more wait their turn. A batch holds up to
  // kMaxBatchCommands appends in the writer's queue.
  static constexpr int kBatchWorkers = 8;
  // Threads that answer the lifecycle commands once their events are
  // durable.
  static constexpr int kReplyWorkers = 2;

  // `app` and `pool` must outlive the service; GetComplaint runs on `pool`.
  ComplaintService(ComplaintApp* app, WorkPool* pool);

  grpc::ServerUnaryReactor* ExecuteBatch(grpc::CallbackServerContext* context,
                                         const v1::CommandBatch* request,
                                         v1::BatchResult* response) override;
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context,
                                         const v1::GetComplaintRequest* request,
                                         v1::ComplaintView* response) override;
  grpc::ServerUnaryReactor* FindComplaints(
      grpc::CallbackServerContext* context,
      const v1::FindComplaintsRequest* request,
      v1::FindComplaintsResponse* response) override;

 private:
  // Every lifecycle command's RPC.
  void Execute(grpc::CallbackServerContext* context,
               const google::protobuf::Message& command,
               v1::CommandResult* response, Finish finish);

  ComplaintApp& app_;
  WorkPool& pool_;
  WorkPool batches_;
  // Where the lifecycle commands' calls are finished.
  WorkPool replies_{"ledger-reply", kReplyWorkers};
};

// The reference-data commands (rare, and waiting for their fsync) run on
// the server's pool.
class ReferenceDataService final
    : public CommandRpcs<v1::ReferenceDataService::CallbackService> {
 public:
  // `app` and `pool` must outlive the service; the commands run on `pool`.
  ReferenceDataService(ComplaintApp* app, WorkPool* pool);

  grpc::ServerUnaryReactor* ListReferenceData(
      grpc::CallbackServerContext* context,
      const v1::ListReferenceDataRequest* request,
      v1::ListReferenceDataResponse* response) override;

 private:
  // Every reference-data command's RPC.
  void Execute(grpc::CallbackServerContext* context,
               const google::protobuf::Message& command,
               v1::CommandResult* response, Finish finish);

  ComplaintApp& app_;
  WorkPool& pool_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMPLAINT_SERVICE_H_
