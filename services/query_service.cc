#include "services/query_service.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "ledger/base/status_macros.h"
#include "ledger/complaint/reference_data.h"
#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "rpc/status.h"
#include "services/callbacks.h"
#include "services/gate.h"
#include "services/penalty_export.h"

namespace ledger {
namespace {

// Answers `request` with `query` on the view ViewType, on `pool`: the live
// view, or, when the request names an as_of_position, one folded up to
// there. The response carries the position it reflects.
// FinishOn once the runner has loaded its views (ProjectionRunner::
// WhenLoaded): a query that comes while a restart loads them waits for
// them without holding a thread; one whose views could not be loaded gets
// why.
template <typename Body>
grpc::ServerUnaryReactor* FinishOnceLoaded(WorkPool& pool,
                                           const ProjectionRunner& runner,
                                           grpc::CallbackServerContext* context,
                                           Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  runner.WhenLoaded([&pool, reactor, context, body = std::move(body),
                     serialize = callbacks_internal::TakeSerialize()](
                        absl::Status loaded) mutable {
    if (!loaded.ok()) {
      reactor->Finish(ToGrpcStatus(
          absl::Status(loaded.code(),
                       absl::StrCat("the projections' views did not load: ",
                                    loaded.message())),
          context));
      return;
    }
    callbacks_internal::FinishLater(pool, reactor, std::move(serialize),
                                    std::move(body));
  });
  return reactor;
}

template <typename ViewType, typename Request, typename Response,
          typename Query>
grpc::ServerUnaryReactor* Answer(WorkPool& pool, const ProjectionRunner& runner,
                                 grpc::CallbackServerContext* context,
                                 const Request* request, Response* response,
                                 Query query) {
  return FinishOnceLoaded(
      pool, runner, context, [&runner, context, request, response, query] {
        auto answer = [&](const View& view, uint64_t position) -> absl::Status {
          ASSIGN_OR_RETURN(*response,
                           query(static_cast<const ViewType&>(view)));
          response->set_position(position);
          return absl::OkStatus();
        };
        absl::Status s;
        if (!request->has_as_of_position()) {
          s = runner.Read(ViewType::kName, answer);
        } else {
          absl::StatusOr<std::unique_ptr<View>> view =
              runner.AsOf(ViewType::kName, request->as_of_position());
          s = view.ok() ? answer(**view, request->as_of_position())
                        : view.status();
        }
        return ToGrpcStatus(s, context);
      });
}

}  // namespace

grpc::ServerUnaryReactor* QueryService::GetQueue(
    grpc::CallbackServerContext* context, const v1::GetQueueRequest* request,
    v1::GetQueueResponse* response) {
  const int64_t now = request->now_us() != 0
                          ? request->now_us()
                          : absl::ToUnixMicros(clock_->Now());
  return Answer<QueueView>(pool_, runner_, context, request, response,
                           [request, now](const QueueView& view) {
                             absl::StatusOr<v1::GetQueueResponse> page =
                                 view.Query(*request, now);
                             if (page.ok()) page->set_now_us(now);
                             return page;
                           });
}

grpc::ServerUnaryReactor* QueryService::GetStationTable(
    grpc::CallbackServerContext* context,
    const v1::GetStationTableRequest* request,
    v1::GetStationTableResponse* response) {
  return Answer<StationView>(
      pool_, runner_, context, request, response,
      [request, caller = CurrentCaller()](const StationView& view)
          -> absl::StatusOr<v1::GetStationTableResponse> {
        absl::StatusOr<v1::GetStationTableResponse> table =
            view.Table(request->month());
        if (table.ok() && caller.station_scoped) {
          // A station head's own row(s); the ranks and totals stay the
          // centre's.
          auto* rows = table->mutable_stations();
          rows->erase(
              std::remove_if(rows->begin(), rows->end(),
                             [&](const v1::StationMonth& row) {
                               return !caller.SeesStation(row.station_id());
                             }),
              rows->end());
        }
        return table;
      });
}

grpc::ServerUnaryReactor* QueryService::GetMonthlyAnalysis(
    grpc::CallbackServerContext* context,
    const v1::GetMonthlyAnalysisRequest* request,
    v1::GetMonthlyAnalysisResponse* response) {
  const int64_t now = request->now_us() != 0
                          ? request->now_us()
                          : absl::ToUnixMicros(clock_->Now());
  return Answer<AnalysisView>(pool_, runner_, context, request, response,
                              [request, now](const AnalysisView& view) {
                                return view.Analysis(request->month(), now);
                              });
}

grpc::ServerUnaryReactor* QueryService::GetAgentScorecard(
    grpc::CallbackServerContext* context,
    const v1::GetAgentScorecardRequest* request, v1::AgentScorecard* response) {
  const int64_t now = request->now_us() != 0
                          ? request->now_us()
                          : absl::ToUnixMicros(clock_->Now());
  return Answer<ScorecardView>(pool_, runner_, context, request, response,
                               [request, now](const ScorecardView& view) {
                                 return view.Scorecard(request->agent_id(),
                                                       request->month(), now);
                               });
}

// Whether the caller reads every agent's figures: a centre head, the
// general manager, an auditor (or no agent at all: security off).
bool SeesEveryAgent(const Caller& caller) {
  return caller.agent_id.empty() ||
         std::any_of(caller.roles.begin(), caller.roles.end(), [](v1::Role r) {
           return r == v1::ROLE_CENTRE_HEAD || r == v1::ROLE_GENERAL_MANAGER ||
                  r == v1::ROLE_AUDITOR;
         });
}

grpc::ServerUnaryReactor* QueryService::GetSecondRevisitSample(
    grpc::CallbackServerContext* context,
    const v1::GetSecondRevisitSampleRequest* request,
    v1::GetSecondRevisitSampleResponse* response) {
  const Caller& caller = CurrentCaller();
  std::string agent = request->agent_id();
  if (!SeesEveryAgent(caller)) {
    if (agent.empty()) agent = caller.agent_id;
    if (agent != caller.agent_id) {
      return FinishNow(context, [&] {
        return grpc::Status(
            grpc::StatusCode::PERMISSION_DENIED,
            absl::StrCat("an agent reads their own month-end sample only; ",
                         caller.agent_id, " asked for ", agent));
      });
    }
  }
  return Answer<ScorecardView>(pool_, runner_, context, request, response,
                               [agent, request](const ScorecardView& view) {
                                 return view.SecondRevisitSample(
                                     agent, request->month());
                               });
}

grpc::ServerUnaryReactor* QueryService::SearchKnowledgeBase(
    grpc::CallbackServerContext* context,
    const v1::SearchKnowledgeBaseRequest* request,
    v1::SearchKnowledgeBaseResponse* response) {
  return Answer<AnalysisView>(
      pool_, runner_, context, request, response,
      [request](const AnalysisView& view) { return view.Search(*request); });
}

grpc::ServerUnaryReactor* QueryService::GetDigest(
    grpc::CallbackServerContext* context, const v1::GetDigestRequest* request,
    v1::GetDigestResponse* response) {
  return Answer<AnalysisView>(
      pool_, runner_, context, request, response,
      [request, caller = CurrentCaller()](
          const AnalysisView& view) -> absl::StatusOr<v1::GetDigestResponse> {
        ASSIGN_OR_RETURN(v1::GetDigestResponse digest,
                         view.Digest(request->month(), request->half()));
        if (caller.station_scoped) {
          // A station head: their stations' cases only (the typical cases
          // are written up for every department).
          AnalysisView::KeepEntries(&digest, [&](const v1::DigestEntry& e) {
            return caller.SeesStation(e.station_id());
          });
        }
        return digest;
      });
}

grpc::ServerUnaryReactor* QueryService::GetReadingRecord(
    grpc::CallbackServerContext* context,
    const v1::GetReadingRecordRequest* request,
    v1::GetReadingRecordResponse* response) {
  return Answer<AnalysisView>(pool_, runner_, context, request, response,
                              [request](const AnalysisView& view) {
                                return view.Readings(request->month());
                              });
}

grpc::ServerUnaryReactor* QueryService::GetPenaltyTable(
    grpc::CallbackServerContext* context,
    const v1::GetPenaltyTableRequest* request,
    v1::GetPenaltyTableResponse* response) {
  return Answer<StationView>(
      pool_, runner_, context, request, response,
      [request, caller = CurrentCaller()](const StationView& view)
          -> absl::StatusOr<v1::GetPenaltyTableResponse> {
        ASSIGN_OR_RETURN(v1::GetPenaltyTableResponse table,
                         view.PenaltyTable(request->month()));
        if (caller.station_scoped) {
          for (auto* lines :
               {table.mutable_lines(), table.mutable_adjustments()}) {
            lines->erase(
                std::remove_if(lines->begin(), lines->end(),
                               [&](const v1::PenaltyLine& line) {
                                 return !caller.SeesStation(line.station_id());
                               }),
                lines->end());
          }
          StationView::TotalPenalties(&table);
        }
        return table;
      });
}

grpc::ServerUnaryReactor* QueryService::ExportPenaltyTable(
    grpc::CallbackServerContext* context,
    const v1::ExportPenaltyTableRequest* request,
    v1::ExportPenaltyTableResponse* response) {
  return Answer<StationView>(
      pool_, runner_, context, request, response,
      [request](const StationView& view)
          -> absl::StatusOr<v1::ExportPenaltyTableResponse> {
        ASSIGN_OR_RETURN(v1::GetPenaltyTableResponse table,
                         view.PenaltyTable(request->month()));
        return ledger::ExportPenaltyTable(table, request->format());
      });
}

grpc::ServerUnaryReactor* QueryService::GetAssessment(
    grpc::CallbackServerContext* context,
    const v1::GetAssessmentRequest* request,
    v1::GetAssessmentResponse* response) {
  const Caller& caller = CurrentCaller();
  const bool sees_all = SeesEveryAgent(caller);
  std::string agent = request->agent_id();
  if (!sees_all) {
    if (agent.empty()) agent = caller.agent_id;
    if (agent != caller.agent_id) {
      return FinishNow(context, [&] {
        return grpc::Status(
            grpc::StatusCode::PERMISSION_DENIED,
            absl::StrCat("an agent reads their own assessment only; ",
                         caller.agent_id, " asked for ", agent));
      });
    }
  }
  const int64_t now = request->now_us() != 0
                          ? request->now_us()
                          : absl::ToUnixMicros(clock_->Now());
  return Answer<ScorecardView>(
      pool_, runner_, context, request, response,
      [agent, request, now, sees_all](const ScorecardView& view)
          -> absl::StatusOr<v1::GetAssessmentResponse> {
        ASSIGN_OR_RETURN(v1::GetAssessmentResponse assessment,
                         view.Assessment(agent, request->month(), now));
        if (!sees_all && !assessment.published()) {
          return absl::FailedPreconditionError(
              absl::StrCat("the assessment of ", YearMonthKey(request->month()),
                           " is not published yet"));
        }
        return assessment;
      });
}

grpc::ServerUnaryReactor* QueryService::ListProjections(
    grpc::CallbackServerContext* context, const v1::ListProjectionsRequest*,
    v1::ListProjectionsResponse* response) {
  return FinishOnceLoaded(pool_, runner_, context, [this, response] {
    for (auto& info : runner_.List()) *response->add_projections() = info;
    if (log_ != nullptr) {
      v1::ProjectionInfo* index = response->add_projections();
      index->set_name("stream-index");
      index->set_source("the log (stream index and command ids)");
      index->set_checkpoint(log_->log_head().position_last);
      index->set_rebuilt_after(log_->index_rebuilt_after());
    }
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* QueryService::Rebuild(
    grpc::CallbackServerContext* context, const v1::RebuildRequest* request,
    v1::RebuildResponse* response) {
  return FinishOnceLoaded(
      pool_, runner_, context, [this, context, request, response] {
        absl::StatusOr<uint64_t> position = runner_.Rebuild(request->name());
        if (!position.ok()) return ToGrpcStatus(position.status(), context);
        response->set_checkpoint(*position);
        return grpc::Status::OK;
      });
}

}  // namespace ledger
