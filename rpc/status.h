// The one place that turns absl::Status into grpc::Status.
#ifndef LEDGER_RPC_STATUS_H_
#define LEDGER_RPC_STATUS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace ledger {

// Trailing metadata key naming the position of a record that failed its
// checks, on DATA_LOSS.
inline constexpr char kBrokenPositionMetadata[] = "ledger-broken-position";
// Trailing metadata key naming the writer of a replicated log (host:port),
// on UNAVAILABLE from a node that does not write it: send the command there.
inline constexpr char kWriterMetadata[] = "ledger-writer";

// Same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// ToGrpcStatus, and for DATA_LOSS with a position (errors.h) also sets the
// kBrokenPositionMetadata trailer on `context`; for UNAVAILABLE naming the
// writer, kWriterMetadata.
grpc::Status ToGrpcStatus(const absl::Status& status,
                          grpc::ServerContextBase* context);

// The reverse, for clients.
absl::Status FromGrpcStatus(const grpc::Status& status);
// The same with the message prefixed by what the client was `doing`
// ("reading 127.0.0.1:50051: ..."); OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view doing);

// For clients: the writer a refused call was sent to (UNAVAILABLE with the
// kWriterMetadata trailer, from a node of a replicated log that does not
// write it), or nothing.
std::optional<std::string> NamedWriter(const grpc::Status& status,
                                       const grpc::ClientContext& context);

}  // namespace ledger

#endif  // LEDGER_RPC_STATUS_H_
