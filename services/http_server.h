// HttpServer: ledgerd's HTTP side (--http_listen), beside gRPC: HTTPS with
// the gRPC listener's certificate, or plain HTTP on loopback when ledgerd
// runs without TLS. cpp-httplib from Debian (libcpp-httplib-dev) does the
// protocol; docs/design/console-research.md says how it is used and why.
//
// Today it serves /metrics (the Prometheus text format, services/
// metrics.h). Every path goes through the gate as an RPC does
// (services/gate.h, Gate::AdmitHttp): the caller's "Authorization: Bearer
// <JWT>" is checked against the agent registry, and the path's roles
// (HttpAccessTable, the README's "Who may open what") decide. 401 with
// "WWW-Authenticate: Bearer" without a usable token, 403 for a role that
// may not, 429 past the caller's call budget, 404 for a path that is not
// there. With an open gate (--insecure_no_auth) anyone on loopback may.
#ifndef LEDGER_SERVICES_HTTP_SERVER_H_
#define LEDGER_SERVICES_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/v1/common.pb.h"
#include "services/gate.h"

namespace httplib {
class Server;
}

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
};

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
  std::thread thread_;
  std::atomic<bool> done_{false};  // Listening ended (or never began).
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_HTTP_SERVER_H_
