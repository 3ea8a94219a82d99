// The QueryService gRPC service: queues and station tables from the
// projection runner's live views, or as of a past position of the log; the
// list of projections and their lag; rebuilds.
#ifndef LEDGER_SERVICES_QUERY_SERVICE_H_
#define LEDGER_SERVICES_QUERY_SERVICE_H_

#include <memory>

#include "ledger/base/clock.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "projections/runner.h"
#include "services/callbacks.h"
#include "services/parsed_requests.h"

namespace ledger {

class QueryService final
    : public ParsedRequests<v1::QueryService::CallbackService> {
 public:
  // `runner` and `pool` must outlive the service; queries run on `pool`;
  // `clock` gives "now" when a query names none.
  // With `log` (the ledger's own store, in ledgerd), ListProjections also
  // lists the log's derived index ("stream-index": stream index and
  // command ids), with why it was last rebuilt.
  QueryService(ProjectionRunner* runner, WorkPool* pool,
               std::shared_ptr<const Clock> clock,
               const EventStore* log = nullptr)
      : runner_(*runner), pool_(*pool), clock_(std::move(clock)), log_(log) {
    const std::string name = v1::QueryService::service_full_name();
    ParseRequests(name, "GetQueue", &QueryService::GetQueue);
    ParseRequests(name, "GetStationTable", &QueryService::GetStationTable);
    ParseRequests(name, "GetMonthlyAnalysis",
                  &QueryService::GetMonthlyAnalysis);
    ParseRequests(name, "GetAgentScorecard", &QueryService::GetAgentScorecard);
    ParseRequests(name, "GetSecondRevisitSample",
                  &QueryService::GetSecondRevisitSample);
    ParseRequests(name, "GetAssessment", &QueryService::GetAssessment);
    ParseRequests(name, "SearchKnowledgeBase",
                  &QueryService::SearchKnowledgeBase);
    ParseRequests(name, "GetDigest", &QueryService::GetDigest);
    ParseRequests(name, "GetReadingRecord", &QueryService::GetReadingRecord);
    ParseRequests(name, "GetPenaltyTable", &QueryService::GetPenaltyTable);
    ParseRequests(name, "ExportPenaltyTable",
                  &QueryService::ExportPenaltyTable);
    ParseRequests(name, "ListProjections", &QueryService::ListProjections);
    ParseRequests(name, "Rebuild", &QueryService::Rebuild);
  }

  grpc::ServerUnaryReactor* GetQueue(grpc::CallbackServerContext* context,
                                     const v1::GetQueueRequest* request,
                                     v1::GetQueueResponse* response) override;
  grpc::ServerUnaryReactor* GetStationTable(
      grpc::CallbackServerContext* context,
      const v1::GetStationTableRequest* request,
      v1::GetStationTableResponse* response) override;
  grpc::ServerUnaryReactor* GetMonthlyAnalysis(
      grpc::CallbackServerContext* context,
      const v1::GetMonthlyAnalysisRequest* request,
      v1::GetMonthlyAnalysisResponse* response) override;
  grpc::ServerUnaryReactor* GetAgentScorecard(
      grpc::CallbackServerContext* context,
      const v1::GetAgentScorecardRequest* request,
      v1::AgentScorecard* response) override;
  // An agent (without a head's, manager's or auditor's role) gets their
  // own sample only: another agent's is PERMISSION_DENIED.
  grpc::ServerUnaryReactor* GetSecondRevisitSample(
      grpc::CallbackServerContext* context,
      const v1::GetSecondRevisitSampleRequest* request,
      v1::GetSecondRevisitSampleResponse* response) override;
  // An agent reads their own row of a published month only; heads, the
  // general manager and auditors every row, and drafts.
  grpc::ServerUnaryReactor* SearchKnowledgeBase(
      grpc::CallbackServerContext* context,
      const v1::SearchKnowledgeBaseRequest* request,
      v1::SearchKnowledgeBaseResponse* response) override;
  grpc::ServerUnaryReactor* GetDigest(grpc::CallbackServerContext* context,
                                      const v1::GetDigestRequest* request,
                                      v1::GetDigestResponse* response) override;
  grpc::ServerUnaryReactor* GetReadingRecord(
      grpc::CallbackServerContext* context,
      const v1::GetReadingRecordRequest* request,
      v1::GetReadingRecordResponse* response) override;
  // A station head reads their stations' lines and adjustments only.
  grpc::ServerUnaryReactor* GetPenaltyTable(
      grpc::CallbackServerContext* context,
      const v1::GetPenaltyTableRequest* request,
      v1::GetPenaltyTableResponse* response) override;
  grpc::ServerUnaryReactor* ExportPenaltyTable(
      grpc::CallbackServerContext* context,
      const v1::ExportPenaltyTableRequest* request,
      v1::ExportPenaltyTableResponse* response) override;
  grpc::ServerUnaryReactor* GetAssessment(
      grpc::CallbackServerContext* context,
      const v1::GetAssessmentRequest* request,
      v1::GetAssessmentResponse* response) override;
  grpc::ServerUnaryReactor* ListProjections(
      grpc::CallbackServerContext* context,
      const v1::ListProjectionsRequest* request,
      v1::ListProjectionsResponse* response) override;
  grpc::ServerUnaryReactor* Rebuild(grpc::CallbackServerContext* context,
                                    const v1::RebuildRequest* request,
                                    v1::RebuildResponse* response) override;

 private:
  ProjectionRunner& runner_;
  WorkPool& pool_;
  const std::shared_ptr<const Clock> clock_;
  const EventStore* const log_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_QUERY_SERVICE_H_
