#include "services/gate.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "ledger/base/check.h"
#include "ledger/base/status_macros.h"
#include "ledger/events/catalogue.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "ledger/v1/subscription_service.pb.h"

namespace ledger {
namespace {

using v1::ROLE_AGENT;
using v1::ROLE_AUDITOR;
using v1::ROLE_CENTRE_HEAD;
using v1::ROLE_CLERK;
using v1::ROLE_DEPARTMENT_HEAD;
using v1::ROLE_GENERAL_MANAGER;
using v1::ROLE_PROJECT_HEAD;
using v1::ROLE_SERVICE;
using v1::ROLE_STATION_HEAD;

// Who works complaints: the agents, and the centre head who may do all an
// agent does.
#define HANDLERS ROLE_AGENT, ROLE_CENTRE_HEAD
// Who reads the log as it is: auditors, the head and the general manager,
// and services.
#define LOG_READERS \
  ROLE_AUDITOR, ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_SERVICE

const std::vector<AccessRule>* MakeTable() {
  return new std::vector<AccessRule>{
      {"ledger.v1.ComplaintService.ReceiveComplaint", {HANDLERS, ROLE_CLERK}},
      {"ledger.v1.ComplaintService.AssignOwner", {HANDLERS}},
      {"ledger.v1.ComplaintService.HandOver", {HANDLERS}},
      {"ledger.v1.ComplaintService.Classify", {HANDLERS}},
      {"ledger.v1.ComplaintService.RaiseSeverity", {HANDLERS}},
      {"ledger.v1.ComplaintService.ChooseTrack", {HANDLERS}},
      {"ledger.v1.ComplaintService.RequestAssist", {HANDLERS}},
      {"ledger.v1.ComplaintService.AnswerAssist",
       {HANDLERS, ROLE_STATION_HEAD, ROLE_DEPARTMENT_HEAD, ROLE_PROJECT_HEAD}},
      {"ledger.v1.ComplaintService.ChaseAssist", {HANDLERS}},
      {"ledger.v1.ComplaintService.EscalateToGm", {HANDLERS}},
      {"ledger.v1.ComplaintService.RecordGmDecision",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER}},
      {"ledger.v1.ComplaintService.Reply", {HANDLERS}},
      {"ledger.v1.ComplaintService.RecordRevisit", {HANDLERS}},
      {"ledger.v1.ComplaintService.WaiveRevisit", {HANDLERS}},
      {"ledger.v1.ComplaintService.Reopen", {HANDLERS}},
      {"ledger.v1.ComplaintService.CompletePaperwork", {HANDLERS}},
      {"ledger.v1.ComplaintService.SignOff", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ComplaintService.EraseCustomerData", {ROLE_CENTRE_HEAD}},
      // The supervision (002 監督機制): the head or the general manager.
      {"ledger.v1.ComplaintService.RecordSpotCheck",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER}},
      {"ledger.v1.ComplaintService.MarkTypicalCase", {ROLE_CENTRE_HEAD}},
      // Each command of a batch is checked against its own RPC's row too.
      {"ledger.v1.ComplaintService.ExecuteBatch",
       {HANDLERS, ROLE_CLERK, ROLE_STATION_HEAD, ROLE_DEPARTMENT_HEAD,
        ROLE_PROJECT_HEAD, ROLE_GENERAL_MANAGER}},
      {"ledger.v1.ComplaintService.GetComplaint",
       {HANDLERS, ROLE_CLERK, ROLE_GENERAL_MANAGER, ROLE_STATION_HEAD,
        ROLE_DEPARTMENT_HEAD, ROLE_PROJECT_HEAD, ROLE_AUDITOR}},
      // Customers' complaints by their contact: those who take complaints.
      {"ledger.v1.ComplaintService.FindComplaints", {HANDLERS, ROLE_CLERK}},
      // Names beside ids, for the people who work with them (a station
      // head: their own stations only).
      {"ledger.v1.ReferenceDataService.ListReferenceData",
       {HANDLERS, ROLE_CLERK, ROLE_GENERAL_MANAGER, ROLE_STATION_HEAD,
        ROLE_DEPARTMENT_HEAD, ROLE_PROJECT_HEAD, ROLE_AUDITOR}},
      {"ledger.v1.ReferenceDataService.RegisterStation", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.RegisterDepartment", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.RegisterAgent", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.RecordStationVolume",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.PublishCalendar", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.PublishPenaltySchedule",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.DeclareSpecialPeriod",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.PublishCustomerTypes",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.EnterAssessmentPoints",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.PublishAssessment", {ROLE_CENTRE_HEAD}},
      // An agent, of their own assessment (the actor is the caller).
      {"ledger.v1.ReferenceDataService.AppealAssessment", {ROLE_AGENT}},
      {"ledger.v1.ReferenceDataService.DecideAppeal", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.DrawUpPenaltyTable", {ROLE_CENTRE_HEAD}},
      // 公司領導 (003 §7.2).
      {"ledger.v1.ReferenceDataService.SignPenaltyTable",
       {ROLE_GENERAL_MANAGER}},
      {"ledger.v1.ReferenceDataService.PublishPenaltyTable",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.SendPenaltyTableToFinance",
       {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.DrawUpDigest", {ROLE_CENTRE_HEAD}},
      {"ledger.v1.ReferenceDataService.CirculateDigest", {ROLE_CENTRE_HEAD}},
      // An agent, of their own reading.
      {"ledger.v1.ReferenceDataService.RecordReading", {ROLE_AGENT}},
      {"ledger.v1.Ledger.ReadStream", {LOG_READERS}},
      {"ledger.v1.Ledger.ReadAll", {LOG_READERS}},
      {"ledger.v1.Ledger.GetHead", {LOG_READERS}},
      // The log's end (for tail --from_now): no event in it.
      {"ledger.v1.Ledger.GetLogHead", {LOG_READERS, ROLE_STATION_HEAD}},
      // Hashes and signatures only: what an outside auditor checks.
      {"ledger.v1.AuditService.GetCheckpoint", {LOG_READERS}},
      {"ledger.v1.AuditService.GetInclusionProof", {LOG_READERS}},
      {"ledger.v1.AuditService.GetConsistencyProof", {LOG_READERS}},
      {"ledger.v1.AuditService.GetTreeEdge", {LOG_READERS}},
      // A station head's subscriptions are kept to their stations.
      {"ledger.v1.Subscriptions.Subscribe", {LOG_READERS, ROLE_STATION_HEAD}},
      {"ledger.v1.Subscriptions.Ack", {LOG_READERS, ROLE_STATION_HEAD}},
      {"ledger.v1.QueryService.GetQueue",
       {HANDLERS, ROLE_CLERK, ROLE_GENERAL_MANAGER, ROLE_STATION_HEAD,
        ROLE_DEPARTMENT_HEAD}},
      {"ledger.v1.QueryService.GetStationTable",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_STATION_HEAD,
        ROLE_AUDITOR}},
      {"ledger.v1.QueryService.GetMonthlyAnalysis",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      {"ledger.v1.QueryService.GetAgentScorecard",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      // An agent: their own sample only (QueryService checks).
      {"ledger.v1.QueryService.GetSecondRevisitSample",
       {HANDLERS, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      // An agent: their own published row only (QueryService checks).
      {"ledger.v1.QueryService.GetAssessment",
       {HANDLERS, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      // The knowledge base: whoever handles cases or answers for them.
      {"ledger.v1.QueryService.SearchKnowledgeBase",
       {HANDLERS, ROLE_CLERK, ROLE_STATION_HEAD, ROLE_DEPARTMENT_HEAD,
        ROLE_PROJECT_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      {"ledger.v1.QueryService.GetDigest",
       {HANDLERS, ROLE_CLERK, ROLE_STATION_HEAD, ROLE_DEPARTMENT_HEAD,
        ROLE_PROJECT_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      {"ledger.v1.QueryService.GetReadingRecord",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      // A station head: their stations' lines only (QueryService filters).
      {"ledger.v1.QueryService.GetPenaltyTable",
       {ROLE_CENTRE_HEAD, ROLE_STATION_HEAD, ROLE_GENERAL_MANAGER,
        ROLE_AUDITOR}},
      {"ledger.v1.QueryService.ExportPenaltyTable",
       {ROLE_CENTRE_HEAD, ROLE_GENERAL_MANAGER, ROLE_AUDITOR}},
      {"ledger.v1.QueryService.ListProjections",
       {ROLE_CENTRE_HEAD, ROLE_AUDITOR, ROLE_SERVICE}},
      {"ledger.v1.QueryService.Rebuild", {ROLE_CENTRE_HEAD}},
      // An operator's job (a service's certificate or token) or the head's.
      {"ledger.v1.Ledger.Backup", {ROLE_CENTRE_HEAD, ROLE_SERVICE}},
      {"ledger.v1.SimulationService.SetClock", {ROLE_CENTRE_HEAD}},
  };
}

#undef HANDLERS
#undef LOG_READERS

std::string RoleList(const std::vector<v1::Role>& roles) {
  return absl::StrJoin(roles, ", ", [](std::string* out, v1::Role role) {
    out->append(v1::Role_Name(role));
  });
}

bool Allowed(const AccessRule& rule, const Caller& caller) {
  for (v1::Role role : caller.roles) {
    if (std::find(rule.roles.begin(), rule.roles.end(), role) !=
        rule.roles.end()) {
      return true;
    }
  }
  return false;
}

grpc::Status Denied(const std::string& what, const Caller& caller,
                    const AccessRule& rule) {
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat(what, " is for ", RoleList(rule.roles), "; ",
                   caller.agent_id, " holds ",
                   caller.roles.empty() ? "no role" : RoleList(caller.roles)));
}

// The command's CommandContext, or nullptr when it has none.
v1::CommandContext* MutableContext(google::protobuf::Message& command) {
  const google::protobuf::FieldDescriptor* field =
      command.GetDescriptor()->FindFieldByName("context");
  if (field == nullptr ||
      field->message_type() != v1::CommandContext::descriptor()) {
    return nullptr;
  }
  return static_cast<v1::CommandContext*>(
      command.GetReflection()->MutableMessage(&command, field));
}

// The caller acts as themselves: a context naming nobody gets the caller.
grpc::Status MakeActor(google::protobuf::Message& command, const Caller& caller,
                       const std::string& what) {
  v1::CommandContext* context = MutableContext(command);
  if (context == nullptr) return grpc::Status::OK;
  if (!context->actor_agent_id().empty() &&
      context->actor_agent_id() != caller.agent_id) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat(what, ": context.actor_agent_id is ",
                     context->actor_agent_id(), " but the caller is ",
                     caller.agent_id,
                     "; nobody acts for another (leave it empty)"));
  }
  context->set_actor_agent_id(caller.agent_id);
  return grpc::Status::OK;
}

// The RPC whose request is `type`, in the two command services.
std::string CommandRpcOf(const google::protobuf::Descriptor* type) {
  for (const char* service :
       {"ledger.v1.ComplaintService", "ledger.v1.ReferenceDataService"}) {
    const google::protobuf::ServiceDescriptor* s =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service);
    for (int i = 0; s != nullptr && i < s->method_count(); ++i) {
      if (s->method(i)->input_type() == type) return s->method(i)->full_name();
    }
  }
  return "";
}

thread_local const Caller* current_caller = nullptr;

}  // namespace

const Caller& CurrentCaller() {
  static const Caller* nobody = new Caller();
  return current_caller != nullptr ? *current_caller : *nobody;
}

ScopedCaller::ScopedCaller(const Caller* caller) : previous_(current_caller) {
  current_caller = caller;
}

ScopedCaller::~ScopedCaller() { current_caller = previous_; }

std::string OwnedName(const Caller& caller, const std::string& name) {
  // Agent ids hold no '/' (CheckId), so "<owner>/<name>" is unambiguous.
  return caller.agent_id.empty() ? name
                                 : absl::StrCat(caller.agent_id, "/", name);
}

const std::vector<AccessRule>& AccessTable() {
  static const std::vector<AccessRule>* table = MakeTable();
  return *table;
}

namespace {

// Whether the registry gives the agent `role` and nothing else.
bool HoldsOnly(const std::vector<v1::Role>& roles, v1::Role role) {
  return !roles.empty() &&
         std::all_of(roles.begin(), roles.end(),
                     [role](v1::Role r) { return r == role; });
}

}  // namespace

Gate::Gate(std::shared_ptr<TokenVerifier> verifier, Registry registry,
           std::string bootstrap_head, CallLimits limits)
    : verifier_(std::move(verifier)),
      registry_(std::move(registry)),
      bootstrap_head_(std::move(bootstrap_head)),
      limits_(limits) {
  for (const AccessRule& rule : AccessTable()) rules_[rule.rpc] = &rule;
}

absl::StatusOr<Caller> Gate::Authenticate(const grpc::ServerContextBase& call,
                                          const ReferenceData& registry) const {
  std::string header;
  const auto& metadata = call.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    header.assign(it->second.data(), it->second.size());
  }
  Caller caller;
  std::vector<grpc::string_ref> names;
  std::shared_ptr<const grpc::AuthContext> peer;
  if (header.empty()) {
    // Only then: gRPC makes a new AuthContext for every call that asks.
    peer = call.auth_context();
    if (peer != nullptr && peer->IsPeerAuthenticated()) {
      names = peer->FindPropertyValues("x509_common_name");
    }
  }
  if (header.empty() && names.size() == 1) {
    // A service, by the certificate the site's CA (--client_ca) gave it.
    caller.agent_id.assign(names.front().data(), names.front().size());
    return Registered(std::move(caller), /*by_certificate=*/true, registry);
  }
  return AuthenticateHeader(header, registry);
}

absl::StatusOr<Caller> Gate::AuthenticateHeader(
    const std::string& header, const ReferenceData& registry) const {
  absl::StatusOr<VerifiedToken> token = verifier_->VerifyHeader(header);
  if (!token.ok()) return token.status();
  Caller caller;
  caller.agent_id = token->subject;
  caller.expires = token->expires;
  return Registered(std::move(caller), /*by_certificate=*/false, registry);
}

absl::StatusOr<Caller> Gate::Registered(Caller caller, bool by_certificate,
                                        const ReferenceData& registry) const {
  if (!registry.HasAgents()) {
    // A new ledger: its first head is named by configuration, and nobody
    // else is anybody yet. (Once anyone is registered the registry decides:
    // it always keeps an active centre head.)
    if (caller.agent_id == bootstrap_head_ && !bootstrap_head_.empty() &&
        !by_certificate) {
      caller.roles = {v1::ROLE_CENTRE_HEAD};
      return caller;
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "the ledger has no centre head yet; only the bootstrap head (",
        bootstrap_head_.empty() ? "none configured: --bootstrap_head"
                                : bootstrap_head_,
        ") may register agents, starting with themselves"));
  }
  const v1::AgentRegistered* agent = registry.FindAgent(caller.agent_id);
  if (agent == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        caller.agent_id, " (the token's subject) is not a registered agent"));
  }
  if (!agent->active()) {
    return absl::PermissionDeniedError(
        absl::StrCat(caller.agent_id, " is not an active agent"));
  }
  for (int role : agent->roles()) {
    caller.roles.push_back(static_cast<v1::Role>(role));
  }
  const bool service = HoldsOnly(caller.roles, v1::ROLE_SERVICE);
  if (by_certificate && !service) {
    // A certificate names a service; people come with tokens.
    return absl::PermissionDeniedError(absl::StrCat(
        "a client certificate names a service; ", caller.agent_id,
        " is registered with other roles than SERVICE: sign in with a token"));
  }
  if (service && Narrows(agent->service_grant())) {
    caller.grant = agent->service_grant();
  }
  caller.station_scoped = HoldsOnly(caller.roles, v1::ROLE_STATION_HEAD);
  if (caller.station_scoped) {
    caller.stations = registry.StationsHeadedBy(caller.agent_id);
  }
  return caller;
}

namespace {

constexpr char kStationTag[] = "station:";

grpc::Status Refused(std::string message) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::move(message));
}

// Tags a filter of `caller`'s may name: only their stations'.
grpc::Status KeepTags(const Caller& caller, const std::string& what,
                      const v1::SubscriptionFilter& filter,
                      const std::vector<std::string>& stations) {
  for (const std::string& tag : filter.tags()) {
    const bool theirs =
        absl::StartsWith(tag, kStationTag) &&
        std::find(stations.begin(), stations.end(),
                  tag.substr(sizeof(kStationTag) - 1)) != stations.end();
    if (!theirs) {
      return Refused(absl::StrCat(
          what, ": ", caller.agent_id, " may read stations ",
          absl::StrJoin(stations, ", "), " only; filter.tags names ", tag));
    }
  }
  return grpc::Status::OK;
}

// A service's request kept within its grant (ServiceGrant, common.proto).
grpc::Status KeepToGrant(const Caller& caller, const std::string& what,
                         google::protobuf::Message& request) {
  const v1::ServiceGrant& grant = *caller.grant;
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  if (type == v1::ReadAllRequest::descriptor() ||
      type == v1::ReadStreamRequest::descriptor() ||
      type == v1::GetHeadRequest::descriptor()) {
    return Refused(absl::StrCat(
        what, ": ", caller.agent_id,
        "'s grant allows subscriptions within it, not reading the log "
        "unfiltered"));
  }
  if (type != v1::SubscribeRequest::descriptor()) return grpc::Status::OK;
  v1::SubscriptionFilter& filter =
      *static_cast<v1::SubscribeRequest&>(request).mutable_filter();
  const auto& prefixes = grant.stream_prefixes();
  if (!prefixes.empty()) {
    auto within = [&](const std::string& stream) {
      return std::any_of(prefixes.begin(), prefixes.end(),
                         [&](const std::string& prefix) {
                           return absl::StartsWith(stream, prefix);
                         });
    };
    if (filter.stream_id().empty() && filter.stream_prefix().empty() &&
        prefixes.size() == 1) {
      filter.set_stream_prefix(prefixes[0]);
    }
    const std::string& asked = filter.stream_id().empty()
                                   ? filter.stream_prefix()
                                   : filter.stream_id();
    if (!within(asked)) {
      return Refused(absl::StrCat(
          what, ": ", caller.agent_id, " may read streams starting with ",
          absl::StrJoin(prefixes, ", "), " only; the filter asks for \"", asked,
          "\""));
    }
  }
  if (!grant.event_types().empty()) {
    if (filter.event_types().empty()) {
      *filter.mutable_event_types() = grant.event_types();
    }
    for (const std::string& asked : filter.event_types()) {
      const std::string full = FullEventTypeName(asked);
      if (std::none_of(grant.event_types().begin(), grant.event_types().end(),
                       [&](const std::string& granted) {
                         return FullEventTypeName(granted) == full;
                       })) {
        return Refused(absl::StrCat(what, ": ", caller.agent_id,
                                    " may read event types ",
                                    absl::StrJoin(grant.event_types(), ", "),
                                    " only; the filter asks for ", asked));
      }
    }
  }
  if (!grant.station_ids().empty()) {
    const std::vector<std::string> stations(grant.station_ids().begin(),
                                            grant.station_ids().end());
    if (filter.station_id().empty() && filter.tags().empty()) {
      // Every granted station: a tag matches any of them.
      for (const std::string& station : stations) {
        filter.add_tags(absl::StrCat(kStationTag, station));
      }
    }
    if (!filter.station_id().empty() &&
        std::find(stations.begin(), stations.end(), filter.station_id()) ==
            stations.end()) {
      return Refused(
          absl::StrCat(what, ": ", caller.agent_id, " may read stations ",
                       absl::StrJoin(stations, ", "),
                       " only; the filter names ", filter.station_id()));
    }
    return KeepTags(caller, what, filter, stations);
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status Gate::Scope(const Caller& caller, const std::string& what,
                         google::protobuf::Message& request) const {
  if (caller.grant.has_value()) return KeepToGrant(caller, what, request);
  if (!caller.station_scoped) return grpc::Status::OK;
  auto keep = [&](std::string* station) -> grpc::Status {
    if (station->empty() && caller.stations.size() == 1) {
      *station = caller.stations.front();
    }
    if (!caller.SeesStation(*station)) {
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat(what, ": ", caller.agent_id, " heads station(s) ",
                       absl::StrJoin(caller.stations, ", "),
                       caller.stations.empty() ? "none" : "",
                       " and sees only theirs; this names ",
                       station->empty() ? "none" : *station));
    }
    return grpc::Status::OK;
  };
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  if (type == v1::GetQueueRequest::descriptor()) {
    auto& queue = static_cast<v1::GetQueueRequest&>(request);
    grpc::Status kept = keep(queue.mutable_station_id());
    if (!kept.ok()) return kept;
    // Only the assists-pending queue is kept per station; the others hold
    // every station's complaints, which a station head does not see.
    // (No kind at all is the view's to refuse: INVALID_ARGUMENT.)
    if (queue.kind() != v1::QUEUE_KIND_ASSISTS_PENDING &&
        queue.kind() != v1::QUEUE_KIND_UNSPECIFIED) {
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat(what, ": ", caller.agent_id,
                       " heads station(s) and sees the assists-pending queue "
                       "of theirs only, not ",
                       v1::QueueKind_Name(queue.kind())));
    }
    return grpc::Status::OK;
  }
  if (type == v1::SubscribeRequest::descriptor()) {
    v1::SubscriptionFilter& filter =
        *static_cast<v1::SubscribeRequest&>(request).mutable_filter();
    // A tag of another station would widen the filter past theirs.
    grpc::Status tags = KeepTags(caller, what, filter, caller.stations);
    if (!tags.ok()) return tags;
    return keep(filter.mutable_station_id());
  }
  if (type == v1::AnswerAssist::descriptor()) {
    v1::AssistTarget* target =
        static_cast<v1::AnswerAssist&>(request).mutable_target();
    if (target->target_case() == v1::AssistTarget::kDepartmentId) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat(what,
                                       ": a station head answers for "
                                       "their station, not a department"));
    }
    return keep(target->mutable_station_id());
  }
  return grpc::Status::OK;
}

bool Caller::SeesStation(const std::string& station_id) const {
  return !station_scoped ||
         (!station_id.empty() && std::find(stations.begin(), stations.end(),
                                           station_id) != stations.end());
}

bool SeesComplaint(const Caller& caller, const v1::ComplaintState& state) {
  if (!caller.station_scoped) return true;
  if (caller.SeesStation(state.station_id())) return true;
  for (const v1::AssistRequestState& request : state.assist_requests()) {
    for (const v1::AssistTargetState& target : request.targets()) {
      if (target.target().target_case() == v1::AssistTarget::kStationId &&
          caller.SeesStation(target.target().station_id())) {
        return true;
      }
    }
  }
  return false;
}

grpc::Status Gate::Charge(const Caller& caller, double calls) const {
  if (limits_.calls_per_second <= 0) return grpc::Status::OK;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&buckets_mu_);
  auto [it, added] =
      buckets_.try_emplace(caller.agent_id, Bucket{limits_.burst, now});
  Bucket& bucket = it->second;
  bucket.left = std::min(
      limits_.burst, bucket.left + absl::ToDoubleSeconds(now - bucket.filled) *
                                       limits_.calls_per_second);
  bucket.filled = now;
  if (bucket.left < calls) {
    const double wait_s = (calls - bucket.left) / limits_.calls_per_second;
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(caller.agent_id, " has used up their calls: at most ",
                     limits_.calls_per_second, " a second, ", limits_.burst,
                     " at once (each command of a batch counts; "
                     "--calls_per_second, --call_burst); this one needs ",
                     calls, ", retry in ",
                     absl::FormatDuration(absl::Ceil(absl::Seconds(wait_s),
                                                     absl::Milliseconds(1)))));
  }
  bucket.left -= calls;
  return grpc::Status::OK;
}

grpc::Status Gate::Admit(const std::string& rpc,
                         const grpc::ServerContextBase& call,
                         google::protobuf::Message& request,
                         Caller* admitted) const {
  if (open()) return grpc::Status::OK;
  auto rule = rules_.find(rpc);
  if (rule == rules_.end()) {
    // Secure by default: an RPC nobody wrote a row for is nobody's.
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat(rpc, " has no row in the access table"));
  }
  const std::shared_ptr<const ReferenceData> registry = registry_();
  if (registry == nullptr) {
    // A projection process that has not yet read the ledger's registry.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the ledger's agent registry is not read yet, or the "
                        "ledger has not been heard from for 30 s: who the "
                        "caller is cannot be told; try again");
  }
  absl::StatusOr<Caller> caller = Authenticate(call, *registry);
  if (caller.ok() && actors_ != nullptr) actors_->Set(&call, caller->agent_id);
  if (!caller.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(caller.status().code()),
                        std::string(caller.status().message()));
  }
  if (!Allowed(*rule->second, *caller)) {
    return Denied(rpc, *caller, *rule->second);
  }
  if (admitted != nullptr) *admitted = *caller;
  if (request.GetDescriptor() == v1::CommandBatch::descriptor()) {
    auto& batch = static_cast<v1::CommandBatch&>(request);
    grpc::Status charged = Charge(*caller, std::max(1, batch.commands_size()));
    if (!charged.ok()) return charged;
    for (int i = 0; i < batch.commands_size(); ++i) {
      v1::BatchCommand& entry = *batch.mutable_commands(i);
      const google::protobuf::Reflection* reflection = entry.GetReflection();
      const google::protobuf::OneofDescriptor* oneof =
          entry.GetDescriptor()->FindOneofByName("command");
      const google::protobuf::FieldDescriptor* set =
          reflection->GetOneofFieldDescriptor(entry, oneof);
      if (set == nullptr) continue;  // The app says what is missing.
      google::protobuf::Message* command =
          reflection->MutableMessage(&entry, set);
      const std::string what =
          absl::StrCat("commands[", i, "] (", set->message_type()->name(), ")");
      auto command_rule = rules_.find(CommandRpcOf(set->message_type()));
      LEDGER_CHECK(command_rule != rules_.end(),
                   "every command of a batch has its RPC's row");
      if (!Allowed(*command_rule->second, *caller)) {
        return Denied(what, *caller, *command_rule->second);
      }
      grpc::Status scoped = Scope(*caller, what, *command);
      if (!scoped.ok()) return scoped;
      grpc::Status actor = MakeActor(*command, *caller, what);
      if (!actor.ok()) return actor;
    }
    return grpc::Status::OK;
  }
  grpc::Status charged = Charge(*caller, 1);
  if (!charged.ok()) return charged;
  grpc::Status scoped = Scope(*caller, rpc, request);
  if (!scoped.ok()) return scoped;
  return MakeActor(request, *caller, rpc);
}

