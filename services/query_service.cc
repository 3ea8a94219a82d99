#include "services/query_service.h"

#include "projections/queue_view.h"
#include "services/grpc_status.h"

namespace ledger {

grpc::Status QueryService::GetQueue(grpc::ServerContext* context,
                                    const v1::GetQueueRequest* request,
                                    v1::GetQueueResponse* response) {
  const int64_t now = request->now_us() != 0
                          ? request->now_us()
                          : absl::ToUnixMicros(clock_->Now());
  auto answer = [&](const View& view, uint64_t position) -> absl::Status {
    absl::StatusOr<v1::GetQueueResponse> r =
        static_cast<const QueueView&>(view).Query(*request, now);
    if (!r.ok()) return r.status();
    *response = std::move(*r);
    response->set_position(position);
    return absl::OkStatus();
  };
  absl::Status s;
  if (request->has_as_of_position()) {
    absl::StatusOr<std::unique_ptr<View>> view =
        runner_.AsOf(QueueView::kName, request->as_of_position());
    s = view.ok() ? answer(**view, request->as_of_position()) : view.status();
  } else {
    s = runner_.Read(QueueView::kName, answer);
  }
  return ToGrpcStatus(s, context);
}

grpc::Status QueryService::ListProjections(
    grpc::ServerContext*, const v1::ListProjectionsRequest*,
    v1::ListProjectionsResponse* response) {
  for (auto& info : runner_.List()) *response->add_projections() = info;
  return grpc::Status::OK;
}

grpc::Status QueryService::Rebuild(grpc::ServerContext* context,
                                   const v1::RebuildRequest* request,
                                   v1::RebuildResponse* response) {
  absl::StatusOr<uint64_t> position = runner_.Rebuild(request->name());
  if (!position.ok()) return ToGrpcStatus(position.status(), context);
  response->set_checkpoint(*position);
  return grpc::Status::OK;
}

}  // namespace ledger
