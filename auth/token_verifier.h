// TokenVerifier: checks a bearer token (a JWS-signed JWT, RFC 7519) from
// the site's identity provider and says whose it is.
//
// Checked, in this order, each failure UNAUTHENTICATED naming it: three
// base64url parts; a header naming an algorithm this ledger verifies
// (RS256/384/512, ES256/384/512 - never "none" or an HMAC, whose "secret"
// an attacker would take from the public key set); a key of the set by
// "kid" (or the set's only key when the token names none) that signs with
// that algorithm; the signature (libjwt with OpenSSL); "iss" equal to the
// configured issuer; "aud" holding the configured audience; "exp" present
// and not passed; "nbf", when present, reached; "sub" present. `skew`
// forgives clocks that disagree by a little.
//
// A token that passed is remembered until it expires (at most
// kMaxCachedTokens of them): a client sends the same token with every
// call, and a signature check costs ~50-100 us.
#ifndef LEDGER_AUTH_TOKEN_VERIFIER_H_
#define LEDGER_AUTH_TOKEN_VERIFIER_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/jwks.h"

namespace ledger {

struct TokenVerifierOptions {
  // The identity provider's "iss"; required.
  std::string issuer;
  // This ledger's name in tokens' "aud"; required.
  std::string audience;
  absl::Duration skew = absl::Seconds(60);
  // Tests move time; nullptr: absl::Now.
  std::function<absl::Time()> now;
};

struct VerifiedToken {
  // The token's "sub": an agent id of the ledger's registry.
  std::string subject;
  absl::Time expires;
};

class TokenVerifier {
 public:
  static constexpr size_t kMaxCachedTokens = 10000;
  // Longer tokens are refused unread.
  static constexpr size_t kMaxTokenBytes = 8192;

  TokenVerifier(Jwks keys, TokenVerifierOptions options);

  absl::StatusOr<VerifiedToken> Verify(absl::string_view token);

  // The value of an "authorization" header: "Bearer <token>" (the scheme
  // in any case, RFC 7235).
  absl::StatusOr<VerifiedToken> VerifyHeader(absl::string_view header);

 private:
  absl::StatusOr<VerifiedToken> VerifyUncached(absl::string_view token,
                                               absl::Time now) const;
  absl::Time Now() const;

  const Jwks keys_;
  const TokenVerifierOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, VerifiedToken> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_AUTH_TOKEN_VERIFIER_H_
