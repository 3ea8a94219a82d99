#include "rpc/status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/store/errors.h"

namespace ledger {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

grpc::Status ToGrpcStatus(const absl::Status& status,
                          grpc::ServerContextBase* context) {
  if (auto position = BrokenPosition(status); position.has_value()) {
    context->AddTrailingMetadata(kBrokenPositionMetadata,
                                 absl::StrCat(*position));
  }
  if (auto writer = WriterAddress(status); writer.has_value()) {
    context->AddTrailingMetadata(kWriterMetadata, *writer);
  }
  return ToGrpcStatus(status);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view doing) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(doing, ": ", status.error_message()));
}

std::optional<std::string> NamedWriter(const grpc::Status& status,
                                       const grpc::ClientContext& context) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return std::nullopt;
  const auto& trailers = context.GetServerTrailingMetadata();
  auto writer = trailers.find(kWriterMetadata);
  if (writer == trailers.end()) return std::nullopt;
  return std::string(writer->second.data(), writer->second.size());
}

}  // namespace ledger
