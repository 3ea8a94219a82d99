#include "services/complaint_service.h"

#include <optional>

#include "ledger/events/payload.h"
#include "rpc/status.h"
#include "services/actor.h"
#include "services/gate.h"

namespace ledger {
ComplaintService::ComplaintService(ComplaintApp* app, WorkPool* pool)
    : app_(*app), pool_(*pool), batches_("ledger-batch", kBatchWorkers) {
  const std::string name = v1::ComplaintService::service_full_name();
  ParseRequests(name, "ExecuteBatch", &ComplaintService::ExecuteBatch);
  ParseRequests(name, "GetComplaint", &ComplaintService::GetComplaint);
  ParseRequests(name, "FindComplaints", &ComplaintService::FindComplaints);
  InstallCommandHandlers(v1::ComplaintService::service_full_name(),
                         [this](grpc::CallbackServerContext* context,
                                const google::protobuf::Message& command,
                                v1::CommandResult* response, Finish finish) {
                           Execute(context, command, response,
                                   std::move(finish));
                         });
}

// Finishes the call on one of `replies_`' threads with ExecuteAsync's
// outcome (given on this thread when the command was refused, on the
// store's writer thread once it is durable): Finish writes to the socket
// inline, which the writer, the ledger's one serial stage, should not wait
// for. The writer hands over a group's answers in one piece
// (WorkPool::Batch): one wake-up of one reply thread a group.
void ComplaintService::Execute(grpc::CallbackServerContext* context,
                               const google::protobuf::Message& command,
                               v1::CommandResult* response, Finish finish) {
  app_.ExecuteAsync(
      command, ActorOf(context, *CommandContextOf(command)),
      [this, context, response, finish = std::move(finish)](
          absl::StatusOr<v1::CommandResult> result) mutable {
        replies_.Schedule([context, response, finish = std::move(finish),
                           result = std::move(result)]() mutable {
          if (!result.ok()) {
            return finish(ToGrpcStatus(result.status(), context));
          }
          *response = *std::move(result);
          finish(grpc::Status::OK);
        });
      });
}

grpc::ServerUnaryReactor* ComplaintService::ExecuteBatch(
    grpc::CallbackServerContext* context, const v1::CommandBatch* request,
    v1::BatchResult* response) {
  return FinishOn(batches_, context, [this, context, request, response] {
    absl::StatusOr<v1::BatchResult> result = app_.ExecuteBatch(
        *request, [context](const v1::CommandContext& command) {
          return ActorOf(context, command);
        });
    if (!result.ok()) {
      grpc::Status status = ToGrpcStatus(result.status(), context);
      NoteStatus(status);
      return status;
    }
    *response = std::move(*result);
    return grpc::Status::OK;
  });
}

namespace {

enum class Sight { kClear, kMasked, kNone };

// How much of the customer `caller` sees on `state`'s complaint: the owner
// and centre heads all of it; auditors and services none; everyone else
// who may read complaints a masked form. Nobody authenticated (an open
// gate, development): all of it.
Sight SightOf(const Caller& caller, const v1::ComplaintState& state) {
  if (caller.agent_id.empty() || caller.agent_id == state.owner_agent_id()) {
    return Sight::kClear;
  }
  bool other = false;
  for (v1::Role role : caller.roles) {
    if (role == v1::ROLE_CENTRE_HEAD) return Sight::kClear;
    other |= role != v1::ROLE_AUDITOR && role != v1::ROLE_SERVICE;
  }
  return other ? Sight::kMasked : Sight::kNone;
}

// The intake's personal data in `view` as `caller` may see it: sealed data
// opened (or masked, or left out), data in clear (ledgers from before
// sealing) masked or left out likewise. An erased customer's data is gone
// for everyone. The events so changed no longer match their hashes: the
// view is for reading; ReadStream serves the log as it is.
absl::Status Present(const PersonalData* personal, const Caller& caller,
                     v1::ComplaintView& view) {
  const Sight sight = SightOf(caller, view.state());
  for (v1::Event& event : *view.mutable_timeline()) {
    if (event.event_type() != EventTypeOf<v1::ComplaintReceived>()) continue;
    v1::ComplaintReceived received;
    if (!received.ParseFromString(event.payload())) continue;
    std::optional<v1::CustomerContact> contact;
    if (received.has_customer()) {
      contact = received.customer();
    } else if (received.has_sealed_customer() && personal != nullptr &&
               sight != Sight::kNone) {
      absl::StatusOr<v1::CustomerContact> opened =
          personal->Unseal(received.sealed_customer());
      if (opened.ok()) {
        contact = *std::move(opened);
      } else if (!absl::IsNotFound(opened.status())) {
        return opened.status();  // Damage is reported, not hidden.
      }
    }
    received.clear_personal_data();
    if (contact.has_value() && sight == Sight::kClear) {
      *received.mutable_customer() = *std::move(contact);
    } else if (contact.has_value() && sight == Sight::kMasked) {
      *received.mutable_customer() = Masked(*contact);
    }
    received.SerializeToString(event.mutable_payload());
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* ComplaintService::GetComplaint(
    grpc::CallbackServerContext* context,
    const v1::GetComplaintRequest* request, v1::ComplaintView* response) {
  return FinishOn(pool_, context,
                  [this, context, request, response, caller = CurrentCaller()] {
                    absl::StatusOr<v1::ComplaintView> view = app_.Get(
                        request->complaint_id(),
                        request->has_as_of_position()
                            ? std::optional<uint64_t>(request->as_of_position())
                            : std::nullopt);
                    if (!view.ok()) return ToGrpcStatus(view.status(), context);
                    if (!SeesComplaint(caller, view->state())) {
                      return grpc::Status(
                          grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("complaint ", request->complaint_id(),
                                       " does not concern the station(s) ",
                                       caller.agent_id, " heads"));
                    }
                    absl::Status shown =
                        Present(app_.personal_data(), caller, *view);
                    if (!shown.ok()) return ToGrpcStatus(shown, context);
                    *response = std::move(*view);
                    return grpc::Status::OK;
                  });
}

grpc::ServerUnaryReactor* ComplaintService::FindComplaints(
    grpc::CallbackServerContext* context,
    const v1::FindComplaintsRequest* request,
    v1::FindComplaintsResponse* response) {
  return FinishOn(pool_, context, [this, context, request, response] {
    absl::StatusOr<std::vector<PriorComplaint>> found =
        app_.FindComplaints(request->customer());
    if (!found.ok()) return ToGrpcStatus(found.status(), context);
    const PersonalData* personal = app_.personal_data();
    for (const PriorComplaint& prior : *found) {
      if (personal != nullptr) {
        // An erased customer's complaints are not theirs to be found by
        // any more (docs/rules.md, "Personal data"): the ref outlives the
        // erasure for repeat detection only.
        absl::StatusOr<v1::ComplaintView> view = app_.Get(prior.complaint_id);
        if (!view.ok()) return ToGrpcStatus(view.status(), context);
        bool erased = false;
        for (const v1::Event& e : view->timeline()) {
          if (e.event_type() != EventTypeOf<v1::ComplaintReceived>()) continue;
          v1::ComplaintReceived received;
          if (received.ParseFromString(e.payload()) &&
              received.has_sealed_customer()) {
            absl::StatusOr<v1::CustomerContact> opened =
                personal->Unseal(received.sealed_customer());
            if (absl::IsNotFound(opened.status())) erased = true;
            if (!opened.ok() && !erased) {
              return ToGrpcStatus(opened.status(), context);
            }
          }
          break;
        }
        if (erased) continue;
      }
      v1::FoundComplaint* out = response->add_complaints();
      out->set_complaint_id(prior.complaint_id);
      out->set_received_time_us(prior.received_time_us);
      out->set_kind(prior.kind);
      out->set_category(prior.category);
    }
    return grpc::Status::OK;
  });
}

ReferenceDataService::ReferenceDataService(ComplaintApp* app, WorkPool* pool)
    : app_(*app), pool_(*pool) {
  ParseRequests(v1::ReferenceDataService::service_full_name(),
                "ListReferenceData", &ReferenceDataService::ListReferenceData);
  InstallCommandHandlers(v1::ReferenceDataService::service_full_name(),
                         [this](grpc::CallbackServerContext* context,
                                const google::protobuf::Message& command,
                                v1::CommandResult* response, Finish finish) {
                           Execute(context, command, response,
                                   std::move(finish));
                         });
}

grpc::ServerUnaryReactor* ReferenceDataService::ListReferenceData(
    grpc::CallbackServerContext* context, const v1::ListReferenceDataRequest*,
    v1::ListReferenceDataResponse* response) {
  return FinishNow(context, [this, response, caller = CurrentCaller()] {
    std::shared_ptr<const ReferenceData> reference = app_.reference();
    if (caller.station_scoped) {
      // A station head: their own stations, nobody's names.
      for (const v1::StationRegistered* station : reference->Stations()) {
        if (caller.SeesStation(station->station_id())) {
          *response->add_stations() = *station;
        }
      }
      return grpc::Status::OK;
    }
    for (const v1::AgentRegistered* agent : reference->Agents()) {
      v1::AgentRegistered* out = response->add_agents();
      *out = *agent;
      // What a service may read is its operator's business.
      out->clear_service_grant();
    }
    for (const v1::StationRegistered* station : reference->Stations()) {
      *response->add_stations() = *station;
    }
    for (const v1::DepartmentRegistered* department :
         reference->Departments()) {
      *response->add_departments() = *department;
    }
    *response->mutable_customer_types() = reference->customer_types().types();
    if (const BusinessCalendar* calendar = reference->calendar()) {
      response->set_calendar_version(calendar->version());
      response->set_time_zone(calendar->time_zone().name());
      for (int64_t year : calendar->years()) {
        response->add_calendar_years(year);
      }
    }
    return grpc::Status::OK;
  });
}

// On the pool: the command waits for its fsync.
void ReferenceDataService::Execute(grpc::CallbackServerContext* context,
                                   const google::protobuf::Message& command,
                                   v1::CommandResult* response, Finish finish) {
  pool_.Schedule(
      [this, context, &command, response, finish = std::move(finish)] {
        absl::StatusOr<v1::CommandResult> result =
            app_.Execute(command, ActorOf(context, *CommandContextOf(command)));
        if (!result.ok()) return finish(ToGrpcStatus(result.status(), context));
        *response = std::move(*result);
        finish(grpc::Status::OK);
      });
}

}  // namespace ledger
