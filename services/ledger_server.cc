#include "services/ledger_server.h"

#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "app/personal_data.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/errors.h"
#include "ledger/store/limits.h"
#include "projections/remote_log.h"
#include "projections/views.h"
#include "services/audit_service.h"
#include "third_party/grpc/health/v1/health.pb.h"

namespace ledger {
namespace {

// The customers' wrapped data keys on NATS (NatsLog's keys stream), shared
// by the nodes' PersonalData.
class NatsKeys : public KeyReplica {
 public:
  explicit NatsKeys(NatsLog* log) : log_(log) {}
  absl::StatusOr<std::string> Create(const std::string& key_id,
                                     const std::string& wrapped) override {
    return log_->CreateKey(key_id, wrapped);
  }
  absl::StatusOr<std::optional<std::string>> Read(
      const std::string& key_id) const override {
    return log_->ReadKey(key_id);
  }
  absl::Status Erase(const std::string& key_id) override {
    return log_->EraseKey(key_id);
  }

 private:
  NatsLog* const log_;
};

}  // namespace

absl::Status LedgerServer::StartLedger(const LedgerServerOptions& options) {
  hub_ = std::make_unique<SubscriptionHub>(0);
  EventStoreOptions store_options = options.store;
  ComplaintAppOptions app_options = options.complaints;
  if (const SecurityOptions& security = options.security;
      !security.key_file.empty()) {
    RETURN_IF_ERROR(UsePersonalData(
        security.key_file,
        security.key_dir.empty() ? absl::StrCat(options.data_dir, "/keys")
                                 : security.key_dir,
        store_options, app_options));
  } else if (std::ifstream(absl::StrCat(options.data_dir, "/keys/CURRENT"))) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.data_dir, " seals customers' personal data (", options.data_dir,
        "/keys): start ledgerd with the site's --key_file, or intakes would "
        "be kept in clear and their refs would not match"));
  }
  SubscriptionHub* hub = hub_.get();
  store_options.on_commit = [hub](const EventBatch& batch) {
    hub->Publish(batch);
  };
  if (options.nats.has_value()) {
    RETURN_IF_ERROR(ConnectNats(*options.nats, options.nats_connect));
    if (app_options.personal_data != nullptr) {
      RETURN_IF_ERROR(app_options.personal_data->ShareKeys(
          std::make_shared<NatsKeys>(nats_log_.get())));
    }
    app_options.writes_here = [this]() -> absl::Status {
      return WriteEpoch().status();
    };
    // The writer does not take its own groups back from the stream.
    nats_log_->PauseFollowingWhile([this] { return WriteEpoch().ok(); });
    store_options.replicate = [this, log = nats_log_.get()](
                                  v1::GroupRecord* group,
                                  uint64_t after) -> absl::StatusOr<uint64_t> {
      ASSIGN_OR_RETURN(const uint64_t epoch, WriteEpoch());
      group->set_epoch(epoch);
      return log->Publish(group, after);
    };
    // Its first writer publishes it, once it writes (a node's start writes
    // nothing).
    publish_calendar_when_writing_ = app_options.publish_shipped_calendar;
    app_options.publish_shipped_calendar = false;
    // Another node's events: the app decides on them too (before it
    // exists, it reads them from the copy when it is made).
    store_options.on_replicated = [this](CommittedEvents events) {
      if (ComplaintApp* app = following_app_.load()) {
        app->Follow(std::move(events));
      }
    };
  }
  absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(store_, EventStore::Open(options.data_dir, store_options));
  startup_.store = absl::Now() - start;
  if (options.store.checkpoint_signer == nullptr &&
      !store_->checkpoint_key().empty() && store_->damage().ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this ledger signs its checkpoints with key ", store_->checkpoint_key(),
        ": give ledgerd that key (--signing_key FILE), or its log would go on "
        "unsigned"));
  }
  hub->Reset(store_->log_head().position_last);
  if (options.simulated_clock != nullptr) {
    // Never before the log's last event: its times do not go back.
    const uint64_t last = store_->log_head().position_last;
    RETURN_IF_ERROR(store_->ScanAll(last, 1, [&](const v1::Event& e) {
      const absl::Time at = absl::FromUnixMicros(e.recorded_time_us());
      if (at > options.simulated_clock->Now()) options.simulated_clock->Set(at);
      return true;
    }));
  }
  ledger_service_ = std::make_unique<LedgerService>(store_.get(), pool_.get(),
                                                    options.backup_dir);
  audit_service_ = std::make_unique<AuditService>(store_.get(), pool_.get());
  // The views load their rows on a thread of their own while commands are
  // served already; queries wait for them (BENCHMARKS.md, "Restart and
  // memory").
  if (options.projections) {
    RETURN_IF_ERROR(StartProjections(LocalLog(store_.get(), hub), options,
                                     /*in_background=*/true));
  } else {
    absl::MutexLock lock(&projections_mu_);
    projections_loaded_ = true;
  }
  if (nats_log_ != nullptr) {
    // The copy first reaches the log of record's end as it is now, and the
    // app then reads it whole (following paused, so that no group falls
    // between what it reads and what it is handed).
    nats_log_->Follow(store_.get());
    absl::Status caught_up = nats_log_->CatchUp(absl::InfiniteDuration());
    nats_log_->Stop();
    RETURN_IF_ERROR(caught_up);
    LogInfo(absl::StrCat("this copy holds the log of record up to sequence ",
                         store_->replicated_sequence(), " (position ",
                         store_->log_head().position_last, ")"));
  }
  start = absl::Now();
  absl::StatusOr<std::unique_ptr<ComplaintApp>> app =
      ComplaintApp::Create(store_.get(), app_options);
  startup_.complaints = absl::Now() - start;
  RETURN_IF_ERROR(app.status());
  complaint_app_ = *std::move(app);
  // The copy follows the log of record from where it stands.
  following_app_.store(complaint_app_.get());
  if (nats_log_ != nullptr) nats_log_->Follow(store_.get());
  complaint_service_ =
      std::make_unique<ComplaintService>(complaint_app_.get(), pool_.get());
  reference_service_ =
      std::make_unique<ReferenceDataService>(complaint_app_.get(), pool_.get());
  subscription_service_ = std::make_unique<SubscriptionService>(
      store_.get(), hub, pool_.get(), options.group_takeover);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> LedgerServer::WriteEpoch() const {
  WriterLease* lease = started_lease_.load();
  if (lease == nullptr) {
    return NotTheWriter("this node is starting: it writes nothing yet", "");
  }
  return lease->WriteEpoch();
}

