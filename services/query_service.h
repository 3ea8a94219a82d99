// The QueryService gRPC service: queues and station tables from the
// projection runner's live views, or as of a past position of the log; the
// list of projections and their lag; rebuilds.
#ifndef LEDGER_SERVICES_QUERY_SERVICE_H_
#define LEDGER_SERVICES_QUERY_SERVICE_H_

#include <memory>

#include "ledger/base/clock.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "projections/runner.h"

namespace ledger {

class QueryService final : public v1::QueryService::Service {
 public:
  // `runner` must outlive the service; `clock` gives "now" when a query
  // names none.
  QueryService(ProjectionRunner* runner, std::shared_ptr<const Clock> clock)
      : runner_(*runner), clock_(std::move(clock)) {}

  grpc::Status GetQueue(grpc::ServerContext* context,
                        const v1::GetQueueRequest* request,
                        v1::GetQueueResponse* response) override;
  grpc::Status GetStationTable(grpc::ServerContext* context,
                               const v1::GetStationTableRequest* request,
                               v1::GetStationTableResponse* response) override;
  grpc::Status GetMonthlyAnalysis(
      grpc::ServerContext* context,
      const v1::GetMonthlyAnalysisRequest* request,
      v1::GetMonthlyAnalysisResponse* response) override;
  grpc::Status GetAgentScorecard(grpc::ServerContext* context,
                                 const v1::GetAgentScorecardRequest* request,
                                 v1::AgentScorecard* response) override;
  grpc::Status ListProjections(grpc::ServerContext* context,
                               const v1::ListProjectionsRequest* request,
                               v1::ListProjectionsResponse* response) override;
  grpc::Status Rebuild(grpc::ServerContext* context,
                       const v1::RebuildRequest* request,
                       v1::RebuildResponse* response) override;

 private:
  ProjectionRunner& runner_;
  const std::shared_ptr<const Clock> clock_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_QUERY_SERVICE_H_
