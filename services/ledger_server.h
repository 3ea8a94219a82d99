// LedgerServer: ledgerd in a box. Opens the event store, serves the Ledger,
// ComplaintService, ReferenceDataService, Subscriptions and QueryService
// (with the projection runner in process), gRPC health checking
// and server reflection, and shuts down gracefully. Used by ledgerd's main
// and by tests that want a server in process.
//
// With `projections_of` set it is a projection process instead: it follows
// the ledgerd there and serves only QueryService (and health, reflection),
// keeping its views in a store of its own under `data_dir`. The read side
// scales out this way, on as many machines as it takes.
#ifndef LEDGER_SERVICES_LEDGER_SERVER_H_
#define LEDGER_SERVICES_LEDGER_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "app/complaint_app.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "ledger/replication/nats_log.h"
#include "ledger/replication/writer_lease.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "projections/log_source.h"
#include "projections/runner.h"
#include "projections/view.h"
#include "rpc/channel.h"
#include "services/audit_service.h"
#include "services/call_log.h"
#include "services/callbacks.h"
#include "services/complaint_service.h"
#include "services/followed_registry.h"
#include "services/gate.h"
#include "services/http_server.h"
#include "services/ledger_service.h"
#include "services/metrics.h"
#include "services/query_service.h"
#include "services/reflection_v1.h"
#include "services/simulation_service.h"
#include "services/subscription_service.h"

namespace ledger {

// How long each step of LedgerServer::Start took (ledgerd prints them): a
// restart's time grows with the ledger, and this says where.
struct StartupTimes {
  // Opening RocksDB, replaying its WAL (a projection process: its views').
  absl::Duration store;
  // Reading the log for ComplaintApp's indexes (none in a projection
  // process).
  absl::Duration complaints;
  // Loading the views and their checkpoints: in a ledger, on a thread of
  // its own while commands are served already (LedgerServer::
  // WaitForProjections).
  absl::Duration projections;
};

// Who may connect and call (services/gate.h).
struct SecurityOptions {
  // Verifies bearer tokens. Required unless `no_auth`.
  std::shared_ptr<TokenVerifier> tokens;
  // No authentication at all, asked for by name (ledgerd
  // --insecure_no_auth): the gate is open, every caller acts as whoever it
  // names, and the listener must be on loopback. For tests, benchmarks and
  // throwaway ledgers; never with `tokens`.
  bool no_auth = false;
  // The agent id that may register a new ledger's first centre head.
  std::string bootstrap_head;
  // Per authenticated identity.
  CallLimits limits;
  // The site's keys (app/personal_data.h): set, customers' personal data
  // is sealed, and their refs keyed; empty, kept in clear.
  std::string key_file;
  // The customers' data keys, a RocksDB of their own; empty:
  // <data_dir>/keys.
  std::string key_dir;
  // PEM. Both set: TLS on the listener; else loopback only.
  std::string tls_cert;
  std::string tls_key;
  // PEM. Set: clients may present a certificate signed by it, whose subject
  // (CN) names a service identity of the registry.
  std::string client_ca;
  // A projection process's own identity towards the ledger it follows
  // (a service's client certificate, or a token) and the CA of the
  // ledger's certificate. With `tokens`, its callers' roles come from
  // that ledger's registry (services/followed_registry.h).
  ClientSecurity ledger_client;
};

struct LedgerServerOptions {
  // host:port; port 0 picks a free port (see LedgerServer::port).
  std::string listen = "127.0.0.1:50051";
  // host:port of the HTTP side (services/http_server.h: /metrics), with
  // the same TLS and gate as gRPC; empty: none. Port 0: a free one
  // (LedgerServer::http_port).
  std::string http_listen;
  // Single sign-on through a reverse proxy (HttpServerOptions).
  std::string http_sso_header;
  std::vector<std::string> http_sso_proxies;
  std::string data_dir = "./ledger-data";
  // Where Ledger.Backup writes its copies (each a new directory named by
  // the call); empty: backups are refused.
  std::string backup_dir;
  // A call that takes this long is logged (services/call_log.h), as is
  // every refused call.
  absl::Duration slow_call = absl::Seconds(1);
  EventStoreOptions store;
  // A replicated log (--log nats; docs/design/replication.md): the log of
  // record is this JetStream stream, and the store here a copy of it.
  std::optional<NatsLogOptions> nats;
  // How long to wait at start for NATS and a JetStream quorum.
  absl::Duration nats_connect = absl::Seconds(30);
  // With `nats`: how long the writer's lease lasts unrenewed
  // (WriterLeaseOptions::lease), and the address other nodes send
  // commands to while this one writes; empty: `listen`'s host (this
  // machine's name for a wildcard) and the port it listens on.
  absl::Duration nats_lease = absl::Seconds(6);
  std::string advertise;
  ComplaintAppOptions complaints;
  // A consumer group member gone this long has its share taken over.
  absl::Duration group_takeover = absl::Seconds(10);
  // host:port of the ledgerd to follow; empty: this process is the ledger.
  std::string projections_of;
  // The ledger keeps and serves its own views (QueryService). False: the
  // read side runs in projection processes of its own, and the ledger's
  // CPU goes to the write path and the streams.
  bool projections = true;
  // How much of the views stays in memory (--view_cache_cases).
  ViewOptions views;
  // The projection thread's niceness (--projection_niceness).
  int projection_niceness = kProjectionNiceness;
  // Simulated time (demos, traffic generators, load tests; never
  // production): when set, the store, the complaint rules and the queries'
  // default "now" all run on this clock, and SimulationService.SetClock
  // moves it forward. Not for a projection process.
  std::shared_ptr<FakeClock> simulated_clock;
  SecurityOptions security;
  // Tests only: runs as the projections begin to load their views, with
  // the runner's lock held (to hold the load while the ledger serves).
  std::function<void()> while_projections_load;
};

class LedgerServer {
 public:
  // Threads for the calls that may block: reads, queries, reference data,
  // acks. Command batches have threads of their own
  // (ComplaintService::kBatchWorkers), subscriptions one each.
  static constexpr int kPoolWorkers = 16;

