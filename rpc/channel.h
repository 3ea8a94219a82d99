// Channels to ledgerd as a client of it: TLS when the server has it, the
// caller's bearer token on every call, a client certificate for a service.
// ledgerctl, the tools and projection processes all make theirs here.
#ifndef LEDGER_RPC_CHANNEL_H_
#define LEDGER_RPC_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace ledger {

struct ClientSecurity {
  // PEM of the CA that signed ledgerd's certificate; set: TLS.
  std::string tls_ca;
  // A service's client certificate and key (PEM), with TLS.
  std::string tls_cert;
  std::string tls_key;
  // Sent as "authorization: Bearer <token>" with every call; empty: none.
  std::string token;
};

// Where a client finds its security, each optional: the files named, and
// the token in $LEDGER_TOKEN when `token_file` is empty. Errors name the
// file.
absl::StatusOr<ClientSecurity> LoadClientSecurity(
    const std::string& tls_ca_file, const std::string& token_file,
    const std::string& tls_cert_file = "",
    const std::string& tls_key_file = "");

// Whether an address names this machine only: host:port as ledgerd's
// --listen takes it, or a gRPC target ("dns:///host:port", "ipv4:...");
// the host 127.x.y.z, localhost or [::1].
bool IsLoopback(absl::string_view address);

// An identity directory, laid out as tools/dev_identity.sh makes one:
// DIR/ca.pem, the CA of ledgerd's certificate ("" when there is none: no
// TLS), and DIR/tokens/AGENT.token.
std::string IdentityCaFile(const std::string& dir);
std::string IdentityTokenFile(const std::string& dir, const std::string& agent);
// `agent`'s security from an identity directory. NOT_FOUND names the
// missing token.
absl::StatusOr<ClientSecurity> LoadIdentity(const std::string& dir,
                                            const std::string& agent);

// A token goes over TLS, or in clear to a loopback target only (a
// ledgerd on this machine without TLS); to any other without TLS it is not
// sent (a warning on stderr), and the server answers UNAUTHENTICATED.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, const ClientSecurity& security,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace ledger

#endif  // LEDGER_RPC_CHANNEL_H_
