// The AuditService: the log's signed checkpoints and the proofs against
// them (proto/ledger/v1/audit_service.proto). Handlers only convert; the
// store keeps the tree (ledger/store/event_store.h).
#ifndef LEDGER_SERVICES_AUDIT_SERVICE_H_
#define LEDGER_SERVICES_AUDIT_SERVICE_H_

#include "ledger/store/event_store.h"
#include "ledger/v1/audit_service.grpc.pb.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class AuditService final
    : public ParsedRequests<v1::AuditService::CallbackService> {
 public:
  // `store` and `pool` must outlive the service; reads run on `pool`.
  AuditService(const EventStore* store, WorkPool* pool)
      : store_(*store), pool_(*pool) {
    const std::string name = v1::AuditService::service_full_name();
    ParseRequests(name, "GetCheckpoint", &AuditService::GetCheckpoint);
    ParseRequests(name, "GetInclusionProof", &AuditService::GetInclusionProof);
    ParseRequests(name, "GetConsistencyProof",
                  &AuditService::GetConsistencyProof);
    ParseRequests(name, "GetTreeEdge", &AuditService::GetTreeEdge);
  }

  grpc::ServerUnaryReactor* GetCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::GetCheckpointRequest* request,
      v1::GetCheckpointResponse* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::GetInclusionProofResponse* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(
      grpc::CallbackServerContext* context,
      const v1::GetConsistencyProofRequest* request,
      v1::GetConsistencyProofResponse* response) override;
  grpc::ServerUnaryReactor* GetTreeEdge(
      grpc::CallbackServerContext* context,
      const v1::GetTreeEdgeRequest* request,
      v1::GetTreeEdgeResponse* response) override;

 private:
  // `size`, or the latest checkpoint's size for 0.
  absl::StatusOr<uint64_t> SizeOrLatest(uint64_t size) const;

  const EventStore& store_;
  WorkPool& pool_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_AUDIT_SERVICE_H_
