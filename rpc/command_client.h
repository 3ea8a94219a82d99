// CommandClient: calls the ledger's RPC for any command, found by the
// command's type: each command of the registry (app/commands.h) is taken by
// exactly one method of ComplaintService or ReferenceDataService. For
// clients that hold commands as messages (ledgerctl, ledger_sim).
#ifndef LEDGER_RPC_COMMAND_CLIENT_H_
#define LEDGER_RPC_COMMAND_CLIENT_H_

#include <memory>
#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/status.h"
#include "ledger/v1/complaint_service.pb.h"

namespace ledger {

class CommandClient {
 public:
  explicit CommandClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(std::move(channel)) {}

  // Blocks until answered. UNIMPLEMENTED, without a call, for a message no
  // RPC takes.
  grpc::Status Execute(grpc::ClientContext* context,
                       const google::protobuf::Message& command,
                       v1::CommandResult* result);

  // "/ledger.v1.ComplaintService/Reply" for v1::Reply; empty when no RPC
  // of the two services takes `type`.
  static std::string MethodOf(const google::protobuf::Descriptor* type);

 private:
  grpc::TemplatedGenericStub<google::protobuf::Message, v1::CommandResult>
      stub_;
};

}  // namespace ledger

#endif  // LEDGER_RPC_COMMAND_CLIENT_H_
