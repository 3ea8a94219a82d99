#include "rpc/channel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"

namespace ledger {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Adds the bearer token to every call's initial metadata, where gRPC's call
// credentials cannot: they go over TLS only, and a loopback ledgerd without
// TLS may still check tokens.
class BearerToken final : public grpc::experimental::Interceptor {
 public:
  explicit BearerToken(const std::string* header) : header_(*header) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    methods->Proceed();
  }

 private:
  const std::string& header_;
};

class BearerTokenFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenFactory(const std::string& token)
      : header_(absl::StrCat("Bearer ", absl::StripAsciiWhitespace(token))) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerToken(&header_);
  }

 private:
  // Lives as long as the channel, which owns this factory.
  const std::string header_;
};

}  // namespace

bool IsLoopback(absl::string_view target) {
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::ConsumePrefix(&target, scheme)) break;
  }
  const size_t colon = target.rfind(':');
  const absl::string_view host =
      colon == absl::string_view::npos || absl::EndsWith(target, "]")
          ? target
          : target.substr(0, colon);
  return host == "localhost" || host == "[::1]" ||
         (absl::StartsWith(host, "127.") &&
          std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.';
          }));
}

absl::StatusOr<ClientSecurity> LoadClientSecurity(
    const std::string& tls_ca_file, const std::string& token_file,
    const std::string& tls_cert_file, const std::string& tls_key_file) {
  ClientSecurity security;
  for (auto [path, out] : {std::pair{&tls_ca_file, &security.tls_ca},
                           std::pair{&tls_cert_file, &security.tls_cert},
                           std::pair{&tls_key_file, &security.tls_key},
                           std::pair{&token_file, &security.token}}) {
    absl::StatusOr<std::string> text = ReadFile(*path);
    if (!text.ok()) return text.status();
    *out = *std::move(text);
  }
  if (token_file.empty()) {
    if (const char* env = std::getenv("LEDGER_TOKEN"); env != nullptr) {
      security.token = env;
    }
  }
  security.token = std::string(absl::StripAsciiWhitespace(security.token));
  if (security.tls_cert.empty() != security.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key, and a key its certificate");
  }
  if (!security.tls_cert.empty() && security.tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate goes with TLS: name the server's CA too");
  }
  return security;
}

std::string IdentityCaFile(const std::string& dir) {
  const std::string ca = dir + "/ca.pem";
  return std::ifstream(ca).good() ? ca : "";
}

std::string IdentityTokenFile(const std::string& dir,
                              const std::string& agent) {
  return absl::StrCat(dir, "/tokens/", agent, ".token");
}

absl::StatusOr<ClientSecurity> LoadIdentity(const std::string& dir,
                                            const std::string& agent) {
  return LoadClientSecurity(IdentityCaFile(dir), IdentityTokenFile(dir, agent));
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ClientSecurity& security,
                                           const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (security.tls_ca.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = security.tls_ca;
    tls.pem_private_key = security.tls_key;
    tls.pem_cert_chain = security.tls_cert;
    credentials = grpc::SslCredentials(tls);
  }
  if (security.token.empty()) {
    return grpc::CreateCustomChannel(target, credentials, args);
  }
  if (!security.tls_ca.empty()) {
    // gRPC's own call credentials: cheaper per call than an interceptor
    // (tools/auth_cost.sh).
    return grpc::CreateCustomChannel(
        target,
        grpc::CompositeChannelCredentials(
            credentials, grpc::AccessTokenCredentials(std::string(
                             absl::StripAsciiWhitespace(security.token)))),
        args);
  }
  if (!IsLoopback(target)) {
    // A token is as good as a password: never in clear across a network.
    std::fprintf(stderr,
                 "not sending the token to %s over plain TCP: name the "
                 "server's CA (TLS)\n",
                 target.c_str());
    return grpc::CreateCustomChannel(target, credentials, args);
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<BearerTokenFactory>(security.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, std::move(interceptors));
}

}  // namespace ledger
