// ledger_token: a development identity provider, for demos and tests on one
// machine. A site's real identity provider (Keycloak, Azure AD, an SSO
// gateway) issues the tokens of production; ledgerd refuses this one's
// issuer on any listener but loopback.
//
//   ledger_token init DIR        a signing key (DIR/issuer-key.pem, 0600)
//                                and its public JWK Set (DIR/jwks.json)
//   ledger_token mint DIR AGENT  a token for AGENT, on standard output
//                                [--ttl 12h] [--audience complaint-ledger]
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "auth/jwks.h"
#include "auth/token_issuer.h"

ABSL_FLAG(absl::Duration, ttl, absl::Hours(12), "mint: how long it is valid");
ABSL_FLAG(std::string, audience, "complaint-ledger",
          "mint: the ledger's name (ledgerd --jwt_audience)");

namespace {

constexpr char kKeyFile[] = "issuer-key.pem";
constexpr char kJwksFile[] = "jwks.json";
constexpr char kKid[] = "development";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ledger_token: %s\n", message.c_str());
  return 1;
}

bool Write(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out || !(out << text)) return false;
  }
  return chmod(tmp.c_str(), mode) == 0 &&
         std::rename(tmp.c_str(), path.c_str()) == 0;
}

int Init(const std::string& dir) {
  absl::StatusOr<std::string> key = ledger::GeneratePrivateKey("EC");
  if (!key.ok()) return Fail(key.status().ToString());
  absl::StatusOr<std::string> pub = ledger::PublicKeyOf(*key);
  if (!pub.ok()) return Fail(pub.status().ToString());
  absl::StatusOr<std::string> jwk = ledger::PublicKeyToJwk(*pub, kKid, "ES256");
  if (!jwk.ok()) return Fail(jwk.status().ToString());
  mkdir(dir.c_str(), 0700);
  if (!Write(absl::StrCat(dir, "/", kKeyFile), *key, 0600) ||
      !Write(absl::StrCat(dir, "/", kJwksFile),
             absl::StrCat("{\"keys\":[", *jwk, "]}\n"), 0644)) {
    return Fail(absl::StrCat("cannot write into ", dir));
  }
  std::printf("ledger_token: development issuer in %s (iss %s)\n", dir.c_str(),
              ledger::kDevelopmentIssuer);
  return 0;
}

int Mint(const std::string& dir, const std::string& agent) {
  std::ifstream in(absl::StrCat(dir, "/", kKeyFile));
  if (!in) {
    return Fail(absl::StrCat("no ", kKeyFile, " in ", dir,
                             " (ledger_token init ", dir, ")"));
  }
  std::stringstream key;
  key << in.rdbuf();
  ledger::TokenClaims claims;
  claims.issuer = ledger::kDevelopmentIssuer;
  claims.audience = {absl::GetFlag(FLAGS_audience)};
  claims.subject = agent;
  claims.issued_at = absl::Now();
  claims.expires = claims.issued_at + absl::GetFlag(FLAGS_ttl);
  absl::StatusOr<std::string> token =
      ledger::SignToken(claims, "ES256", key.str(), kKid);
  if (!token.ok()) return Fail(token.status().ToString());
  std::printf("%s\n", token->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledger_token init DIR | ledger_token mint DIR AGENT [--ttl 12h]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() == 3 && std::string(args[1]) == "init") return Init(args[2]);
  if (args.size() == 4 && std::string(args[1]) == "mint") {
    return Mint(args[2], args[3]);
  }
  return Fail("usage: ledger_token init DIR | ledger_token mint DIR AGENT");
}