absl::Status LedgerServer::ConnectNats(const NatsLogOptions& options,
                                       absl::Duration patience) {
  const absl::Time deadline = absl::Now() + patience;
  while (true) {  // Until JetStream has its quorum.
    absl::StatusOr<std::unique_ptr<NatsLog>> log = NatsLog::Connect(options);
    if (log.ok()) {
      nats_log_ = *std::move(log);
      return absl::OkStatus();
    }
    // A stream it cannot use: waiting does not mend it.
    if (absl::IsFailedPrecondition(log.status())) return log.status();
    if (absl::Now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("the log of record: ", log.status().message()));
    }
    LogInfo(absl::StrCat("waiting for NATS: ", log.status().message()));
    absl::SleepFor(absl::Milliseconds(500));
  }
}

absl::Status LedgerServer::StartProjections(std::unique_ptr<LogSource> log,
                                            const LedgerServerOptions& options,
                                            bool in_background) {
  const absl::Time start = absl::Now();
  ProjectionRunner::Options runner_options;
  runner_options.while_loading = options.while_projections_load;
  runner_options.niceness = options.projection_niceness;
  runner_ = std::make_unique<ProjectionRunner>(&store_->views(), std::move(log),
                                               AllViews(options.views),
                                               runner_options);
  // /metrics shows the projections once they have loaded (List waits for
  // the load, and a scrape must not hold a worker meanwhile).
  runner_->WhenLoaded([this](absl::Status) { views_loaded_ = true; });
  if (in_background) {
    projections_loading_ = std::thread([this, start] {
      NameThisThread("ledger-load");
      absl::Status loaded = runner_->Start();
      absl::MutexLock lock(&projections_mu_);
      projections_loaded_ = true;
      projections_load_ = loaded;
      startup_.projections = absl::Now() - start;
    });
  } else {
    RETURN_IF_ERROR(runner_->Start());
    startup_.projections = absl::Now() - start;
    absl::MutexLock lock(&projections_mu_);
    projections_loaded_ = true;
  }
  query_service_ = std::make_unique<QueryService>(
      runner_.get(), pool_.get(),
      options.store.clock != nullptr ? options.store.clock
                                     : std::make_shared<SystemClock>(),
      // The log's own indexes, when the log is this process's.
      options.projections_of.empty() ? store_.get() : nullptr);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LedgerServer>> LedgerServer::Start(
    const LedgerServerOptions& given) {
  LedgerServerOptions options = given;
  std::unique_ptr<LedgerServer> server(new LedgerServer());
  server->pool_ = std::make_unique<WorkPool>("ledger-pool", kPoolWorkers);
  if (options.simulated_clock != nullptr) {
    if (!options.projections_of.empty()) {
      return absl::InvalidArgumentError(
          "a simulated clock is for a ledger: a projection process stamps "
          "no events");
    }
    options.store.clock = options.simulated_clock;
    options.complaints.clock = options.simulated_clock;
    server->simulation_service_ =
        std::make_unique<SimulationService>(options.simulated_clock);
  }
  const SecurityOptions& security = options.security;
  if ((security.tokens == nullptr) == !security.no_auth) {
    return absl::InvalidArgumentError(
        security.no_auth
            ? "no authentication (--insecure_no_auth) and a token verifier "
              "(--jwks) contradict each other"
            : "ledgerd authenticates its callers: give it the identity "
              "provider's keys (--jwks, --jwt_issuer, --jwt_audience; "
              "tools/dev_identity.sh makes a development set), or, for a "
              "throwaway ledger on loopback, --insecure_no_auth");
  }
  for (const std::string* listen : {&options.listen, &options.http_listen}) {
    if (security.no_auth && !listen->empty() && !IsLoopback(*listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "without authentication (--insecure_no_auth) ledgerd listens on "
          "loopback only (127.0.0.1, [::1], localhost), not ",
          *listen));
    }
  }
  if (options.projections_of.empty()) {
    RETURN_IF_ERROR(server->StartLedger(options));
  } else {
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(server->store_,
                     EventStore::Open(options.data_dir, options.store));
    server->startup_.store = absl::Now() - start;
    if (const uint64_t held = server->store_->log_head().position_last;
        held > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          options.data_dir, " holds a ledger's log (", held,
          " events); a projection process keeps its views in a directory "
          "of its own"));
    }
    RETURN_IF_ERROR(server->StartProjections(
        RemoteLog(options.projections_of, security.ledger_client), options,
        /*in_background=*/false));
  }

  if (security.tokens == nullptr) {
    server->gate_ = std::make_unique<Gate>();
  } else if (server->complaint_app_ != nullptr) {
    ComplaintApp* app = server->complaint_app_.get();
    server->gate_ = std::make_unique<Gate>(
        security.tokens, [app] { return app->reference(); },
        security.bootstrap_head, security.limits);
  } else {
    // A projection process: its callers are the ledger's agents.
    server->registry_ = std::make_unique<FollowedRegistry>(
        options.projections_of, security.ledger_client);
    server->registry_->Start();
    FollowedRegistry* registry = server->registry_.get();
    server->gate_ = std::make_unique<Gate>(
        security.tokens, [registry] { return registry->Get(); },
        security.bootstrap_head, security.limits);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!security.tls_cert.empty() || !security.tls_key.empty()) {
    if (security.tls_cert.empty() || security.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "TLS needs both a certificate and its key");
    }
    grpc::SslServerCredentialsOptions tls(
        security.client_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            // People come with tokens, services with certificates.
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = security.client_ca;
    tls.pem_key_cert_pairs.push_back({security.tls_key, security.tls_cert});
    credentials = grpc::SslServerCredentials(tls);
  } else {
    if (!security.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "client certificates need TLS: a certificate and key of its own");
    }
    if (!IsLoopback(options.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "without TLS ledgerd listens on loopback only (127.0.0.1, [::1], "
          "localhost), not ",
          options.listen, "; give it a certificate and key"));
    }
    credentials = grpc::InsecureServerCredentials();
  }

  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's health service is not generated from health.proto, so nothing
  // would link the proto's descriptor in and reflection would not find
  // grpc.health.v1.Health ("Symbol not found"): named here, it is.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  // Refused and slow calls logged, with who made them.
  server->gate_->SetCallActors(&server->call_actors_);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(NewCallLog(options.slow_call, &server->call_actors_,
                                    &server->call_metrics_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxRequestBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxResponseBytes));
  for (grpc::Service* service : std::initializer_list<grpc::Service*>{
           server->ledger_service_.get(), server->audit_service_.get(),
           server->complaint_service_.get(), server->reference_service_.get(),
           server->subscription_service_.get(), server->query_service_.get(),
           server->simulation_service_.get()}) {
    if (service != nullptr) builder.RegisterService(service);
  }
  {
    // The same list as v1alpha's: every service registered, health and
    // both reflections.
    std::vector<std::string> names = {
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection"};
    const std::pair<const void*, const char*> named[] = {
        {server->ledger_service_.get(), v1::Ledger::service_full_name()},
        {server->audit_service_.get(), v1::AuditService::service_full_name()},
        {server->complaint_service_.get(),
         v1::ComplaintService::service_full_name()},
        {server->reference_service_.get(),
         v1::ReferenceDataService::service_full_name()},
        {server->subscription_service_.get(),
         v1::Subscriptions::service_full_name()},
        {server->query_service_.get(), v1::QueryService::service_full_name()},
        {server->simulation_service_.get(),
         v1::SimulationService::service_full_name()},
    };
    for (const auto& [service, name] : named) {
      if (service != nullptr) names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    server->reflection_v1_ = std::make_unique<ReflectionV1>(std::move(names));
    builder.RegisterService(server->reflection_v1_.get());
  }
  for (auto* service : std::initializer_list<GatedService*>{
           server->ledger_service_.get(), server->audit_service_.get(),
           server->complaint_service_.get(), server->reference_service_.get(),
           server->subscription_service_.get(), server->query_service_.get(),
           server->simulation_service_.get()}) {
    if (service != nullptr) service->SetGate(server->gate_.get());
  }
  if (server->complaint_service_ != nullptr) {
    server->complaint_service_->OnDataLoss(
        [raw = server.get()] { raw->ReportWriteHealth(); });
  }
  if (server->reference_service_ != nullptr) {
    server->reference_service_->OnDataLoss(
        [raw = server.get()] { raw->ReportWriteHealth(); });
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  if (server->nats_log_ != nullptr) server->StartLease(options);
  if (!options.http_listen.empty()) {
    HttpServerOptions http;
    http.listen = options.http_listen;
    http.tls_cert = security.tls_cert;
    http.tls_key = security.tls_key;
    http.metrics = [raw = server.get()] { return raw->MetricsText(); };
    http.api_channel =
        server->server_->InProcessChannel(grpc::ChannelArguments());
    http.hub = server->hub_.get();
    if (server->runner_ != nullptr) {
      http.views_reach = [runner = server->runner_.get()](
                             uint64_t position, absl::Duration timeout) {
        return runner->WaitFor(position, timeout);
      };
    }
    http.sso_header = options.http_sso_header;
    http.sso_proxies = options.http_sso_proxies;
    ASSIGN_OR_RETURN(server->http_,
                     HttpServer::Start(http, server->gate_.get()));
  }
  grpc::HealthCheckServiceInterface* health =
      server->server_->GetHealthCheckService();
  if (health != nullptr) {
    // Every service by name: the readers serve whatever the log's state
    // (an auditor reads a damaged log); the command services and
    // QueryService as below.
    const std::pair<bool, std::string> readers[] = {
        {server->ledger_service_ != nullptr, v1::Ledger::service_full_name()},
        {server->audit_service_ != nullptr,
         v1::AuditService::service_full_name()},
        {server->subscription_service_ != nullptr,
         v1::Subscriptions::service_full_name()},
        {server->simulation_service_ != nullptr,
         v1::SimulationService::service_full_name()},
    };
    for (const auto& [present, name] : readers) {
      if (present) health->SetServingStatus(name, true);
    }
    {
      absl::MutexLock lock(&server->health_mu_);
      server->health_ = health;
    }
    server->ReportWriteHealth();
  }
  if (server->runner_ != nullptr && health != nullptr) {
    // Queries answer from what the views hold even when the runner is not
    // following; NOT_SERVING lets a balancer prefer a replica that is.
    server->runner_->OnHealth([health](bool following) {
      health->SetServingStatus(v1::QueryService::service_full_name(),
                               following);
    });
  }
  return server;
}

void LedgerServer::StartLease(const LedgerServerOptions& options) {
  WriterLeaseOptions lease;
  lease.node_id = options.nats->node_id;
  lease.address = options.advertise;
  if (lease.address.empty()) {
    std::string host = options.listen.substr(0, options.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]") {
      char name[256] = {0};
      gethostname(name, sizeof(name) - 1);
      host = name;
    }
    lease.address = absl::StrCat(host, ":", port_);
  }
  lease.lease = options.nats_lease;
  // Whether this node could write: its copy follows the log of record,
  // and its store and app take appends.
  lease.may_write = [this]() -> absl::Status {
    RETURN_IF_ERROR(nats_log_->follow_error());
    RETURN_IF_ERROR(store_->damage());
    return complaint_app_->CheckWritable();
  };
  // Before writing: the copy at the log of record's end, and the app
  // having folded what the copy wrote.
  lease.before_writing = [this](absl::Duration patience) -> absl::Status {
    RETURN_IF_ERROR(nats_log_->CatchUp(patience));
    return complaint_app_->AwaitFollowed(patience);
  };
  lease.on_change = [this](bool writing) {
    ReportWriteHealth();
    // The first time: an append, not on the lease's thread, which must go
    // on renewing (joined at Shutdown, before the app closes).
    if (writing && publish_calendar_when_writing_ &&
        !calendar_publisher_.joinable()) {
      calendar_publisher_ = std::thread([this] {
        if (absl::Status s = complaint_app_->PublishShippedCalendar();
            !s.ok()) {
          LogWarn(
              absl::StrCat("publishing the shipped calendar: ", s.ToString()));
        }
      });
    }
  };
  lease_ = std::make_unique<WriterLease>(nats_log_.get(), std::move(lease));
  started_lease_.store(lease_.get());
  lease_->Start();
}

void LedgerServer::ReportWriteHealth() {
  absl::MutexLock lock(&health_mu_);
  if (health_ == nullptr || complaint_app_ == nullptr) return;
  // A node of a replicated log takes commands while it writes it.
  const bool writable =
      complaint_app_->CheckWritable().ok() &&
      (nats_log_ == nullptr ||
       (started_lease_.load() != nullptr && started_lease_.load()->writing()));
  health_->SetServingStatus(v1::ComplaintService::service_full_name(),
                            writable);
  health_->SetServingStatus(v1::ReferenceDataService::service_full_name(),
                            writable);
}

absl::StatusOr<absl::Duration> LedgerServer::WaitForProjections() {
  absl::MutexLock lock(&projections_mu_);
  projections_mu_.Await(absl::Condition(&projections_loaded_));
  if (!projections_load_.ok()) return projections_load_;
  return startup_.projections;
}

LedgerServer::~LedgerServer() {
  absl::Status s = Shutdown();
  if (!s.ok()) {
    LogError(absl::StrCat("shutdown: ", s.ToString()));
  }
}

absl::Status LedgerServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  if (runner_ != nullptr) runner_->OnHealth(nullptr);
  if (subscription_service_ != nullptr) subscription_service_->Stop();
  if (http_ != nullptr) http_->Stop();
  if (server_ != nullptr) {
    {
      absl::MutexLock lock(&health_mu_);
      health_ = nullptr;
    }
    if (auto* health = server_->GetHealthCheckService(); health != nullptr) {
      health->Shutdown();
    }
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  if (projections_loading_.joinable()) projections_loading_.join();
  if (runner_ != nullptr) runner_->Stop();
  registry_.reset();
  // Handed to another node at once (this one writes no more), and nothing
  // more from the log of record into the store, which closes.
  if (lease_ != nullptr) lease_->Stop();
  if (calendar_publisher_.joinable()) calendar_publisher_.join();
  if (nats_log_ != nullptr) nats_log_->Stop();
  // Its state written to the log's end while the store is open.
  if (complaint_app_ != nullptr) complaint_app_->Close();
  return store_ != nullptr ? store_->Close() : absl::OkStatus();
}

std::string LedgerServer::MetricsText() const {
  ledger::MetricsText out;
  call_metrics_.Write(&out);
  if (store_ != nullptr) {
    const WriterStats w = store_->writer_stats();
    out.Counter("ledger_group_commits_total",
                "Group commits written (one fsync each)", w.groups);
    out.Counter("ledger_appends_total", "Appends in them, accepted or refused",
                w.appends);
    out.Counter("ledger_events_appended_total", "Events written to the log",
                w.events);
    out.Gauge("ledger_log_position", "The position of the log's last event",
              store_->log_head().position_last);
    out.Family("ledger_group_commit_write_seconds", "histogram",
               "Each group commit's write to RocksDB, fsync included");
    std::vector<double> bounds;
    for (uint64_t us : WriterStats::kWriteBoundsUs) bounds.push_back(us / 1e6);
    out.Histogram("ledger_group_commit_write_seconds", {}, bounds,
                  {w.writes_by_time.begin(), w.writes_by_time.end()},
                  w.write_us / 1e6);
    out.Family("ledger_group_commit_events", "histogram",
               "Events per group commit");
    bounds.assign(WriterStats::kGroupEventsBounds.begin(),
                  WriterStats::kGroupEventsBounds.end());
    out.Histogram("ledger_group_commit_events", {}, bounds,
                  {w.groups_by_events.begin(), w.groups_by_events.end()},
                  static_cast<double>(w.events));
    // RocksDB's own figures, a gauge per property, a sample per database:
    // rocksdb.estimate-live-data-size as
    // ledger_rocksdb_estimate_live_data_size{db="log"}.
    const std::vector<DbProperty> properties = store_->db_properties();
    for (const char* name : kDbPropertyNames) {
      const std::string metric = absl::StrCat(
          "ledger_", absl::StrReplaceAll(name, {{".", "_"}, {"-", "_"}}));
      out.Family(metric, "gauge",
                 absl::StrCat("RocksDB's ", name,
                              " of each database (a cache shared by them "
                              "shows the same figure under each)"));
      for (const DbProperty& p : properties) {
        if (p.name == name) {
          out.Sample(metric, {{"db", p.db}}, static_cast<double>(p.value));
        }
      }
    }
  }
  if (hub_ != nullptr) {
    out.Gauge("ledger_subscribers", "Live subscriptions and feeds now",
              hub_->subscribers());
    out.Counter("ledger_subscriber_overflows_total",
                "Live feeds cut off for falling behind", hub_->overflows());
  }
  if (runner_ != nullptr && views_loaded_) {
    const std::vector<v1::ProjectionInfo> views = runner_->List();
    out.Family("ledger_projection_lag_events", "gauge",
               "Events in the log a projection has not folded yet");
    for (const auto& v : views) {
      out.Sample("ledger_projection_lag_events", {{"projection", v.name()}},
                 v.lag());
    }
    out.Family("ledger_projection_checkpoint", "gauge",
               "The position a projection's views are written up to");
    for (const auto& v : views) {
      out.Sample("ledger_projection_checkpoint", {{"projection", v.name()}},
                 v.checkpoint());
    }
    out.Family("ledger_projection_skipped_events_total", "counter",
               "Events a projection could not fold (named in the log)");
    for (const auto& v : views) {
      out.Sample("ledger_projection_skipped_events_total",
                 {{"projection", v.name()}}, v.skipped());
    }
  }
  return out.text();
}

}  // namespace ledger
