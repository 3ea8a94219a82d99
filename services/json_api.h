// JsonApi: ledgerd's unary RPCs as JSON over HTTP (POST /api/v1/<rpc>), for
// the console's pages and for clients without gRPC.
//
// It is not a second implementation of anything: a request's JSON is parsed
// into the RPC's own request message (proto3's JSON mapping) and sent to
// ledgerd's own gRPC server over an in-process channel, with the HTTP
// caller's bearer token as the call's "authorization". So the gate
// (services/gate.h) admits it exactly as a gRPC call (the RPC's row of the
// access table, a station head's scope, the call budget, the actor of a
// command), the same service code answers it, and the call log and
// /metrics count it. The answer comes back in the same JSON mapping
// (snake_case field names as in the .proto files, enums by name, 64-bit
// integers as strings, bytes in base64), with one addition: an Event's
// payload is shown decoded (its fields, by its event_type) instead of as
// bytes.
//
// Only RPCs of the access table are reachable, and only unary ones
// (subscriptions stay gRPC); grpc.health.v1.Health/Check too (it is
// unauthenticated over gRPC as well).
#ifndef LEDGER_SERVICES_JSON_API_H_
#define LEDGER_SERVICES_JSON_API_H_

#include <memory>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/status.h"

namespace ledger {

// An answer to an HTTP request.
struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
};

// The HTTP status for a gRPC status code (as Google's API gateways map
// them: INVALID_ARGUMENT 400, NOT_FOUND 404, PERMISSION_DENIED 403, ...).
int HttpStatusOf(grpc::StatusCode code);

// {"code":"NOT_FOUND","message":"..."} with the status's HTTP code.
HttpReply ErrorReply(const grpc::Status& status);

class JsonApi {
 public:
  // `channel`: the ledger's own server, in process
  // (grpc::Server::InProcessChannel).
  explicit JsonApi(std::shared_ptr<grpc::Channel> channel);

  // Calls `rpc` ("ledger.v1.QueryService/GetQueue" or
  // "ledger.v1.QueryService.GetQueue") with the request `json` (empty:
  // the default request) as the holder of `authorization` ("Bearer
  // <JWT>"; empty: nobody). 404 for an RPC that is not served this way,
  // 400 for JSON that is not the request's.
  HttpReply Call(std::string_view rpc, std::string_view json,
                 const std::string& authorization) const;

  // The same with messages, for the HTTP side's own handlers (exports):
  // `request` and `response` of the RPC's types.
  grpc::Status Call(const std::string& rpc,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response,
                    const std::string& authorization) const;

 private:
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<grpc::GenericStub> stub_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_JSON_API_H_
