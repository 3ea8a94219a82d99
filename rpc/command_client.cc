#include "rpc/command_client.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "ledger/v1/complaint_service.grpc.pb.h"

namespace ledger {

std::string CommandClient::MethodOf(const google::protobuf::Descriptor* type) {
  for (const char* name : {v1::ComplaintService::service_full_name(),
                           v1::ReferenceDataService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (method->input_type() == type &&
          method->output_type() == v1::CommandResult::descriptor()) {
        return absl::StrCat("/", service->full_name(), "/", method->name());
      }
    }
  }
  return "";
}

grpc::Status CommandClient::Execute(grpc::ClientContext* context,
                                    const google::protobuf::Message& command,
                                    v1::CommandResult* result) {
  const std::string method = MethodOf(command.GetDescriptor());
  if (method.empty()) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat(command.GetDescriptor()->full_name(),
                                     " is not a command of the ledger"));
  }
  absl::Notification done;
  grpc::Status status;
  stub_.UnaryCall(context, method, grpc::StubOptions(), &command, result,
                  [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  return status;
}

}  // namespace ledger
