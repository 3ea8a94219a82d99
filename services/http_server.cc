#include "services/http_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "ledger/base/log.h"
#include "rpc/channel.h"

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
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

const std::vector<HttpAccessRule>& HttpAccessTable() {
  // Operators read /metrics: the centre head, auditors, and a monitoring
  // system registered as a service.
  static const auto* table = new std::vector<HttpAccessRule>{
      {"GET /metrics",
       {v1::ROLE_CENTRE_HEAD, v1::ROLE_AUDITOR, v1::ROLE_SERVICE}},
  };
  return *table;
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
  http.set_pre_routing_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (req.has_header("Transfer-Encoding")) {
          res.status = 411;
          res.set_content("requests with Transfer-Encoding are refused\n",
                          "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // Through the gate, as `what` of the access table; false (the answer
  // made) when refused.
  auto admit = [gate](const char* what, const httplib::Request& req,
                      httplib::Response& res) {
    const auto& table = HttpAccessTable();
    const auto rule = std::find_if(
        table.begin(), table.end(),
        [&](const auto& r) { return std::string_view(r.path) == what; });
    absl::Status admitted =
        rule == table.end()
            ? absl::PermissionDeniedError(
                  absl::StrCat(what, " has no row in the access table"))
            : gate->AdmitHttp(what, req.get_header_value("Authorization"),
                              rule->roles);
    if (admitted.ok()) return true;
    res.status = HttpStatusOf(admitted.code());
    if (res.status == 401) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"complaint-ledger\"");
    }
    res.set_content(absl::StrCat(admitted.message(), "\n"),
                    "text/plain; charset=utf-8");
    return false;
  };
  auto metrics = options.metrics;
  http.Get("/metrics", [admit, metrics](const httplib::Request& req,
                                        httplib::Response& res) {
    if (!admit("GET /metrics", req, res)) return;
    res.set_content(metrics ? metrics() : std::string(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
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
    if (!raw->stopping_) {
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
  stopping_ = true;
  // stop() does nothing before listening has begun: wait for it.
  while (!server_->is_running() && !done_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

}  // namespace ledger
