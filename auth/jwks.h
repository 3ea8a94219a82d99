// A JSON Web Key Set (RFC 7517): the public keys an identity provider signs
// its tokens with. ledgerd reads the site's set from --jwks and verifies
// bearer tokens against it (auth/token_verifier.h).
//
// Only signing keys of the algorithms a token may use are kept: RSA keys
// (RS256, RS384, RS512) and EC keys on P-256 (ES256), P-384 (ES384) and
// P-521 (ES512). A key is converted to PEM with OpenSSL once, here, for
// libjwt; nothing in this file computes or checks a signature.
#ifndef LEDGER_AUTH_JWKS_H_
#define LEDGER_AUTH_JWKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger {

struct VerificationKey {
  // The key's "kid"; empty when the set gave none.
  std::string kid;
  // "RSA" or "EC".
  std::string kty;
  // The algorithms a token signed with this key may name: the key's own
  // "alg" when it has one, else every algorithm of its type (for EC, the
  // one of its curve).
  std::vector<std::string> algorithms;
  // SubjectPublicKeyInfo, PEM.
  std::string pem;
  // The length of a signature by this key: an RSA modulus's bytes, or for
  // EC twice a coordinate's (JWS's r || s).
  size_t signature_bytes = 0;
};

struct Jwks {
  std::vector<VerificationKey> keys;
};

// Parses a JWK Set. Keys that are not for signatures ("use" other than
// "sig") or of another type (oct, OKP) are skipped; a set with no usable
// key, or a malformed usable key, is INVALID_ARGUMENT naming it.
absl::StatusOr<Jwks> ParseJwks(absl::string_view json);

// Reads and parses the file at `path`.
absl::StatusOr<Jwks> LoadJwks(const std::string& path);

// The public half of `pem_public_key` (an RSA or EC SubjectPublicKeyInfo in
// PEM) as one JWK object (a JSON string) with the given kid and alg: what
// a development issuer publishes (tools/ledger_dev_identity).
absl::StatusOr<std::string> PublicKeyToJwk(absl::string_view pem_public_key,
                                           absl::string_view kid,
                                           absl::string_view alg);

}  // namespace ledger

#endif  // LEDGER_AUTH_JWKS_H_
