// CommandRpcs: the gRPC handlers of the commands, one per command of the
// registry (app/commands.h), installed on a generated callback service for
// each of its methods that takes a registered command and answers a
// v1::CommandResult. There is no method per RPC to grep for: the handler of
// ComplaintService.ReceiveComplaint (and of every other command RPC) is the
// `handle` the service gives InstallCommandHandlers, called with the
// request as a google::protobuf::Message (a v1::ReceiveComplaint).
#ifndef LEDGER_SERVICES_COMMAND_RPCS_H_
#define LEDGER_SERVICES_COMMAND_RPCS_H_

#include <functional>
#include <string>

#include "app/commands.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/server_callback.h"
#include "ledger/base/check.h"
#include "ledger/v1/complaint_service.pb.h"

namespace ledger {

// `Base` is a generated v1::X::CallbackService.
template <typename Base>
class CommandRpcs : public Base {
 public:
  using Handle = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const google::protobuf::Message& command,
      v1::CommandResult*)>;

 protected:
  // Makes `handle` the handler of every method of `service_name` (the
  // generated service's full name) that takes a registered command. Every
  // method answering a CommandResult must be one: a method left out would
  // answer with gRPC's null reactor.
  void InstallCommandHandlers(const std::string& service_name,
                              const Handle& handle) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name);
    LEDGER_CHECK(service != nullptr, "a generated service has a descriptor");
    int installed = 0;
    ForEachCommand([&](const auto& spec) {
      using Command = typename std::decay_t<decltype(spec)>::Type;
      for (int i = 0; i < service->method_count(); ++i) {
        const google::protobuf::MethodDescriptor* method = service->method(i);
        if (method->input_type() != Command::descriptor()) continue;
        // The method's index is its place in the generated service, which
        // counts methods as the .proto declares them.
        this->MarkMethodCallback(
            i, new grpc::internal::CallbackUnaryHandler<Command,
                                                        v1::CommandResult>(
                   [handle](grpc::CallbackServerContext* context,
                            const Command* request,
                            v1::CommandResult* response) {
                     return handle(context, *request, response);
                   }));
        ++installed;
      }
    });
    int answering_results = 0;
    for (int i = 0; i < service->method_count(); ++i) {
      answering_results += service->method(i)->output_type() ==
                           v1::CommandResult::descriptor();
    }
    LEDGER_CHECK(installed == answering_results,
                 "every command RPC takes a command of app/commands.h");
  }
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMMAND_RPCS_H_