  static absl::StatusOr<std::unique_ptr<LedgerServer>> Start(
      const LedgerServerOptions& options);
  ~LedgerServer();

  // The port actually bound.
  int port() const { return port_; }
  // The HTTP side's port; 0 without one.
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  // What /metrics shows now (the Prometheus text format).
  std::string MetricsText() const;
  // The ledger's store, or in a projection process its views' own.
  EventStore& store() { return *store_; }
  // Not in a projection process.
  ComplaintApp& complaints() { return *complaint_app_; }
  SubscriptionHub& hub() { return *hub_; }
  // With `nats`: the log of record; null otherwise.
  NatsLog* nats_log() { return nats_log_.get(); }
  // Not when started with `projections = false`.
  ProjectionRunner& projections() { return *runner_; }
  const StartupTimes& startup_times() const { return startup_; }
  // Blocks until the projections have loaded their views (a ledger serves
  // commands before: queries wait for them); then how long it took, or why
  // they did not load. At once when there are none.
  absl::StatusOr<absl::Duration> WaitForProjections();

  // Health turns NOT_SERVING, new calls are refused, calls in flight get
  // `grace` to finish, then the store closes (its queued appends commit
  // first). Safe to call more than once.
  absl::Status Shutdown(absl::Duration grace = kShutdownGrace);

  // What ledgerd gives calls in flight when it stops. A command takes
  // milliseconds and subscriptions are ended first, but gRPC holds Shutdown
  // until the deadline while a client's idle connection has not answered
  // the server's GOAWAY (Python grpcio does not read an idle channel): with
  // 10 s, a stop with such a client took 3-5 s (BENCHMARKS.md, "Restart and
  // memory").
  static constexpr absl::Duration kShutdownGrace = absl::Seconds(1);

