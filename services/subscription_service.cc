#include "services/subscription_service.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/validation.h"
#include "ledger/subscribe/subscription.h"
#include "services/grpc_status.h"

namespace ledger {
namespace {

// The checkpoint a durable subscription keeps.
std::string CheckpointName(const std::string& durable_name,
                           const std::string& member_id) {
  return member_id.empty() ? durable_name
                           : absl::StrCat(durable_name, "/", member_id);
}

absl::Status CheckNames(const std::string& durable_name,
                        const std::string& member_id) {
  RETURN_IF_ERROR(CheckOptionalId("durable_name", durable_name));
  RETURN_IF_ERROR(CheckOptionalId("member_id", member_id));
  if (!member_id.empty() && durable_name.empty()) {
    return absl::InvalidArgumentError(
        "member_id needs a durable_name (the consumer group's name)");
  }
  return absl::OkStatus();
}

}  // namespace

void SubscriptionService::Stop() {
  stopping_ = true;
  hub_.Close();
}

grpc::Status SubscriptionService::Subscribe(
    grpc::ServerContext* context, const v1::SubscribeRequest* request,
    grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  absl::Status valid = CheckNames(request->durable_name(), request->member_id());
  if (!valid.ok()) return ToGrpcStatus(valid);
  SubscriptionOptions options;
  options.filter = request->filter();
  options.heartbeat = absl::Milliseconds(
      request->heartbeat_ms() == 0 ? 1000 : request->heartbeat_ms());
  switch (request->start_case()) {
    case v1::SubscribeRequest::kFromPosition:
      options.from_position = request->from_position();
      break;
    case v1::SubscribeRequest::kFromNow:
      options.from_position = store_.log_head().position_last + 1;
      break;
    default:
      options.from_position = 1;
  }
  if (!request->durable_name().empty()) {
    absl::StatusOr<uint64_t> acked = store_.LoadCheckpoint(
        CheckpointName(request->durable_name(), request->member_id()));
    if (!acked.ok()) return ToGrpcStatus(acked.status(), context);
    if (*acked > 0) options.from_position = *acked + 1;
  }
  Subscription subscription(&store_, &hub_, &stations_, std::move(options));
  absl::Status s = subscription.Run(
      [writer](const v1::SubscribeResponse& response) {
        return writer->Write(response);
      },
      [this, context] { return stopping_ || context->IsCancelled(); });
  return ToGrpcStatus(s, context);
}

grpc::Status SubscriptionService::Ack(grpc::ServerContext* context,
                                      const v1::AckRequest* request,
                                      v1::AckResponse* response) {
  absl::Status valid = CheckNames(request->durable_name(), request->member_id());
  if (valid.ok() && request->durable_name().empty()) {
    valid = absl::InvalidArgumentError("durable_name is required");
  }
  const uint64_t head = store_.log_head().position_last;
  if (valid.ok() && request->position() > head) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("position ", request->position(),
                     " is past the end of the log (", head, ")"));
  }
  if (!valid.ok()) return ToGrpcStatus(valid);
  const std::string name =
      CheckpointName(request->durable_name(), request->member_id());
  absl::MutexLock lock(&ack_mu_);
  absl::StatusOr<uint64_t> acked = store_.LoadCheckpoint(name);
  if (!acked.ok()) return ToGrpcStatus(acked.status(), context);
  if (request->position() > *acked) {
    absl::Status saved = store_.SaveCheckpoint(name, request->position());
    if (!saved.ok()) return ToGrpcStatus(saved, context);
    acked = request->position();
  }
  response->set_position(*acked);
  return grpc::Status::OK;
}

}  // namespace ledger