absl::Status Gate::AdmitHttp(const std::string& what,
                             const std::string& authorization,
                             const std::vector<v1::Role>& roles,
                             Caller* admitted) const {
  if (open()) return absl::OkStatus();
  const std::shared_ptr<const ReferenceData> registry = registry_();
  if (registry == nullptr) {
    return absl::UnavailableError(
        "the ledger's agent registry is not read yet: who the caller is "
        "cannot be told; try again");
  }
  ASSIGN_OR_RETURN(Caller caller, AuthenticateHeader(authorization, *registry));
  const AccessRule rule{what.c_str(), roles};
  if (caller.grant.has_value()) {
    // What the HTTP side shows is the whole ledger's (counters of every
    // call, the log's position), more than a narrowed grant may see.
    return absl::PermissionDeniedError(absl::StrCat(
        what, ": ", caller.agent_id,
        " is a service granted part of the log only; this shows all of it"));
  }
  if (!Allowed(rule, caller)) {
    grpc::Status denied = Denied(what, caller, rule);
    return absl::PermissionDeniedError(denied.error_message());
  }
  grpc::Status charged = Charge(caller, 1);
  if (!charged.ok()) {
    return absl::ResourceExhaustedError(charged.error_message());
  }
  if (admitted != nullptr) *admitted = std::move(caller);
  return absl::OkStatus();
}

}  // namespace ledger
