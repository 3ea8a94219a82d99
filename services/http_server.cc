#include "services/http_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "ledger/base/log.h"
#include "rpc/channel.h"
#include "services/console.h"
#include "services/json_api.h"

namespace ledger {
namespace {

// A request's body is never needed yet: anything bigger is refused.
constexpr size_t kMaxRequestBody = 64 << 10;
// A connection holds a worker (SSE streams will too): more than the
// default 8.
constexpr size_t kWorkers = 32;

// The certificate chain and key from PEM text into `ctx`; false when they
// do not load or do not match.
bool LoadPem(SSL_CTX& ctx, const std::string& cert, const std::string& key) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  BIO* certs = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
  bool ok = false;
  if (X509* leaf = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr)) {
    ok = SSL_CTX_use_certificate(&ctx, leaf) == 1;
    X509_free(leaf);
    // The rest of the chain, if any.
    while (ok) {
      X509* next = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
      if (next == nullptr) break;
      ok = SSL_CTX_add0_chain_cert(&ctx, next) == 1;  // Owns it then.
      if (!ok) X509_free(next);
    }
  }
  BIO_free(certs);
  if (!ok) return false;
  BIO* keys = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(keys, nullptr, nullptr, nullptr);
  BIO_free(keys);
  if (pkey == nullptr) return false;
  ok = SSL_CTX_use_PrivateKey(&ctx, pkey) == 1 &&
       SSL_CTX_check_private_key(&ctx) == 1;
  EVP_PKEY_free(pkey);
  // The chain's end leaves "no start line" on this thread's error queue.
  ERR_clear_error();
  return ok;
}

int HttpStatusOf(absl::StatusCode code) {
  return ::ledger::HttpStatusOf(static_cast<grpc::StatusCode>(code));
}

// The value of cookie `name` in the request's Cookie headers; empty when
// it has none.
std::string CookieOf(const httplib::Request& req, absl::string_view name) {
  const size_t count = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < count; ++i) {
    const std::string header = req.get_header_value("Cookie", i);
    for (absl::string_view pair : absl::StrSplit(header, ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
        return std::string(pair);
      }
    }
  }
  return std::string();
}

}  // namespace

const std::vector<HttpAccessRule>& HttpAccessTable() {
  // Operators read /metrics: the centre head, auditors, and a monitoring
  // system registered as a service. Anyone registered may sign in to the
  // console and follow the log's progress (positions only; what a page
  // then shows is decided per RPC). The JSON API (POST /api/v1/<rpc>) and
  // the exports are decided by the RPCs they call, in the table above.
  const std::vector<v1::Role> everyone = {
      v1::ROLE_AGENT,           v1::ROLE_CLERK,           v1::ROLE_CENTRE_HEAD,
      v1::ROLE_STATION_HEAD,    v1::ROLE_DEPARTMENT_HEAD, v1::ROLE_PROJECT_HEAD,
      v1::ROLE_GENERAL_MANAGER, v1::ROLE_AUDITOR,         v1::ROLE_SERVICE};
  static const auto* table = new std::vector<HttpAccessRule>{
      {"GET /metrics",
       {v1::ROLE_CENTRE_HEAD, v1::ROLE_AUDITOR, v1::ROLE_SERVICE}},
      {"POST /session", everyone},
      {"GET /session", everyone},
      {"GET /api/v1/live", everyone},
  };
  return *table;
}

