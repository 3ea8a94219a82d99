// ParsedRequests: gRPC handlers that take a unary request's bytes and parse
// them here, for a generated callback service whose methods answer through
// FinishOn or FinishNow (services/callbacks.h). gRPC's own typed handlers
// answer a request that does not parse (invalid UTF-8 in a string, random
// bytes) with UNIMPLEMENTED and no message, which a client reads as "no
// such method"; these answer INVALID_ARGUMENT naming the RPC, and hand a
// request that parses to the service's typed method as before. (The
// command RPCs do the same in services/command_rpcs.h.)
#ifndef LEDGER_SERVICES_PARSED_REQUESTS_H_
#define LEDGER_SERVICES_PARSED_REQUESTS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "ledger/base/check.h"
#include "services/callbacks.h"
#include "services/gate.h"

namespace ledger {

// The INVALID_ARGUMENT for a request of `rpc` whose bytes do not parse as
// `type`.
inline grpc::Status Unparseable(const std::string& rpc,
                                const google::protobuf::Descriptor* type) {
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat(rpc, ": the request is not a valid ", type->full_name(),
                   " (its bytes do not parse; strings must be UTF-8)"));
}

// What every service of ledgerd is besides its generated base: its calls
// admitted by the server's Gate (services/gate.h).
class GatedService {
 public:
  // Set before the service is registered; outlives it.
  void SetGate(const Gate* gate) { gate_ = gate; }

 protected:
  // Admits a call of `rpc`, whose parsed request is `request`.
  grpc::Status Admit(const std::string& rpc,
                     const grpc::ServerContextBase& context,
                     google::protobuf::Message& request,
                     Caller* caller = nullptr) const {
    return gate_ == nullptr ? grpc::Status::OK
                            : gate_->Admit(rpc, context, request, caller);
  }

 private:
  const Gate* gate_ = nullptr;
};

// `Base` is a generated v1::X::CallbackService.
template <typename Base>
class ParsedRequests : public Base, public GatedService {
 protected:
  // Makes the method `method` of `service_name` (the service's full name)
  // take its request's bytes; `typed` is the service's own method for it,
  // which must answer through FinishOn or FinishNow.
  template <typename Self, typename Request, typename Response>
  void ParseRequests(
      const std::string& service_name, const char* method,
      grpc::ServerUnaryReactor* (Self::*typed)(grpc::CallbackServerContext*,
                                               const Request*, Response*)) {
    const google::protobuf::MethodDescriptor* m =
        google::protobuf::DescriptorPool::generated_pool()
            ->FindServiceByName(service_name)
            ->FindMethodByName(method);
    LEDGER_CHECK(m != nullptr && m->input_type() == Request::descriptor() &&
                     m->output_type() == Response::descriptor(),
                 "ParseRequests names a method of the service, with its types");
    Self* self = static_cast<Self*>(this);
    this->MarkMethodRawCallback(
        m->index(),
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                 grpc::ByteBuffer>(
            [self, base = this, typed, rpc = m->full_name()](
                grpc::CallbackServerContext* context,
                const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
              auto call = std::make_shared<std::pair<Request, Response>>();
              // Reads the buffer's slices in place and clears it; the
              // buffer is this call's.
              grpc::Status parsed =
                  grpc::GenericDeserialize<grpc::ProtoBufferReader, Request>(
                      const_cast<grpc::ByteBuffer*>(request), &call->first);
              Caller caller;
              if (parsed.ok()) {
                parsed = base->Admit(rpc, *context, call->first, &caller);
              } else {
                parsed = Unparseable(rpc, Request::descriptor());
              }
              if (!parsed.ok()) {
                grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                reactor->Finish(parsed);
                return reactor;
              }
              callbacks_internal::Serialize serialize = [call, response] {
                bool own_buffer = false;
                return grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                              Response>(call->second, response,
                                                        &own_buffer);
              };
              callbacks_internal::pending_serialize = &serialize;
              ScopedCaller scoped(&caller);
              grpc::ServerUnaryReactor* reactor =
                  (self->*typed)(context, &call->first, &call->second);
              LEDGER_CHECK(callbacks_internal::pending_serialize == nullptr,
                           "a typed method answers through FinishOn or "
                           "FinishNow");
              return reactor;
            }));
  }
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_PARSED_REQUESTS_H_
