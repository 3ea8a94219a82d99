// CommandRpcs: the gRPC handlers of the commands, one per command of the
// registry (app/commands.h), installed on a generated callback service for
// each of its methods that takes a registered command and answers a
// v1::CommandResult. There is no method per RPC to grep for: the handler of
// ComplaintService.ReceiveComplaint (and of every other command RPC) is the
// `handle` the service gives InstallCommandHandlers, called with the
// request as a google::protobuf::Message (a v1::ReceiveComplaint), parsed
// here from the request's bytes.
#ifndef LEDGER_SERVICES_COMMAND_RPCS_H_
#define LEDGER_SERVICES_COMMAND_RPCS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "ledger/base/check.h"
#include "ledger/v1/complaint_service.pb.h"
#include "services/parsed_requests.h"

namespace ledger {

// `Base` is a generated v1::X::CallbackService.
template <typename Base>
class CommandRpcs : public ParsedRequests<Base> {
 public:
  // Called (on gRPC's threads) when a command is refused with DATA_LOSS: the
  // log was found damaged, so the service's health may have changed. Set
  // before the server starts.
  void OnDataLoss(std::function<void()> report) {
    on_data_loss_ = std::move(report);
  }

  // Ends the call: with `status`, and when it is OK with the response the
  // handle filled in.
  using Finish = std::function<void(grpc::Status status)>;
  using Handle = std::function<void(
      grpc::CallbackServerContext*, const google::protobuf::Message& command,
      v1::CommandResult* response, Finish finish)>;

 protected:
  // Tells OnDataLoss's callback when `status` is DATA_LOSS.
  void NoteStatus(const grpc::Status& status) const {
    if (status.error_code() == grpc::StatusCode::DATA_LOSS && on_data_loss_) {
      on_data_loss_();
    }
  }

  // Makes `handle` the handler of every method of `service_name` (the
  // generated service's full name) that takes a registered command. Every
  // method answering a CommandResult must be one: a method left out would
  // answer with gRPC's null reactor.
  //
  // The handlers take the request's bytes and parse them here: gRPC's own
  // typed handlers answer a request that does not parse (invalid UTF-8 in a
  // string, random bytes) with UNIMPLEMENTED and no message, which a client
  // reads as "no such method"; here it is INVALID_ARGUMENT naming the RPC.
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
        this->MarkMethodRawCallback(
            i, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                        grpc::ByteBuffer>(
                   [this, handle, rpc = method->full_name()](
                       grpc::CallbackServerContext* context,
                       const grpc::ByteBuffer* request,
                       grpc::ByteBuffer* response) {
                     return Run<Command>(*this, handle, rpc, context, request,
                                         response);
                   }));
        ++installed;
      }
    });
    int answering_results = 0;
    for (int i = 0; i < service->method_count(); ++i) {
      answering_results +=
          service->method(i)->output_type() == v1::CommandResult::descriptor();
    }
    LEDGER_CHECK(installed == answering_results,
                 "every command RPC takes a command of app/commands.h");
  }

 private:
  // One call's command and result, until it is finished.
  template <typename Command>
  struct Call {
    Command command;
    v1::CommandResult result;
  };

  template <typename Command>
  static grpc::ServerUnaryReactor* Run(const CommandRpcs& self,
                                       const Handle& handle,
                                       const std::string& rpc,
                                       grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto call = std::make_shared<Call<Command>>();
    // GenericDeserialize reads the buffer's slices in place and clears it;
    // the buffer is this call's.
    grpc::Status parsed =
        grpc::GenericDeserialize<grpc::ProtoBufferReader, Command>(
            const_cast<grpc::ByteBuffer*>(request), &call->command);
    parsed = parsed.ok() ? self.Admit(rpc, *context, call->command)
                         : Unparseable(rpc, Command::descriptor());
    if (!parsed.ok()) {
      reactor->Finish(parsed);
      return reactor;
    }
    handle(context, call->command, &call->result,
           [&self, call, reactor, response](grpc::Status status) {
             self.NoteStatus(status);
             if (status.ok()) {
               bool own_buffer = false;
               status = grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                               v1::CommandResult>(
                   call->result, response, &own_buffer);
             }
             reactor->Finish(status);
           });
    return reactor;
  }

  std::function<void()> on_data_loss_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMMAND_RPCS_H_