bool TokenShaped(absl::string_view token, size_t max_bytes) {
  if (token.empty() || token.size() > max_bytes) return false;
  for (char c : token) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                    c == '-' || c == '_' || c == '.' || c == '~' || c == '+' ||
                    c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

std::string HttpGate::SessionCookie() const {
  return tls_ ? "__Host-ledger_session" : "ledger_session";
}

HttpGate::Credential HttpGate::CredentialOf(const httplib::Request& req) const {
  Credential credential;
  auto bearer = [&](absl::string_view token, Source source) {
    credential.source = source;
    credential.malformed = !TokenShaped(token);
    if (!credential.malformed) {
      credential.authorization = absl::StrCat("Bearer ", token);
    }
    return credential;
  };
  if (req.has_header("Authorization")) {
    // get_header_value answers a copy: kept here while `header` views it.
    const std::string value = req.get_header_value("Authorization");
    absl::string_view header = value;
    if (req.get_header_value_count("Authorization") != 1 ||
        !absl::ConsumePrefix(&header, "Bearer ")) {
      credential.source = Source::kAuthorization;
      credential.malformed = true;
      return credential;
    }
    return bearer(header, Source::kAuthorization);
  }
  if (!sso_header_.empty() && req.has_header(sso_header_.c_str())) {
    // An address as the proxy connects from it (an IPv4 one may come
    // mapped into IPv6).
    absl::string_view from = req.remote_addr;
    absl::ConsumePrefix(&from, "::ffff:");
    if (std::find(sso_proxies_.begin(), sso_proxies_.end(), from) !=
        sso_proxies_.end()) {
      if (req.get_header_value_count(sso_header_.c_str()) != 1) {
        credential.source = Source::kSso;
        credential.malformed = true;
        return credential;
      }
      return bearer(req.get_header_value(sso_header_.c_str()), Source::kSso);
    }
  }
  if (std::string session = CookieOf(req, SessionCookie()); !session.empty()) {
    return bearer(session, Source::kCookie);
  }
  return credential;
}

bool HttpGate::Pass(const httplib::Request& req, httplib::Response& res,
                    std::string* authorization) const {
  const Credential credential = CredentialOf(req);
  if (credential.malformed) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"complaint-ledger\"");
    res.set_content(
        "the request's credential is not a bearer token (\"Authorization: "
        "Bearer <JWT>\", the SSO proxy's header once, or the console's "
        "session)\n",
        "text/plain; charset=utf-8");
    return false;
  }
  // What a browser sends on its own: the cookie, the proxy's header, and,
  // to an open gate, nothing at all (which is then enough).
  const bool ambient = credential.source == Source::kCookie ||
                       credential.source == Source::kSso ||
                       (credential.source == Source::kNone && gate_->open());
  if (req.method != "GET" && req.method != "HEAD" && ambient &&
      req.get_header_value("X-Ledger-Console") != "1") {
    res.status = 403;
    res.set_content(
        "a request that is not a GET must carry X-Ledger-Console: 1 unless "
        "it sends its token in an Authorization header (against cross-site "
        "request forgery)\n",
        "text/plain; charset=utf-8");
    return false;
  }
  *authorization = credential.authorization;
  return true;
}

bool HttpGate::Admit(const char* what, const httplib::Request& req,
                     httplib::Response& res, Caller* caller) const {
  std::string authorization;
  if (!Pass(req, res, &authorization)) return false;
  return AdmitCredential(what, authorization, res, caller);
}

