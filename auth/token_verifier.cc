#include "auth/token_verifier.h"

#include <jwt.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace ledger {
namespace {

using Json = nlohmann::json;

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", why));
}

absl::StatusOr<Json> JsonPart(absl::string_view part, const char* name) {
  std::string bytes;
  if (part.empty() || !absl::WebSafeBase64Unescape(part, &bytes)) {
    return Refused(absl::StrCat("the ", name, " is not base64url"));
  }
  Json doc = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Refused(absl::StrCat("the ", name, " is not a JSON object"));
  }
  return doc;
}

// A NumericDate claim (RFC 7519 §2), in seconds; absent: nullopt.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Json& claims,
                                                    const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<absl::Time>();
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return Refused(absl::StrCat("\"", name, "\" is not a number"));
  }
  // Saturating: a date past the year 292 billion is the infinite future.
  return std::optional<absl::Time>(absl::UnixEpoch() +
                                   absl::Seconds(it->get<double>()));
}

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

}  // namespace

TokenVerifier::TokenVerifier(Jwks keys, TokenVerifierOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {}

absl::Time TokenVerifier::Now() const {
  return options_.now ? options_.now() : absl::Now();
}

absl::StatusOr<VerifiedToken> TokenVerifier::VerifyHeader(
    absl::string_view header) {
  if (header.empty()) {
    return Refused("none was sent (\"authorization: Bearer <token>\")");
  }
  constexpr absl::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
    return Refused("the authorization header is not \"Bearer <token>\"");
  }
  return Verify(absl::StripAsciiWhitespace(header.substr(kScheme.size())));
}

absl::StatusOr<VerifiedToken> TokenVerifier::Verify(absl::string_view token) {
  const absl::Time now = Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (now <= it->second.expires + options_.skew) return it->second;
      cache_.erase(it);
      return Refused("it has expired");
    }
  }
  absl::StatusOr<VerifiedToken> verified = VerifyUncached(token, now);
  if (!verified.ok()) return verified;
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCachedTokens) {
    absl::erase_if(cache_, [&](const auto& entry) {
      return now > entry.second.expires + options_.skew;
    });
    // Still full of live tokens: start again rather than grow.
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
  }
  cache_.emplace(std::string(token), *verified);
  return verified;
}

absl::StatusOr<VerifiedToken> TokenVerifier::VerifyUncached(
    absl::string_view token, absl::Time now) const {
  if (token.size() > kMaxTokenBytes) {
    return Refused(absl::StrCat("longer than ", kMaxTokenBytes, " bytes"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Refused("not a signed JWT (three base64url parts joined by '.')");
  }
  absl::StatusOr<Json> header = JsonPart(parts[0], "header");
  if (!header.ok()) return header.status();
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) {
    return Refused("the header names no algorithm");
  }
  const std::string alg = alg_it->get<std::string>();
  if (alg != "RS256" && alg != "RS384" && alg != "RS512" && alg != "ES256" &&
      alg != "ES384" && alg != "ES512") {
    return Refused(absl::StrCat("algorithm \"", alg,
                                "\" is not accepted (RS256, RS384, RS512, "
                                "ES256, ES384, ES512)"));
  }
  const VerificationKey* key = nullptr;
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string()) return Refused("the header's kid is not a string");
    for (const VerificationKey& k : keys_.keys) {
      if (k.kid == kid->get<std::string>()) key = &k;
    }
    if (key == nullptr) {
      return Refused(absl::StrCat("unknown key id \"", kid->get<std::string>(),
                                  "\" (not in the JWK Set)"));
    }
  } else if (keys_.keys.size() == 1) {
    key = &keys_.keys.front();
  } else {
    return Refused(
        "the header names no key id (kid) and the JWK Set has "
        "several keys");
  }
  if (std::find(key->algorithms.begin(), key->algorithms.end(), alg) ==
      key->algorithms.end()) {
    return Refused(absl::StrCat("key \"", key->kid, "\" does not sign ", alg));
  }
  // One spelling of one signature: strict base64url of exactly the key's
  // signature length (libjwt's own decoder stops at the first stray byte).
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature) ||
      signature.size() != key->signature_bytes ||
      absl::WebSafeBase64Escape(signature) != parts[2]) {
    return Refused(
        "the signature is not one of the key's length, in base64url");
  }
  // libjwt checks the signature with the key, for the algorithm the header
  // names, which is one the key signs (checked above).
  const std::string text(token);
  jwt_t* raw = nullptr;
  const int error =
      jwt_decode(&raw, text.c_str(),
                 reinterpret_cast<const unsigned char*>(key->pem.data()),
                 static_cast<int>(key->pem.size()));
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (error != 0 || jwt == nullptr) {
    return Refused("the signature does not verify");
  }
  if (absl::string_view(jwt_alg_str(jwt_get_alg(jwt.get()))) != alg) {
    return Refused("the signature does not verify");
  }
  absl::StatusOr<Json> claims = JsonPart(parts[1], "payload");
  if (!claims.ok()) return claims.status();
  auto iss = claims->find("iss");
  if (iss == claims->end() || !iss->is_string() ||
      iss->get<std::string>() != options_.issuer) {
    return Refused(
        absl::StrCat("the issuer (iss) is not \"", options_.issuer, "\""));
  }
  bool audience = false;
  if (auto aud = claims->find("aud"); aud != claims->end()) {
    if (aud->is_string()) {
      audience = aud->get<std::string>() == options_.audience;
    } else if (aud->is_array()) {
      for (const Json& a : *aud) {
        audience |= a.is_string() && a.get<std::string>() == options_.audience;
      }
    }
  }
  if (!audience) {
    return Refused(absl::StrCat("the audience (aud) does not include \"",
                                options_.audience, "\""));
  }
  absl::StatusOr<std::optional<absl::Time>> exp = TimeClaim(*claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Refused("it has no expiry (exp)");
  if (now > **exp + options_.skew) return Refused("it has expired");
  absl::StatusOr<std::optional<absl::Time>> nbf = TimeClaim(*claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (nbf->has_value() && now + options_.skew < **nbf) {
    return Refused("it is not valid yet (nbf)");
  }
  auto sub = claims->find("sub");
  if (sub == claims->end() || !sub->is_string() ||
      sub->get<std::string>().empty()) {
    return Refused("it names no subject (sub)");
  }
  return VerifiedToken{sub->get<std::string>(), **exp};
}

}  // namespace ledger
