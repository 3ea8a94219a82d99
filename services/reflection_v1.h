// gRPC server reflection, v1 (grpc.reflection.v1.ServerReflection), beside
// the v1alpha that Debian's gRPC 1.51 provides: clients such as newer
// grpcurl and grpcui ask v1 first. Answers from the binary's generated
// descriptor pool, like v1alpha; the service list is the server's own.
// Open to every caller, as v1alpha is: it describes schemas (the .proto
// files of this repository), never data.
#ifndef LEDGER_SERVICES_REFLECTION_V1_H_
#define LEDGER_SERVICES_REFLECTION_V1_H_

#include <string>
#include <vector>

#include "third_party/grpc/reflection/v1/reflection.grpc.pb.h"

namespace ledger {

class ReflectionV1 final
    : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  // `services`: the full names list_services answers.
  explicit ReflectionV1(std::vector<std::string> services);

  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const std::vector<std::string> services_;
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_REFLECTION_V1_H_
