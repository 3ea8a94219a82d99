// Bearer tokens: every way a token can be wrong is UNAUTHENTICATED with the
// reason, and good ES256 and RS256 tokens name their subject. Keys are
// made fresh by OpenSSL, tokens signed by libjwt (auth/token_issuer.h).
#include "auth/token_verifier.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/jwks.h"
#include "auth/token_issuer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://id.example.com";
constexpr char kAudience[] = "complaint-ledger";

std::string Must(absl::StatusOr<std::string> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ec_key_ = Must(GeneratePrivateKey("EC"));
    rsa_key_ = Must(GeneratePrivateKey("RSA"));
    ec_public_ = Must(PublicKeyOf(ec_key_));
    const std::string set = absl::StrCat(
        "{\"keys\":[", Must(PublicKeyToJwk(ec_public_, "ec-1", "ES256")), ",",
        Must(PublicKeyToJwk(Must(PublicKeyOf(rsa_key_)), "rsa-1", "RS256")),
        "]}");
    absl::StatusOr<Jwks> jwks = ParseJwks(set);
    ASSERT_TRUE(jwks.ok()) << jwks.status();
    verifier_ = std::make_unique<TokenVerifier>(
        *jwks, TokenVerifierOptions{kIssuer, kAudience, absl::Seconds(60),
                                    [this] { return now_; }});
  }

  TokenClaims Good() const {
    TokenClaims claims;
    claims.issuer = kIssuer;
    claims.audience = {kAudience};
    claims.subject = "a1";
    claims.issued_at = now_;
    claims.expires = now_ + absl::Hours(1);
    return claims;
  }

  // UNAUTHENTICATED with `reason` in the message.
  void ExpectRefused(const std::string& token, const std::string& reason) {
    absl::StatusOr<VerifiedToken> v = verifier_->Verify(token);
    ASSERT_FALSE(v.ok()) << "accepted: " << token;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(v.status().message(), HasSubstr(reason));
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::string ec_key_, rsa_key_, ec_public_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, GoodEs256AndRs256TokensNameTheirSubject) {
  absl::StatusOr<VerifiedToken> es =
      verifier_->Verify(Must(SignToken(Good(), "ES256", ec_key_, "ec-1")));
  ASSERT_TRUE(es.ok()) << es.status();
  EXPECT_EQ(es->subject, "a1");
  EXPECT_EQ(es->expires, now_ + absl::Hours(1));
  TokenClaims h1 = Good();
  h1.subject = "h1";
  h1.audience = {"other", kAudience};
  absl::StatusOr<VerifiedToken> rs =
      verifier_->Verify(Must(SignToken(h1, "RS256", rsa_key_, "rsa-1")));
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_EQ(rs->subject, "h1");
  absl::StatusOr<VerifiedToken> header = verifier_->VerifyHeader(absl::StrCat(
      "Bearer ", Must(SignToken(Good(), "ES256", ec_key_, "ec-1"))));
  EXPECT_TRUE(header.ok()) << header.status();
}

TEST_F(TokenVerifierTest, MissingOrMalformedTokensAreRefused) {
  for (const char* header : {"", "Basic YTE6cHc=", "Bearer", "Bearer "}) {
    absl::StatusOr<VerifiedToken> v = verifier_->VerifyHeader(header);
    ASSERT_FALSE(v.ok()) << header;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
  }
  ExpectRefused("not-a-token", "three base64url parts");
  ExpectRefused("a.b.c.d", "three base64url parts");
  ExpectRefused("!!!.e30.sig", "header is not base64url");
  ExpectRefused(absl::StrCat(absl::WebSafeBase64Escape("[1]"), ".e30.x"),
                "header is not a JSON object");
  ExpectRefused(std::string(TokenVerifier::kMaxTokenBytes + 1, 'a'),
                "longer than");
}

