#include "services/query_service.h"

#include <optional>

#include "ledger/base/status_macros.h"
#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "services/grpc_status.h"

namespace ledger {
namespace {

// Runs `answer` on the live view `name`, or on one folded up to `as_of`.
absl::Status OnView(
    const ProjectionRunner& runner, const std::string& name,
    std::optional<uint64_t> as_of,
    const std::function<absl::Status(const View&, uint64_t)>& answer) {
  if (!as_of.has_value()) return runner.Read(name, answer);
  ASSIGN_OR_RETURN(std::unique_ptr<View> view, runner.AsOf(name, *as_of));
  return answer(*view, *as_of);
}

}  // namespace

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
  return ToGrpcStatus(
      OnView(runner_, QueueView::kName,
             request->has_as_of_position()
                 ? std::optional<uint64_t>(request->as_of_position())
                 : std::nullopt,
             answer),
      context);
}

grpc::Status QueryService::GetStationTable(
    grpc::ServerContext* context, const v1::GetStationTableRequest* request,
    v1::GetStationTableResponse* response) {
  auto answer = [&](const View& view, uint64_t position) -> absl::Status {
    absl::StatusOr<v1::GetStationTableResponse> r =
        static_cast<const StationView&>(view).Table(request->month());
    if (!r.ok()) return r.status();
    *response = std::move(*r);
    response->set_position(position);
    return absl::OkStatus();
  };
  return ToGrpcStatus(
      OnView(runner_, StationView::kName,
             request->has_as_of_position()
                 ? std::optional<uint64_t>(request->as_of_position())
                 : std::nullopt,
             answer),
      context);
}

grpc::Status QueryService::GetMonthlyAnalysis(
    grpc::ServerContext* context, const v1::GetMonthlyAnalysisRequest* request,
    v1::GetMonthlyAnalysisResponse* response) {
  auto answer = [&](const View& view, uint64_t position) -> absl::Status {
    absl::StatusOr<v1::GetMonthlyAnalysisResponse> r =
        static_cast<const AnalysisView&>(view).Analysis(request->month());
    if (!r.ok()) return r.status();
    *response = std::move(*r);
    response->set_position(position);
    return absl::OkStatus();
  };
  return ToGrpcStatus(
      OnView(runner_, AnalysisView::kName,
             request->has_as_of_position()
                 ? std::optional<uint64_t>(request->as_of_position())
                 : std::nullopt,
             answer),
      context);
}

grpc::Status QueryService::GetAgentScorecard(
    grpc::ServerContext* context, const v1::GetAgentScorecardRequest* request,
    v1::AgentScorecard* response) {
  auto answer = [&](const View& view, uint64_t position) -> absl::Status {
    absl::StatusOr<v1::AgentScorecard> r =
        static_cast<const ScorecardView&>(view).Scorecard(request->agent_id(),
                                                          request->month());
    if (!r.ok()) return r.status();
    *response = std::move(*r);
    response->set_position(position);
    return absl::OkStatus();
  };
  return ToGrpcStatus(
      OnView(runner_, ScorecardView::kName,
             request->has_as_of_position()
                 ? std::optional<uint64_t>(request->as_of_position())
                 : std::nullopt,
             answer),
      context);
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
