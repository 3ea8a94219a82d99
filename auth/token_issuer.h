// Signing tokens: what a development identity provider does
// (tools/ledger_dev_identity) and what tests do to make good and bad
// tokens. libjwt signs, OpenSSL makes the keys. ledgerd never signs.
#ifndef LEDGER_AUTH_TOKEN_ISSUER_H_
#define LEDGER_AUTH_TOKEN_ISSUER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ledger {

// The issuer (iss) of tools/ledger_token's development tokens. ledgerd
// refuses to trust it on any listener but loopback: a development key never
// signs for a ledger others can reach.
inline constexpr char kDevelopmentIssuer[] =
    "urn:complaint-ledger:development-issuer";

// A new private key, PEM (PKCS #8): "EC" makes a P-256 key (ES256), "RSA" a
// 2048-bit one (RS256).
absl::StatusOr<std::string> GeneratePrivateKey(absl::string_view type);

// The SubjectPublicKeyInfo, PEM, of a PEM private key.
absl::StatusOr<std::string> PublicKeyOf(absl::string_view private_pem);

struct TokenClaims {
  std::string issuer;
  std::vector<std::string> audience;
  std::string subject;
  absl::Time issued_at = absl::Now();
  std::optional<absl::Time> expires;
  std::optional<absl::Time> not_before;
};

// A JWT signed with `key` (a PEM private key, or for HS256 the secret's
// bytes) under `alg` ("ES256", "RS256", "HS256", ...; "none" signs
// nothing), naming `kid` unless it is empty.
absl::StatusOr<std::string> SignToken(const TokenClaims& claims,
                                      absl::string_view alg,
                                      absl::string_view key,
                                      absl::string_view kid);

}  // namespace ledger

#endif  // LEDGER_AUTH_TOKEN_ISSUER_H_
