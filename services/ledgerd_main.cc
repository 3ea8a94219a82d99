// ledgerd: the complaint ledger server. See services/ledger_server.h.
#include <openssl/crypto.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/jwks.h"
#include "auth/token_issuer.h"
#include "auth/token_verifier.h"
#include "ledger/base/log.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/base/port_file.h"
#include "ledger/store/limits.h"
#include "ledger/store/version.h"
#include "rpc/channel.h"
#include "services/config_file.h"
#include "services/ledger_server.h"

// Read before the others (services/config_file.h); declared so that --help
// lists it.
ABSL_FLAG(std::string, config, "",
          "a file of these flags, one per line as on the command line "
          "(--name=value; # comments); flags given on the command line win. "
          "tools/ledgerd.conf lists every flag with its default");
ABSL_FLAG(bool, print_config, false,
          "print every flag as set by the command line and --config, in the "
          "configuration file's syntax, and exit");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on; port 0 picks a free one");
ABSL_FLAG(std::string, data_dir, "./ledger-data", "RocksDB directory");
ABSL_FLAG(std::string, log_format, "text",
          "ledgerd's log lines on standard error: text (time, level, message, "
          "key=value fields) or json (one JSON object a line)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");
ABSL_FLAG(int64_t, slow_call_ms, 1000,
          "a call that takes at least this long is logged (with its request "
          "id, RPC, actor, status and latency), as is every refused call");
ABSL_FLAG(std::string, backup_dir, "",
          "where Ledger.Backup (ledgerctl backup NAME) writes its copies, each "
          "a new directory NAME; empty: backups are refused");
ABSL_FLAG(std::string, restore_from, "",
          "start from this backup: copied into --data_dir (which must not "
          "exist or be empty) first (ledger/FORMAT.md, \"Backups\")");
ABSL_FLAG(std::string, port_file, "",
          "if set, the bound port is written here once serving");
ABSL_FLAG(std::string, http_listen, "",
          "host:port to serve HTTP on (the console, its JSON API, /metrics; "
          "HTTPS with --tls_cert, else loopback only); port 0 picks a free "
          "one; empty: no HTTP");
ABSL_FLAG(std::string, http_sso_header, "",
          "single sign-on: the request header in which an authenticating "
          "reverse proxy passes the user's token (e.g. "
          "X-Forwarded-Access-Token); believed only from "
          "--http_sso_proxies");
ABSL_FLAG(std::vector<std::string>, http_sso_proxies, {},
          "the reverse proxy's addresses (as the HTTP side sees them, e.g. "
          "127.0.0.1), comma-separated: the only ones --http_sso_header is "
          "believed from");
ABSL_FLAG(std::string, http_port_file, "",
          "if set, the bound HTTP port is written here once serving");
ABSL_FLAG(int, failed_revisits_for_repeat, 2,
          "failed revisits after which a complaint becomes a repeat");
ABSL_FLAG(int, repeat_window_days, 30,
          "same customer and category within this many days: a repeat");
ABSL_FLAG(bool, publish_shipped_calendar, true,
          "publish the compiled-in official calendar when the ledger has "
          "none");
ABSL_FLAG(int, group_takeover_ms, 10000,
          "a consumer group member gone this long has its share taken over");
ABSL_FLAG(bool, projections_only, false,
          "run only the projections and QueryService, following the ledgerd "
          "at --ledger; views are kept under --data_dir (a directory of "
          "their own)");
ABSL_FLAG(std::string, ledger, "",
          "with --projections_only: host:port of the ledgerd to follow");
ABSL_FLAG(bool, projections, true,
          "keep and serve the projections (QueryService) in this process; "
          "false: the ledger only, its read side in --projections_only "
          "processes");
ABSL_FLAG(uint64_t, view_cache_cases, ledger::ViewOptions().cached_cases,
          "rows of complaints each projection view keeps in memory besides "
          "those changed since its last write (the rest are read from its "
          "store when needed); about 1 KB each");
