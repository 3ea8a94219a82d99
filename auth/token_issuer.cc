#include "auth/token_issuer.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ledger {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(jwt_t* p) const { jwt_free(p); }
  void operator()(char* p) const { std::free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

absl::StatusOr<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0) return absl::InternalError("OpenSSL wrote nothing");
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

absl::StatusOr<std::string> GeneratePrivateKey(absl::string_view type) {
  Owned<EVP_PKEY> key;
  if (type == "EC") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  } else if (type == "RSA") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("key type ", type, " is not EC or RSA"));
  }
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("cannot make a ", type, " key"));
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> PublicKeyOf(absl::string_view private_pem) {
  Owned<BIO> in(BIO_new_mem_buf(private_pem.data(),
                                static_cast<int>(private_pem.size())));
  Owned<EVP_PKEY> key(in == nullptr ? nullptr
                                    : PEM_read_bio_PrivateKey(
                                          in.get(), nullptr, nullptr, nullptr));
  if (key == nullptr)
    return absl::InvalidArgumentError("not a PEM private key");
  Owned<BIO> out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) {
    return absl::InternalError("cannot write the public key");
  }
  return BioText(out.get());
}

absl::StatusOr<std::string> SignToken(const TokenClaims& claims,
                                      absl::string_view alg,
                                      absl::string_view key,
                                      absl::string_view kid) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  Owned<jwt_t> jwt(raw);
  const jwt_alg_t algorithm = jwt_str_alg(std::string(alg).c_str());
  if (algorithm == JWT_ALG_INVAL) {
    return absl::InvalidArgumentError(absl::StrCat("unknown algorithm ", alg));
  }
  nlohmann::json grants = {
      {"iss", claims.issuer},
      {"sub", claims.subject},
      {"iat", absl::ToUnixSeconds(claims.issued_at)},
  };
  if (claims.audience.size() == 1) {
    grants["aud"] = claims.audience.front();
  } else if (!claims.audience.empty()) {
    grants["aud"] = claims.audience;
  }
  if (claims.expires) grants["exp"] = absl::ToUnixSeconds(*claims.expires);
  if (claims.not_before) {
    grants["nbf"] = absl::ToUnixSeconds(*claims.not_before);
  }
  if (jwt_add_grants_json(jwt.get(), grants.dump().c_str()) != 0 ||
      (!kid.empty() &&
       jwt_add_header(jwt.get(), "kid", std::string(kid).c_str()) != 0) ||
      jwt_set_alg(
          jwt.get(), algorithm,
          algorithm == JWT_ALG_NONE
              ? nullptr
              : reinterpret_cast<const unsigned char*>(key.data()),
          algorithm == JWT_ALG_NONE ? 0 : static_cast<int>(key.size())) != 0) {
    return absl::InternalError("libjwt refused the token's fields");
  }
  Owned<char> token(jwt_encode_str(jwt.get()));
  if (token == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("libjwt cannot sign with this key under ", alg));
  }
  return std::string(token.get());
}

}  // namespace ledger