TEST_F(TokenVerifierTest, BadSignaturesAreRefused) {
  const std::string token = Must(SignToken(Good(), "ES256", ec_key_, "ec-1"));
  // The payload changed after signing: another subject.
  TokenClaims other = Good();
  other.subject = "h1";
  const std::string forged_payload =
      Must(SignToken(other, "ES256", ec_key_, "ec-1"));
  const std::string spliced =
      absl::StrCat(token.substr(0, token.find('.')),
                   forged_payload.substr(
                       forged_payload.find('.'),
                       forged_payload.rfind('.') - forged_payload.find('.')),
                   token.substr(token.rfind('.')));
  ExpectRefused(spliced, "signature does not verify");
  // Signed by a key not in the set, under a kid that is.
  const std::string stranger = Must(GeneratePrivateKey("EC"));
  ExpectRefused(Must(SignToken(Good(), "ES256", stranger, "ec-1")),
                "signature does not verify");
  // The EC key's kid claimed for an RSA signature.
  ExpectRefused(Must(SignToken(Good(), "RS256", rsa_key_, "ec-1")),
                "does not sign RS256");
}

TEST_F(TokenVerifierTest, AlgNoneAndHmacWithThePublicKeyAreRefused) {
  ExpectRefused(Must(SignToken(Good(), "none", "", "ec-1")),
                "algorithm \"none\" is not accepted");
  // The classic confusion: HS256 "signed" with the public key as the secret,
  // which a verifier trusting the header would check with that same key.
  ExpectRefused(Must(SignToken(Good(), "HS256", ec_public_, "ec-1")),
                "algorithm \"HS256\" is not accepted");
}

TEST_F(TokenVerifierTest, UnknownKidIsRefused) {
  ExpectRefused(Must(SignToken(Good(), "ES256", ec_key_, "ec-2")),
                "unknown key id \"ec-2\"");
  ExpectRefused(Must(SignToken(Good(), "ES256", ec_key_, "")),
                "names no key id");
}

TEST_F(TokenVerifierTest, ClaimsAreChecked) {
  TokenClaims c = Good();
  c.issuer = "https://evil.example.com";
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "issuer (iss)");
  c = Good();
  c.audience = {"another-service"};
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "audience (aud)");
  c = Good();
  c.audience = {};
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "audience (aud)");
  c = Good();
  c.expires = now_ - absl::Seconds(61);
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "expired");
  c = Good();
  c.expires.reset();
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "no expiry");
  c = Good();
  c.not_before = now_ + absl::Seconds(61);
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "not valid yet");
  c = Good();
  c.subject = "";
  ExpectRefused(Must(SignToken(c, "ES256", ec_key_, "ec-1")), "no subject");
  // Within the skew both ways: accepted.
  c = Good();
  c.expires = now_ - absl::Seconds(30);
  c.not_before = now_ + absl::Seconds(30);
  EXPECT_TRUE(
      verifier_->Verify(Must(SignToken(c, "ES256", ec_key_, "ec-1"))).ok());
}

TEST_F(TokenVerifierTest, ACachedTokenStillExpires) {
  TokenClaims c = Good();
  c.expires = now_ + absl::Minutes(5);
  const std::string token = Must(SignToken(c, "ES256", ec_key_, "ec-1"));
  ASSERT_TRUE(verifier_->Verify(token).ok());
  ASSERT_TRUE(verifier_->Verify(token).ok());
  now_ += absl::Minutes(7);
  ExpectRefused(token, "expired");
}

TEST(JwksTest, MalformedSetsAreRefusedWithTheReason) {
  EXPECT_THAT(ParseJwks("[]").status().message(),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseJwks("{}").status().message(), HasSubstr("no \"keys\""));
  EXPECT_THAT(ParseJwks("{\"keys\":[]}").status().message(),
              HasSubstr("no RSA or EC signing key"));
  // A shared secret is never a verification key.
  EXPECT_THAT(ParseJwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})")
                  .status()
                  .message(),
              HasSubstr("no RSA or EC signing key"));
  // A point that is not on P-256.
  const std::string x(32, '\x01');
  const std::string off_curve =
      absl::StrCat(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":")",
                   absl::WebSafeBase64Escape(x), R"(","y":")",
                   absl::WebSafeBase64Escape(x), R"("}]})");
  absl::StatusOr<Jwks> bad = ParseJwks(off_curve);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("key 0"));
  EXPECT_THAT(ParseJwks(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA"}]})")
                  .status()
                  .message(),
              HasSubstr("\"y\" is missing"));
}

}  // namespace
}  // namespace ledger