 private:
  LedgerServer() = default;

  // The ledger's store and services; its projections too when
  // `options.projections`, loaded while ComplaintApp reads the log.
  absl::Status StartLedger(const LedgerServerOptions& options);
  // lease_, once the server listens (its address goes into the lease).
  void StartLease(const LedgerServerOptions& options);
  // The lease's epoch while this node writes the log (--log nats), else
  // NotTheWriter (ledger/store/errors.h), naming the writer when known.
  absl::StatusOr<uint64_t> WriteEpoch() const;
  // nats_log_, retried until `patience` has passed.
  absl::Status ConnectNats(const NatsLogOptions& options,
                           absl::Duration patience);
  // The projection runner on `log` and QueryService; the views loaded
  // before it returns, or `in_background` on projections_loading_.
  absl::Status StartProjections(std::unique_ptr<LogSource> log,
                                const LedgerServerOptions& options,
                                bool in_background);

  // Threads the services' blocking calls run on (services/callbacks.h).
  // Destroyed after the server, which waits for them.
  std::unique_ptr<WorkPool> pool_;
  // Made before the store, whose writer publishes to it; so destroyed after.
  std::unique_ptr<SubscriptionHub> hub_;
  // The log of record when replicated; before the store, which publishes
  // through it, so destroyed after.
  std::unique_ptr<NatsLog> nats_log_;
  // The app the copy hands other nodes' events to, once it is made.
  std::atomic<ComplaintApp*> following_app_{nullptr};
  // Which node writes the log of record; this one only while it holds the
  // lease (the store's replicate hook asks). Made once the server listens
  // (its address goes into the lease); null until then, when nothing is
  // written.
  std::unique_ptr<WriterLease> lease_;
  std::atomic<WriterLease*> started_lease_{nullptr};
  // Whether the first writer publishes the shipped calendar, and the
  // thread that does (on the lease's thread only).
  bool publish_calendar_when_writing_ = false;
  std::thread calendar_publisher_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<LedgerService> ledger_service_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<ComplaintApp> complaint_app_;
  std::unique_ptr<ComplaintService> complaint_service_;
  std::unique_ptr<ReferenceDataService> reference_service_;
  std::unique_ptr<SubscriptionService> subscription_service_;
  std::unique_ptr<ProjectionRunner> runner_;
  std::unique_ptr<QueryService> query_service_;
  std::unique_ptr<SimulationService> simulation_service_;
  // Server reflection v1 (v1alpha is gRPC's plugin).
  std::unique_ptr<ReflectionV1> reflection_v1_;
  // A projection process's callers' registry, read from the ledger.
  std::unique_ptr<FollowedRegistry> registry_;
  // Admits every call; made before the services are registered.
  std::unique_ptr<Gate> gate_;
  // Who each call acts as, for the call log (before gate_: it points here).
  CallActors call_actors_;
  std::unique_ptr<grpc::Server> server_;
  // The health service's answer for the command services follows
  // ComplaintApp::CheckWritable: set at start, and again when a command is
  // refused with DATA_LOSS (damage found since). Null once shut down.
  void ReportWriteHealth();
  absl::Mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(health_mu_) =
      nullptr;
  int port_ = 0;
  CallMetrics call_metrics_;
  std::atomic<bool> views_loaded_{false};
  // Stopped before gRPC.
  std::unique_ptr<HttpServer> http_;
  bool shut_down_ = false;
  StartupTimes startup_;
  std::thread projections_loading_;
  absl::Mutex projections_mu_;
  bool projections_loaded_ ABSL_GUARDED_BY(projections_mu_) = false;
  absl::Status projections_load_ ABSL_GUARDED_BY(projections_mu_);
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_LEDGER_SERVER_H_
