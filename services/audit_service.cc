#include "services/audit_service.h"

#include "absl/strings/str_cat.h"
#include "rpc/status.h"

namespace ledger {
namespace {

void AddHashes(const std::vector<merkle::Hash>& hashes,
               google::protobuf::RepeatedPtrField<std::string>* out) {
  out->Reserve(static_cast<int>(hashes.size()));
  for (const merkle::Hash& h : hashes) out->Add(std::string(merkle::Bytes(h)));
}

}  // namespace

absl::StatusOr<uint64_t> AuditService::SizeOrLatest(uint64_t size) const {
  if (size != 0) return size;
  absl::StatusOr<SignedCheckpoint> latest = store_.LatestCheckpoint();
  if (!latest.ok()) return latest.status();
  return latest->size;
}

grpc::ServerUnaryReactor* AuditService::GetCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::GetCheckpointRequest* request,
    v1::GetCheckpointResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    absl::StatusOr<SignedCheckpoint> checkpoint =
        request->tree_size() == 0 ? store_.LatestCheckpoint()
                                  : store_.CheckpointAt(request->tree_size());
    if (!checkpoint.ok()) return ToGrpcStatus(checkpoint.status(), context);
    response->set_note(checkpoint->note);
    response->set_tree_size(checkpoint->size);
    response->set_root_hash(std::string(merkle::Bytes(checkpoint->root)));
    response->set_verifier_key(store_.checkpoint_key());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context,
    const v1::GetInclusionProofRequest* request,
    v1::GetInclusionProofResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    if (request->position() == 0) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          "position is required (the first event is at position 1)"));
    }
    absl::StatusOr<uint64_t> size = SizeOrLatest(request->tree_size());
    if (!size.ok()) return ToGrpcStatus(size.status(), context);
    absl::StatusOr<std::vector<merkle::Hash>> proof =
        store_.InclusionProof(request->position(), *size);
    if (!proof.ok()) return ToGrpcStatus(proof.status(), context);
    absl::StatusOr<std::vector<v1::Event>> event =
        store_.ReadAll(request->position(), 1);
    if (!event.ok()) return ToGrpcStatus(event.status(), context);
    if (event->empty()) {
      return ToGrpcStatus(absl::OutOfRangeError(
          absl::StrCat("no event at position ", request->position())));
    }
    response->set_tree_size(*size);
    response->set_leaf_index(request->position() - 1);
    response->set_leaf_hash(
        std::string(merkle::Bytes(merkle::LeafHash(event->front().hash()))));
    AddHashes(*proof, response->mutable_hashes());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context,
    const v1::GetConsistencyProofRequest* request,
    v1::GetConsistencyProofResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    absl::StatusOr<uint64_t> to = SizeOrLatest(request->to_size());
    if (!to.ok()) return ToGrpcStatus(to.status(), context);
    absl::StatusOr<std::vector<merkle::Hash>> proof =
        store_.ConsistencyProof(request->from_size(), *to);
    if (!proof.ok()) return ToGrpcStatus(proof.status(), context);
    response->set_from_size(request->from_size());
    response->set_to_size(*to);
    AddHashes(*proof, response->mutable_hashes());
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AuditService::GetTreeEdge(
    grpc::CallbackServerContext* context, const v1::GetTreeEdgeRequest* request,
    v1::GetTreeEdgeResponse* response) {
  return FinishOn(pool_, context, [=, this]() -> grpc::Status {
    absl::StatusOr<std::vector<merkle::Hash>> edge =
        store_.TreeEdge(request->tree_size());
    if (!edge.ok()) return ToGrpcStatus(edge.status(), context);
    response->set_tree_size(request->tree_size());
    AddHashes(*edge, response->mutable_hashes());
    return grpc::Status::OK;
  });
}

}  // namespace ledger
