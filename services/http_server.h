// HttpServer: ledgerd's HTTP side (--http_listen), beside gRPC: HTTPS with
// the gRPC listener's certificate, or plain HTTP on loopback when ledgerd
// runs without TLS. cpp-httplib from Debian (libcpp-httplib-dev) does the
// protocol; docs/design/console-research.md says how it is used and why.
//
// It serves /metrics (the Prometheus text format, services/metrics.h) and,
// given the ledger's own gRPC server, the console (services/console.h): its
// pages, the JSON API (services/json_api.h), live updates and exports.
// Every path that shows data goes through the gate as an RPC does
// (services/gate.h): the caller's token is checked against the agent
// registry, and the path's roles (HttpAccessTable, the README's second
// table) or, for the JSON API, the RPC's row decide. 401 with
// "WWW-Authenticate: Bearer" without a usable token, 403 for a role that
// may not, 429 past the caller's call budget, 404 for a path that is not
// there. With an open gate (--insecure_no_auth) anyone on loopback may.
//
// The token comes, in this order, from "Authorization: Bearer <JWT>"; from
// the header an authenticating reverse proxy sets (--http_sso_header),
// believed only from the proxy's own addresses (--http_sso_proxies); or
// from the console's session cookie, which POST /session sets from a token.
#ifndef LEDGER_SERVICES_HTTP_SERVER_H_
#define LEDGER_SERVICES_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "ledger/subscribe/hub.h"
#include "ledger/v1/common.pb.h"
#include "services/gate.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ledger {

// One row of the HTTP side's access table.
struct HttpAccessRule {
  const char* path;  // "GET /metrics"
  std::vector<v1::Role> roles;
};
const std::vector<HttpAccessRule>& HttpAccessTable();

struct HttpServerOptions {
  // host:port; port 0 picks a free one (HttpServer::port).
  std::string listen;
  // PEM text, both or neither: HTTPS (TLS 1.2 at least); neither: plain
  // HTTP, on loopback only.
  std::string tls_cert;
  std::string tls_key;
  // The text of /metrics, made when scraped.
  std::function<std::string()> metrics;
  // The ledger's own gRPC server, in process
  // (grpc::Server::InProcessChannel). Set: the console and the JSON API
  // are served.
  std::shared_ptr<grpc::Channel> api_channel;
  // Where the console's live updates come from (GET /api/v1/live); null:
  // none.
  SubscriptionHub* hub = nullptr;
  // Waits up to a time for the views to have read the log to a position
  // (ProjectionRunner::WaitFor), so that a live update is sent when the
  // queues show it; null: no views here.
  std::function<bool(uint64_t, absl::Duration)> views_reach;
  // Single sign-on: the request header in which an authenticating reverse
  // proxy passes the user's token (e.g. "X-Forwarded-Access-Token"), and
  // the proxy's addresses, the only ones it is believed from. Empty: none.
  std::string sso_header;
  std::vector<std::string> sso_proxies;
  // Live update streams at once; each holds one of the server's workers.
  size_t max_live_streams = 16;
};

// The gate as the HTTP side's handlers use it.
class HttpGate {
 public:
  HttpGate(const Gate* gate, std::string sso_header,
           std::vector<std::string> sso_proxies, bool tls)
      : gate_(gate),
        sso_header_(std::move(sso_header)),
        sso_proxies_(std::move(sso_proxies)),
        tls_(tls) {}

  // The console's session cookie: "__Host-ledger_session" over TLS (the
  // prefix makes browsers refuse one set by another site or without
  // Secure), "ledger_session" on plain loopback HTTP.
  std::string SessionCookie() const;

  // Where a request's credential came from.
  enum class Source { kNone, kAuthorization, kSso, kCookie };
  struct Credential {
    // "Bearer <token>" as the gate reads it; empty for none.
    std::string authorization;
    Source source = Source::kNone;
    // The request carried something that is no bearer token (another
    // scheme, bytes a token never has, two SSO headers): refused as it is,
    // never passed on.
    bool malformed = false;
  };
  Credential CredentialOf(const httplib::Request& req) const;

  // Lets a request on (true, its credential in `authorization`) or makes
  // `res` the refusal (false): a malformed credential is 401, and a
  // request that is not a GET must carry "X-Ledger-Console: 1" when its
  // credential is the cookie or the SSO proxy's header (or, to an open
  // gate, none). A browser sends those on its own, to whatever page asks;
  // the custom header only a page of this origin can add (cross-origin it
  // needs CORS, which this server never grants): against cross-site
  // request forgery, and a login by someone else's token.
  bool Pass(const httplib::Request& req, httplib::Response& res,
            std::string* authorization) const;
  // Pass, then admits `what` ("GET /metrics") to the roles of its
  // HttpAccessTable row, or makes `res` the refusal and returns false.
  // `caller`, when given, is who was admitted.
  bool Admit(const char* what, const httplib::Request& req,
             httplib::Response& res, Caller* caller = nullptr) const;
  // The same for a credential already passed ("Bearer <token>").
  bool AdmitCredential(const char* what, const std::string& authorization,
                       httplib::Response& res, Caller* caller) const;

  bool open() const { return gate_->open(); }
  bool tls() const { return tls_; }

 private:
  const Gate* const gate_;
  const std::string sso_header_;
  const std::vector<std::string> sso_proxies_;
  const bool tls_;
};

// Whether `token` looks like a bearer token (base64url and the like, at
// most `max_bytes`): nothing a header or cookie cannot carry.
bool TokenShaped(absl::string_view token, size_t max_bytes = 8192);

class HttpServer {
 public:
  // Listening when it returns. `gate` outlives the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, const Gate* gate);
  ~HttpServer();

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // Stops listening, ends the connections; safe to call more than once.
  void Stop();

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<HttpGate> gate_;
  // Set before the server stops: live streams end.
  std::shared_ptr<std::atomic<bool>> stopping_flag_ =
      std::make_shared<std::atomic<bool>>(false);
  std::thread thread_;
  std::atomic<bool> done_{false};  // Listening ended (or never began).
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_HTTP_SERVER_H_