ABSL_FLAG(int, projection_niceness, ledger::kProjectionNiceness,
          "niceness (0-19) of the thread that folds the log into the views: "
          "above 0 commands come first when the CPUs are saturated, and the "
          "views lag meanwhile and catch up after; 0: the views keep up at "
          "the commands' expense");
ABSL_FLAG(uint64_t, stream_head_cache, ledger::kMaxCachedStreamHeads,
          "streams whose last revision the writer keeps in memory (about "
          "100 bytes each); past it the cache starts afresh and refills "
          "from the stream index");
ABSL_FLAG(uint64_t, rocksdb_block_cache_mb,
          ledger::kDefaultBlockCacheBytes >> 20,
          "MiB of RocksDB's block cache for data blocks, shared by the log, "
          "the views and the app state (index and filter blocks stay with "
          "their table files, outside it)");
ABSL_FLAG(uint64_t, rocksdb_memtable_mb, ledger::kDefaultMemtableBytes >> 20,
          "MiB of RocksDB memtables of the log, the views and the app state "
          "together; past it the largest is written out early");
ABSL_FLAG(std::string, start_time, "",
          "demos and tests only: the clock starts at this RFC 3339 time "
          "(e.g. 2026-11-18T10:00:00+08:00) and runs at real speed");
ABSL_FLAG(int64_t, accept_log_end, -1,
          "after damage to the log: continue from its intact part, which "
          "ends at this position (as the refusal named it); recorded as a "
          "LogEndAccepted event. Events acknowledged after it are lost: "
          "restore a backup or a replica instead when there is one "
          "(ledger/FORMAT.md, \"A damaged log\")");
ABSL_FLAG(std::string, accept_log_end_by, "",
          "who decides --accept_log_end (recorded in the event); required "
          "with it");
ABSL_FLAG(bool, simulated_clock, false,
          "demos and load tests only: the clock stands still (at "
          "--start_time, or the time of starting) until "
          "SimulationService.SetClock moves it forward; ledger_sim --target "
          "then sends months of traffic on the plan's clock");

ABSL_FLAG(std::string, jwks, "",
          "the identity provider's public keys (a JWK Set file): every call "
          "then needs \"authorization: Bearer <JWT>\" signed by one of them "
          "(or, with --client_ca, a client certificate). Required unless "
          "--insecure_no_auth");
ABSL_FLAG(bool, insecure_no_auth, false,
          "tests, benchmarks and throwaway ledgers only: no authentication "
          "at all (every caller acts as the actor it names), on loopback "
          "only. Without it ledgerd refuses to start with no --jwks");
ABSL_FLAG(std::string, jwt_issuer, "",
          "with --jwks: the tokens' issuer (iss), required");
ABSL_FLAG(std::string, jwt_audience, "complaint-ledger",
          "with --jwks: this ledger's name in the tokens' audience (aud)");
ABSL_FLAG(std::string, bootstrap_head, "",
          "with --jwks: the agent id that may register a new ledger's first "
          "centre head (themselves); nobody else may act until a head "
          "exists");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain for TLS on --listen (with --tls_key); "
          "without TLS ledgerd listens on loopback only");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, client_ca, "",
          "PEM CA whose client certificates name services (their subject's "
          "CN is an agent id of the registry, role SERVICE); needs TLS");

ABSL_FLAG(std::string, ledger_ca, "",
          "with --projections_only: PEM CA of the followed ledger's TLS "
          "certificate; empty: plain (loopback) connection");
ABSL_FLAG(std::string, ledger_cert, "",
          "with --projections_only: this process's client certificate "
          "towards the ledger (PEM; CN a SERVICE agent of its registry), "
          "with --ledger_key");
ABSL_FLAG(std::string, ledger_key, "", "PEM private key of --ledger_cert");
ABSL_FLAG(std::string, ledger_token_file, "",
          "with --projections_only: a token to follow the ledger with, "
          "instead of a client certificate");

