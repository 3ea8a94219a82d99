// Gate: who may call what, decided in one place for every RPC of ledgerd.
//
// Every handler (services/parsed_requests.h, services/command_rpcs.h, the
// subscription stream) hands its parsed request to Gate::Admit before the
// service sees it. Admit
//   1. authenticates the caller: the "authorization: Bearer <JWT>" header,
//      checked by auth/token_verifier.h; its subject is an agent id;
//   2. looks the caller up in the ledger's own agent registry (so the log
//      says who held which role when): unregistered or inactive is
//      PERMISSION_DENIED; until the registry has a centre head, only
//      --bootstrap_head is let in, as one;
//   3. checks the RPC against the access table (AccessTable() in gate.cc, the
//      README's "Who may call what"): a caller with none of the roles of
//      the row is PERMISSION_DENIED naming them;
//   4. makes the caller the actor: a command (and each command of a batch)
//      naming another actor in CommandContext.actor_agent_id is
//      PERMISSION_DENIED; naming none, it gets the caller's id.
//
// Without a token verifier (ledgerd --insecure_no_auth) the gate is open: no
// authentication, actors as the requests name them. ledgerd then listens on
// loopback only, for development on one machine.
#ifndef LEDGER_SERVICES_GATE_H_
#define LEDGER_SERVICES_GATE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/token_verifier.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/complaint_state.pb.h"
#include "services/call_log.h"

namespace ledger {

// Who is calling, once admitted.
struct Caller {
  // The agent id (the token's subject); empty when the gate is open.
  std::string agent_id;
  std::vector<v1::Role> roles;
  // A station head and nothing else sees only the complaints, queue rows,
  // station-table row and events of the stations they head (these, from
  // the registry's StationRegistered.head_agent_id). Checked by the gate
  // for requests that name a station (queues, subscriptions, assist
  // answers), by the services for what they answer (GetComplaint,
  // GetStationTable).
  bool station_scoped = false;
  std::vector<std::string> stations;
  // A service whose registration grants it part of the log only: its
  // subscriptions are kept within it, and it may not read the log whole.
  std::optional<v1::ServiceGrant> grant;
  // When the caller's token expires (never, for a certificate or an open
  // gate): the console's session ends with it.
  absl::Time expires = absl::InfiniteFuture();

  // Whether a scoped caller may see `station_id` (anyone else: yes).
  bool SeesStation(const std::string& station_id) const;
};

// Whether the complaint concerns one of `caller`'s stations (it names the
// station, or asked it for assistance); true for a caller not scoped.
bool SeesComplaint(const Caller& caller, const v1::ComplaintState& state);

// The caller of the call whose service method runs on this thread now: set
// by the handlers (services/parsed_requests.h) around their call of the
// method, so valid only until the method returns (read it before moving to
// a pool). Nobody (an empty agent_id) when the gate is open.
const Caller& CurrentCaller();

// Makes `caller` the CurrentCaller of this thread for its lifetime.
class ScopedCaller {
 public:
  explicit ScopedCaller(const Caller* caller);
  ~ScopedCaller();
  ScopedCaller(const ScopedCaller&) = delete;
  ScopedCaller& operator=(const ScopedCaller&) = delete;

 private:
  const Caller* previous_;
};

// Where a durable subscription or consumer group named `name` by `caller`
// keeps its position: its owner's own namespace, so that nobody else can
// acknowledge for it or join it (the same name by another identity is
// another subscription). Unchanged for nobody (an open gate).
std::string OwnedName(const Caller& caller, const std::string& name);

// One row of the access table.
struct AccessRule {
  // The RPC's full name, "ledger.v1.ComplaintService.SignOff".
  const char* rpc;
  std::vector<v1::Role> roles;
};

// The whole table, in the order the README shows it.
const std::vector<AccessRule>& AccessTable();

// How much one identity may ask (an open gate limits nobody).
struct CallLimits {
  // Sustained calls a second (each command of a batch counts); 0: no limit.
  double calls_per_second = 200;
  // Calls one identity may make at once after a quiet spell.
  double burst = 2000;
};

class Gate {
 public:
  using Registry = std::function<std::shared_ptr<const ReferenceData>()>;

  // An open gate.
  Gate() = default;
  // `registry` gives the ledger's current reference data; nullptr while
  // it is not known (callers get UNAVAILABLE).
  Gate(std::shared_ptr<TokenVerifier> verifier, Registry registry,
       std::string bootstrap_head, CallLimits limits = CallLimits());

  bool open() const { return verifier_ == nullptr; }

  // Each authenticated call's agent id goes into `actors`, for the call log
  // (services/call_log.h). Set before the server starts.
  void SetCallActors(CallActors* actors) { actors_ = actors; }

  // Lets the call of `rpc` (its full name) through, or says why not
  // (UNAUTHENTICATED, PERMISSION_DENIED). May set the actor of the
  // command(s) in `request`.
  // `caller`, when given, is set to who was admitted (nobody, for an open
  // gate).
  grpc::Status Admit(const std::string& rpc,
                     const grpc::ServerContextBase& call,
                     google::protobuf::Message& request,
                     Caller* caller = nullptr) const;

  // The same for an HTTP request (services/http_server.h): `what` (e.g.
  // "GET /metrics") is open to `roles`, and the caller comes with an
  // "Authorization: Bearer <JWT>" header. UNAUTHENTICATED,
  // PERMISSION_DENIED, RESOURCE_EXHAUSTED or UNAVAILABLE as for an RPC.
  absl::Status AdmitHttp(const std::string& what,
                         const std::string& authorization,
                         const std::vector<v1::Role>& roles,
                         Caller* caller = nullptr) const;

 private:
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& call,
                                      const ReferenceData& registry) const;
  // By an "authorization" header's bearer token.
  absl::StatusOr<Caller> AuthenticateHeader(
      const std::string& header, const ReferenceData& registry) const;
  // `caller` (its agent id known) as the registry has them: roles, scope.
  absl::StatusOr<Caller> Registered(Caller caller, bool by_certificate,
                                    const ReferenceData& registry) const;
  // A station-scoped caller's request kept to their stations: a queue or
  // subscription naming no station gets theirs; naming another, or an
  // assist answer for another unit, is PERMISSION_DENIED.
  grpc::Status Scope(const Caller& caller, const std::string& what,
                     google::protobuf::Message& request) const;

  // RESOURCE_EXHAUSTED when `caller` has spent their calls; else takes
  // `calls` of them.
  grpc::Status Charge(const Caller& caller, double calls) const;

  std::shared_ptr<TokenVerifier> verifier_;
  Registry registry_;
  std::string bootstrap_head_;
  CallLimits limits_;
  // A token bucket per identity: what is left, and when it was filled.
  struct Bucket {
    double left;
    absl::Time filled;
  };
  mutable absl::Mutex buckets_mu_;
  mutable absl::flat_hash_map<std::string, Bucket> buckets_
      ABSL_GUARDED_BY(buckets_mu_);
  absl::flat_hash_map<std::string, const AccessRule*> rules_;
  CallActors* actors_ = nullptr;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_GATE_H_