bool HttpGate::AdmitCredential(const char* what,
                               const std::string& authorization,
                               httplib::Response& res, Caller* caller) const {
  const auto& table = HttpAccessTable();
  const auto rule = std::find_if(
      table.begin(), table.end(),
      [&](const auto& r) { return std::string_view(r.path) == what; });
  absl::Status admitted =
      rule == table.end()
          ? absl::PermissionDeniedError(
                absl::StrCat(what, " has no row in the access table"))
          : gate_->AdmitHttp(what, authorization, rule->roles, caller);
  if (admitted.ok()) return true;
  res.status = HttpStatusOf(admitted.code());
  if (res.status == 401) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"complaint-ledger\"");
  }
  res.set_content(absl::StrCat(admitted.message(), "\n"),
                  "text/plain; charset=utf-8");
  return false;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, const Gate* gate) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http_listen is HOST:PORT (port 0: any free one), not \"",
        options.listen, "\""));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (options.sso_header.empty() != options.sso_proxies.empty()) {
    return absl::InvalidArgumentError(
        "single sign-on needs both the proxy's header (--http_sso_header) "
        "and the proxy's addresses (--http_sso_proxies), the only ones the "
        "header is believed from");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "HTTPS needs both a certificate and its key");
  }
  auto server = std::unique_ptr<HttpServer>(new HttpServer());
  server->tls_ = !options.tls_cert.empty();
  if (server->tls_) {
    bool loaded = false;
    server->server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      return loaded = LoadPem(ctx, options.tls_cert, options.tls_key);
    });
    if (!loaded || !server->server_->is_valid()) {
      return absl::InvalidArgumentError(
          "the TLS certificate or key for --http_listen does not load");
    }
  } else {
    if (!IsLoopback(options.listen)) {
      return absl::InvalidArgumentError(
          absl::StrCat("without TLS, HTTP listens on loopback only, not ",
                       options.listen, "; give ledgerd a certificate and key"));
    }
    server->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *server->server_;
  http.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  http.set_keep_alive_timeout(2);
  http.set_payload_max_length(kMaxRequestBody);
  // The Debian build lacks the fix for chunked bodies passing the length
  // limit (CVE-2025-46728): no request of ours has a chunked body.
  const bool open = gate->open();
  http.set_pre_routing_handler(
      [open](const httplib::Request& req, httplib::Response& res) {
        if (req.has_header("Transfer-Encoding")) {
          res.status = 411;
          res.set_content("requests with Transfer-Encoding are refused\n",
                          "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        // Without authentication only a page of this machine may ask: a
        // site whose name was made to resolve to 127.0.0.1 (DNS
        // rebinding) comes with its own name as Host.
        if (open && !IsLoopback(req.get_header_value("Host"))) {
          res.status = 403;
          res.set_content(
              "without authentication (--insecure_no_auth) the HTTP side "
              "answers requests for a loopback host only\n",
              "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // A handler that throws (none should) answers 500 without the
  // exception's text (httplib would send it in a header).
  http.set_exception_handler([](const httplib::Request& req,
                                httplib::Response& res, std::exception_ptr) {
    LogError(
        absl::StrCat("HTTP ", req.method, " ", req.path, ": a handler threw"));
    res.status = 500;
    res.set_content("internal error\n", "text/plain; charset=utf-8");
  });
  server->gate_ = std::make_unique<HttpGate>(gate, options.sso_header,
                                             options.sso_proxies, server->tls_);
  const HttpGate* admit = server->gate_.get();
  auto metrics = options.metrics;
  http.Get("/metrics", [admit, metrics](const httplib::Request& req,
                                        httplib::Response& res) {
    if (!admit->Admit("GET /metrics", req, res)) return;
    res.set_content(metrics ? metrics() : std::string(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  if (options.api_channel != nullptr) {
    ConsoleOptions console;
    console.api = std::make_shared<JsonApi>(options.api_channel);
    console.hub = options.hub;
    console.views_reach = options.views_reach;
    console.max_live_streams = options.max_live_streams;
    console.stopping = server->stopping_flag_;
    ServeConsole(http, console, admit);
  }
  if (port == 0) {
    server->port_ = http.bind_to_any_port(host);
  } else if (http.bind_to_port(host, port)) {
    server->port_ = port;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " for HTTP"));
  }
  server->thread_ = std::thread([raw = server.get()] {
    raw->server_->listen_after_bind();
    if (!*raw->stopping_flag_) {
      LogError(
          "HTTP stopped accepting connections (cpp-httplib's accept "
          "loop ended); /metrics is down until ledgerd restarts");
    }
    raw->done_ = true;
  });
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  *stopping_flag_ = true;
  // stop() does nothing before listening has begun: wait for it.
  while (!server_->is_running() && !done_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

}  // namespace ledger