ABSL_FLAG(double, calls_per_second, 200,
          "with --jwks: the calls one identity may make a second, sustained "
          "(each command of a batch counts); 0: no limit. Past it: "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(double, call_burst, 2000,
          "with --jwks: the calls one identity may make at once after a "
          "quiet spell");

ABSL_FLAG(std::string, key_file, "",
          "the site's keys (\"master_key HEX\" and \"customer_ref_key HEX\" "
          "lines): customers' names, phones, addresses and emails are then "
          "sealed per customer (AES-256-GCM) and erasable "
          "(EraseCustomerData); customer refs are keyed hashes. Empty: kept "
          "in clear");
ABSL_FLAG(std::string, key_dir, "",
          "with --key_file: where the customers' data keys are kept (a "
          "RocksDB of their own); default <data_dir>/keys");

ABSL_FLAG(std::string, signing_key, "",
          "the log's checkpoint signing key (a file holding "
          "PRIVATE+KEY+<origin>+<id>+<key>, as `ledgerctl audit keygen` or "
          "Go's sumdb/note write it): ledgerd signs checkpoints of its "
          "Merkle tree with it (the AuditService serves them). A ledger "
          "that has signed with a key refuses to start without it");
ABSL_FLAG(uint64_t, checkpoint_every_events, 4096,
          "with --signing_key: a new checkpoint once this many events are "
          "past the last one (0: not on this ground)");
ABSL_FLAG(std::string, check_log_at_start, "in_background",
          "when the whole log is checked at start, each event against its "
          "hash and the one before it: before_serving (a start reads the "
          "whole log, ~1 s per million events) or in_background (serving at "
          "once; commands are refused from when the check meets a broken "
          "event). The events after the app state's checkpoint are checked "
          "before serving either way");
ABSL_FLAG(int64_t, checkpoint_every_ms, 1000,
          "with --signing_key: a new checkpoint once this long has passed "
          "with events past the last one, appends or not (0: not on this "
          "ground)");

ABSL_FLAG(std::string, log, "embedded",
          "where the log of record is: embedded (this node's RocksDB) or "
          "nats (a NATS JetStream stream, this node's RocksDB a copy of it; "
          "README, \"Replication\")");
ABSL_FLAG(std::vector<std::string>, nats_url, {},
          "with --log nats: NATS servers of the JetStream cluster, "
          "comma-separated (nats://host:port,...)");
ABSL_FLAG(std::string, node_id, "",
          "with --log nats: this node's name in the groups it writes "
          "(default: --listen)");
ABSL_FLAG(std::string, nats_stream, "LEDGER",
          "with --log nats: the JetStream stream (made with "
          "--nats_replicas copies if missing)");
ABSL_FLAG(int, nats_replicas, 3,
          "with --log nats: copies JetStream keeps of a stream it makes");
ABSL_FLAG(int, nats_publish_retry_s, 20,
          "with --log nats: how long a group whose publish has no answer is "
          "retried before its commands are refused (above a NATS election)");
ABSL_FLAG(bool, nats_compress, true,
          "with --log nats: publish each group compressed (Zstandard); "
          "false writes them as ledgerd did before, for nodes not yet "
          "upgraded to read them (every node reads both)");
ABSL_FLAG(int, nats_connect_s, 30,
          "with --log nats: how long to wait at start for NATS and a "
          "JetStream quorum");
ABSL_FLAG(int64_t, lease_ms, 6000,
          "with --log nats: how long the writer's lease lasts unrenewed; "
          "when the writer dies another node writes about this long after "
          "(renewed every third of it; at least 300)");
ABSL_FLAG(std::string, advertise, "",
          "with --log nats: host:port other nodes send clients' commands to "
          "while this node writes (default: --listen's host, this machine's "
          "name for 0.0.0.0, and the port it listens on)");

namespace {

// The whole file, or an error naming the flag.
absl::StatusOr<std::string> ReadFlagFile(const char* flag,
                                         const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, " ", path, ": cannot read it"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status SecurityFromFlags(ledger::SecurityOptions& security) {
  for (auto [flag, path, out] :
       {std::tuple{"tls_cert", absl::GetFlag(FLAGS_tls_cert),
                   &security.tls_cert},
        std::tuple{"tls_key", absl::GetFlag(FLAGS_tls_key), &security.tls_key},
        std::tuple{"client_ca", absl::GetFlag(FLAGS_client_ca),
                   &security.client_ca}}) {
    absl::StatusOr<std::string> text = ReadFlagFile(flag, path);
    if (!text.ok()) return text.status();
    *out = *std::move(text);
  }
  security.key_file = absl::GetFlag(FLAGS_key_file);
  security.key_dir = absl::GetFlag(FLAGS_key_dir);
  if (!absl::GetFlag(FLAGS_ledger).empty()) {
    absl::StatusOr<ledger::ClientSecurity> client = ledger::LoadClientSecurity(
        absl::GetFlag(FLAGS_ledger_ca), absl::GetFlag(FLAGS_ledger_token_file),
        absl::GetFlag(FLAGS_ledger_cert), absl::GetFlag(FLAGS_ledger_key));
    if (!client.ok()) return client.status();
    // Its identity is what its flags name, never a $LEDGER_TOKEN of the
    // environment it was started from.
    if (absl::GetFlag(FLAGS_ledger_token_file).empty()) client->token.clear();
    security.ledger_client = *std::move(client);
  }
  const std::string jwks = absl::GetFlag(FLAGS_jwks);
  security.no_auth = absl::GetFlag(FLAGS_insecure_no_auth);
  if (jwks.empty()) {
    if (!absl::GetFlag(FLAGS_bootstrap_head).empty() ||
        !absl::GetFlag(FLAGS_client_ca).empty()) {
      return absl::InvalidArgumentError(
          "--bootstrap_head and --client_ca go with --jwks (authenticated "
          "callers)");
    }
    return absl::OkStatus();  // LedgerServer says what is missing.
  }
  if (absl::GetFlag(FLAGS_jwt_issuer).empty() ||
      absl::GetFlag(FLAGS_jwt_audience).empty()) {
    return absl::InvalidArgumentError(
        "--jwks needs --jwt_issuer and a --jwt_audience");
  }
  absl::StatusOr<ledger::Jwks> keys = ledger::LoadJwks(jwks);
  if (!keys.ok()) return keys.status();
  ledger::TokenVerifierOptions verify;
  verify.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  verify.audience = absl::GetFlag(FLAGS_jwt_audience);
  security.tokens =
      std::make_shared<ledger::TokenVerifier>(*std::move(keys), verify);
  security.bootstrap_head = absl::GetFlag(FLAGS_bootstrap_head);
  security.limits.calls_per_second = absl::GetFlag(FLAGS_calls_per_second);
  security.limits.burst = absl::GetFlag(FLAGS_call_burst);
  if (security.limits.calls_per_second < 0 ||
      (security.limits.calls_per_second > 0 && security.limits.burst < 1)) {
    return absl::InvalidArgumentError(
        "--calls_per_second must not be negative, and --call_burst at least 1");
  }
  for (const std::string& listen :
       {absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_http_listen)}) {
    if (verify.issuer == ledger::kDevelopmentIssuer && !listen.empty() &&
        !ledger::IsLoopback(listen)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the development issuer (tools/ledger_token) is trusted on "
          "loopback only, not on ",
          listen,
          "; give --jwks and --jwt_issuer of the site's identity provider"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledgerd --listen HOST:PORT --data_dir DIR\n"
      "  ledgerd --projections_only --ledger HOST:PORT --listen HOST:PORT "
      "--data_dir DIR");
  ledger::SetVersionFlag("ledgerd");
  // --config FILE: its flags first, so the command line's win.
  absl::StatusOr<std::vector<std::string>> args =
      ledger::WithConfigFile(std::vector<std::string>(argv, argv + argc));
  if (!args.ok()) {
    std::fprintf(stderr, "ledgerd: %s\n",
                 std::string(args.status().message()).c_str());
    return 2;
  }
  std::vector<char*> arg_pointers;
  for (std::string& arg : *args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  absl::ParseCommandLine(static_cast<int>(args->size()), arg_pointers.data());
  if (absl::GetFlag(FLAGS_print_config)) {
    std::printf(
        "# ledgerd --config FILE: ledgerd's flags, one per line as on the "
        "command\n# line (--name=value; a boolean alone is true); a flag "
        "given on the command\n# line wins over the file's. Each flag with "
        "its help and default.\n%s",
        ledger::ConfigFileText("ledgerd_main.cc", /*commented=*/false).c_str());
    return 0;
  }
  if (absl::Status log = ledger::ConfigureLog(absl::GetFlag(FLAGS_log_format),
                                              absl::GetFlag(FLAGS_log_level));
      !log.ok()) {
    std::fprintf(stderr, "ledgerd: %s\n", std::string(log.message()).c_str());
    return 2;
  }
  ledger::TurnOffMutexDeadlockDetection();

  // SIGINT and SIGTERM are taken by sigwait below; blocked before any
  // thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ledger::LedgerServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.http_sso_header = absl::GetFlag(FLAGS_http_sso_header);
  options.http_sso_proxies = absl::GetFlag(FLAGS_http_sso_proxies);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  options.slow_call = absl::Milliseconds(absl::GetFlag(FLAGS_slow_call_ms));

  options.group_takeover =
      absl::Milliseconds(absl::GetFlag(FLAGS_group_takeover_ms));
  options.complaints.publish_shipped_calendar =
      absl::GetFlag(FLAGS_publish_shipped_calendar);
  options.complaints.policy.failed_revisits_for_repeat =
      absl::GetFlag(FLAGS_failed_revisits_for_repeat);
  options.complaints.policy.repeat_window =
      absl::Hours(24) * absl::GetFlag(FLAGS_repeat_window_days);
  if (const std::string check = absl::GetFlag(FLAGS_check_log_at_start);
      check == "before_serving") {
    options.complaints.log_check =
        ledger::ComplaintAppOptions::LogCheck::kBeforeServing;
  } else if (check == "in_background") {
    options.complaints.log_check =
        ledger::ComplaintAppOptions::LogCheck::kInBackground;
  } else {
    std::fprintf(stderr,
                 "ledgerd: --check_log_at_start is before_serving or "
                 "in_background, not \"%s\"\n",
                 check.c_str());
    return 2;
  }
  if (absl::GetFlag(FLAGS_projections_only) !=
      !absl::GetFlag(FLAGS_ledger).empty()) {
    std::fprintf(stderr,
                 "ledgerd: --projections_only and --ledger HOST:PORT go "
                 "together\n");
    return 2;
  }
  if (const int64_t end = absl::GetFlag(FLAGS_accept_log_end); end >= 0) {
    if (absl::GetFlag(FLAGS_accept_log_end_by).empty()) {
      std::fprintf(stderr,
                   "ledgerd: --accept_log_end needs --accept_log_end_by NAME "
                   "(who decided; recorded in the log)\n");
      return 2;
    }
    options.store.accept_log_end = static_cast<uint64_t>(end);
    options.store.accepted_by = absl::GetFlag(FLAGS_accept_log_end_by);
  }
  if (absl::Status security = SecurityFromFlags(options.security);
      !security.ok()) {
    std::fprintf(stderr, "ledgerd: %s\n",
                 std::string(security.message()).c_str());
    return 2;
  }
  if (const std::string path = absl::GetFlag(FLAGS_signing_key);
      !path.empty()) {
    absl::StatusOr<std::string> text = ReadFlagFile("signing_key", path);
    absl::StatusOr<ledger::NoteSigner> signer =
        text.ok() ? ledger::NoteSigner::Parse(absl::StripAsciiWhitespace(*text))
                  : absl::StatusOr<ledger::NoteSigner>(text.status());
    if (text.ok()) OPENSSL_cleanse(text->data(), text->size());
    if (!signer.ok()) {
      std::fprintf(stderr, "ledgerd: --signing_key %s: %s\n", path.c_str(),
                   std::string(signer.status().message()).c_str());
      return 2;
    }
    options.store.checkpoint_signer =
        std::make_shared<const ledger::NoteSigner>(*std::move(signer));
  }
  options.store.checkpoint_every_events =
      absl::GetFlag(FLAGS_checkpoint_every_events);
  options.store.checkpoint_every =
      absl::Milliseconds(absl::GetFlag(FLAGS_checkpoint_every_ms));
  if (absl::GetFlag(FLAGS_checkpoint_every_ms) < 0) {
    std::fprintf(stderr,
                 "ledgerd: --checkpoint_every_ms must not be negative\n");
    return 2;
  }
  if (const std::string log = absl::GetFlag(FLAGS_log); log == "nats") {
    ledger::NatsLogOptions nats;
    nats.servers = absl::GetFlag(FLAGS_nats_url);
    nats.stream = absl::GetFlag(FLAGS_nats_stream);
    nats.replicas = absl::GetFlag(FLAGS_nats_replicas);
    nats.node_id = absl::GetFlag(FLAGS_node_id).empty()
                       ? options.listen
                       : absl::GetFlag(FLAGS_node_id);
    nats.publish_retry =
        absl::Seconds(absl::GetFlag(FLAGS_nats_publish_retry_s));
    nats.compress = absl::GetFlag(FLAGS_nats_compress);
    if (nats.servers.empty()) {
      std::fprintf(stderr, "ledgerd: --log nats needs --nats_url\n");
      return 2;
    }
    if (nats.replicas < 1 || nats.replicas > 5) {
      std::fprintf(stderr, "ledgerd: --nats_replicas must be from 1 to 5\n");
      return 2;
    }
    if (absl::GetFlag(FLAGS_nats_publish_retry_s) < 1 ||
        absl::GetFlag(FLAGS_nats_connect_s) < 0) {
      std::fprintf(stderr,
                   "ledgerd: --nats_publish_retry_s must be at least 1 and "
                   "--nats_connect_s not negative\n");
      return 2;
    }
    if (absl::GetFlag(FLAGS_lease_ms) < 300) {
      std::fprintf(stderr, "ledgerd: --lease_ms must be at least 300\n");
      return 2;
    }
    if (absl::GetFlag(FLAGS_projections_only)) {
      std::fprintf(stderr,
                   "ledgerd: --log nats is for a ledger node; a projection "
                   "process (--projections_only) follows a ledgerd, not "
                   "the log of record\n");
      return 2;
    }
    options.nats = std::move(nats);
    options.nats_connect = absl::Seconds(absl::GetFlag(FLAGS_nats_connect_s));
    options.nats_lease = absl::Milliseconds(absl::GetFlag(FLAGS_lease_ms));
    options.advertise = absl::GetFlag(FLAGS_advertise);
  } else if (log != "embedded") {
    std::fprintf(stderr, "ledgerd: --log must be embedded or nats, not %s\n",
                 log.c_str());
    return 2;
  }
  options.projections_of = absl::GetFlag(FLAGS_ledger);
  options.projections = absl::GetFlag(FLAGS_projections);
  options.views.cached_cases = absl::GetFlag(FLAGS_view_cache_cases);
  options.projection_niceness = absl::GetFlag(FLAGS_projection_niceness);
  options.store.max_cached_stream_heads =
      absl::GetFlag(FLAGS_stream_head_cache);
  if (options.store.max_cached_stream_heads < 1) {
    std::fprintf(stderr, "ledgerd: --stream_head_cache must be at least 1\n");
    return 2;
  }
  if (options.projection_niceness < 0 || options.projection_niceness > 19) {
    std::fprintf(stderr,
                 "ledgerd: --projection_niceness must be from 0 to 19, not "
                 "%d\n",
                 options.projection_niceness);
    return 2;
  }
  for (const auto& [name, mb, bytes] :
       {std::tuple{"rocksdb_block_cache_mb",
                   absl::GetFlag(FLAGS_rocksdb_block_cache_mb),
                   &options.store.block_cache_bytes},
        std::tuple{"rocksdb_memtable_mb",
                   absl::GetFlag(FLAGS_rocksdb_memtable_mb),
                   &options.store.memtable_bytes}}) {
    if (mb < 1 || mb > (uint64_t{1} << 20)) {
      std::fprintf(stderr,
                   "ledgerd: --%s must be from 1 to 1048576 (MiB), not %llu\n",
                   name, static_cast<unsigned long long>(mb));
      return 2;
    }
    *bytes = static_cast<size_t>(mb) << 20;
  }
  if (absl::GetFlag(FLAGS_simulated_clock) && !options.projections_of.empty()) {
    std::fprintf(stderr,
                 "ledgerd: --simulated_clock is for a ledger; a projection "
                 "process stamps no events\n");
    return 2;
  }
  if (!options.projections && !options.projections_of.empty()) {
    std::fprintf(stderr,
                 "ledgerd: --projections=false with --projections_only "
                 "leaves nothing to serve\n");
    return 2;
  }
  if (options.complaints.policy.failed_revisits_for_repeat < 1 ||
      absl::GetFlag(FLAGS_repeat_window_days) < 0) {
    std::fprintf(stderr,
                 "ledgerd: --failed_revisits_for_repeat must be at least 1 "
                 "and --repeat_window_days not negative\n");
    return 2;
  }
  if (const std::string start = absl::GetFlag(FLAGS_start_time);
      !start.empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, start, &t, &error)) {
      std::fprintf(stderr, "ledgerd: --start_time %s: %s\n", start.c_str(),
                   error.c_str());
      return 2;
    }
    if (absl::GetFlag(FLAGS_simulated_clock)) {
      options.simulated_clock = std::make_shared<ledger::FakeClock>(t);
    } else {
      auto clock = std::make_shared<ledger::ShiftedClock>(t);
      options.store.clock = clock;
      options.complaints.clock = clock;
    }
  } else if (absl::GetFlag(FLAGS_simulated_clock)) {
    options.simulated_clock = std::make_shared<ledger::FakeClock>(absl::Now());
  }
  // Last before the start: every flag was checked first, so a refused
  // flag never leaves a restored directory behind.
  if (const std::string backup = absl::GetFlag(FLAGS_restore_from);
      !backup.empty()) {
    absl::StatusOr<ledger::LogHead> restored =
        ledger::RestoreBackup(backup, options.data_dir);
    if (!restored.ok()) {
      std::fprintf(stderr, "ledgerd: --restore_from: %s\n",
                   std::string(restored.status().message()).c_str());
      return 2;
    }
    ledger::LogInfo(absl::StrCat("restored the backup in ", backup, " into ",
                                 options.data_dir, ": the log to position ",
                                 restored->position_last));
  }
  const absl::Time start = absl::Now();
  auto server = ledger::LedgerServer::Start(options);
  if (!server.ok()) {
    ledger::LogError(server.status().ToString());
    return 1;
  }
  const int port = (*server)->port();
  const ledger::StartupTimes& took = (*server)->startup_times();
  auto ms = [](absl::Duration d) {
    return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
  };
  // A ledger's projections load after it serves: their time is not known
  // yet (and is written meanwhile).
  std::string steps;
  if (!options.projections_of.empty()) {
    steps = absl::StrCat("projections ", ms(took.projections));
  } else {
    const ledger::ComplaintAppStart& app = (*server)->complaints().start();
    steps = absl::StrCat(
        "complaints ", ms(took.complaints), " (", app.events_folded,
        " events folded into the app state",
        app.state_rebuilt_because.empty()
            ? ""
            : absl::StrCat(", rebuilt: ", app.state_rebuilt_because),
        ")",
        options.projections ? "; the projections load their views meanwhile"
                            : "");
  }
  ledger::LogInfo(
      absl::StrFormat("started in %s: store %s, %s", ms(absl::Now() - start),
                      ms(took.store), steps),
      {{"version", ledger::VersionString("ledgerd")}});
  if (options.projections_of.empty()) {
    ledger::LogInfo(absl::StrFormat("serving on port %d, data in %s", port,
                                    options.data_dir));
  } else {
    ledger::LogInfo(
        absl::StrFormat("serving projections of %s on port %d, views in %s",
                        options.projections_of, port, options.data_dir));
  }
  if (const absl::Status damage = (*server)->store().damage(); !damage.ok()) {
    ledger::LogError(absl::StrCat(
        "THE LOG IS DAMAGED; serving its intact part read-only and refusing "
        "commands: ",
        damage.message(),
        ". Restore a backup or a replica, or continue from the intact part "
        "with --accept_log_end (ledger/FORMAT.md, \"A damaged log\")"));
  }
  // What a ledger finishes after it serves: its projections' views, and
  // the check of the whole log; each printed when it ends.
  auto since_start = [start] {
    return absl::FormatDuration(
        absl::Trunc(absl::Now() - start, absl::Milliseconds(1)));
  };
  std::thread projections_loaded;
  std::thread log_checked;
  if (options.projections_of.empty() && options.projections) {
    projections_loaded = std::thread([server = server->get(), since_start] {
      const absl::StatusOr<absl::Duration> loaded =
          server->WaitForProjections();
      if (loaded.ok()) {
        ledger::LogInfo(absl::StrFormat(
            "the projections loaded their views in %s, %s after start; "
            "queries answer",
            absl::FormatDuration(absl::Trunc(*loaded, absl::Milliseconds(1))),
            since_start()));
      } else {
        ledger::LogError(
            absl::StrCat("THE PROJECTIONS DID NOT LOAD; queries are refused: ",
                         loaded.status().ToString()));
      }
    });
  }
  if (options.projections_of.empty() &&
      options.complaints.log_check ==
          ledger::ComplaintAppOptions::LogCheck::kInBackground) {
    log_checked = std::thread([server = server->get(), since_start] {
      const absl::Status checked = server->complaints().WaitForLogCheck();
      if (checked.ok()) {
        ledger::LogInfo(absl::StrCat("the whole log checked, sound, ",
                                     since_start(), " after start"));
      } else if (absl::IsDataLoss(checked)) {
        ledger::LogError(
            absl::StrCat("THE LOG FAILED ITS CHECK; refusing commands: ",
                         checked.message()));
      }
    });
  }
  // The HTTP port first: a reader of --port_file finds both.
  if (const int http_port = (*server)->http_port(); http_port != 0) {
    ledger::LogInfo(
        absl::StrCat("HTTP", (options.security.tls_cert.empty() ? "" : "S"),
                     " on port ", http_port, ": the console at /, /metrics"));
    ledger::WritePortFile(absl::GetFlag(FLAGS_http_port_file), http_port);
  }
  ledger::WritePortFile(absl::GetFlag(FLAGS_port_file), port);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  ledger::LogInfo(absl::StrCat("signal ", signal_number, ", shutting down"));
  absl::Status s = (*server)->Shutdown();
  for (std::thread* t : {&projections_loaded, &log_checked}) {
    if (t->joinable()) t->join();
  }
  if (!s.ok()) {
    ledger::LogError(absl::StrCat("shutdown: ", s.ToString()));
    return 1;
  }
  ledger::LogInfo("stopped cleanly");
  return 0;
}
