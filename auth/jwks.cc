#include "auth/jwks.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ledger {
namespace {

using Json = nlohmann::json;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

struct Curve {
  const char* crv;
  const char* openssl_group;
  const char* alg;
  size_t coordinate_bytes;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", "ES256", 32},
    {"P-384", "secp384r1", "ES384", 48},
    {"P-521", "secp521r1", "ES512", 66},
};
constexpr const char* kRsaAlgorithms[] = {"RS256", "RS384", "RS512"};

absl::StatusOr<std::string> Member(const Json& key, const char* name,
                                   const std::string& which) {
  auto it = key.find(name);
  if (it == key.end() || !it->is_string() || it->get<std::string>().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": \"", name, "\" is missing or not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> Base64UrlMember(const Json& key, const char* name,
                                            const std::string& which) {
  absl::StatusOr<std::string> text = Member(key, name, which);
  if (!text.ok()) return text.status();
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(*text, &bytes) || bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": \"", name, "\" is not base64url"));
  }
  return bytes;
}

absl::StatusOr<std::string> ToPem(EVP_PKEY* key, const std::string& which) {
  // A point off the curve, an even RSA modulus: refused here, not at the
  // first token.
  Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": not a valid public key"));
  }
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError(absl::StrCat(which, ": cannot write as PEM"));
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<EVP_PKEY*> FromData(const char* type, OSSL_PARAM_BLD* bld,
                                   const std::string& which) {
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || ctx == nullptr ||
      EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) !=
          1) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": not a valid ", type, " public key"));
  }
  return key;
}

absl::StatusOr<std::string> RsaPem(const Json& key, const std::string& which) {
  absl::StatusOr<std::string> n = Base64UrlMember(key, "n", which);
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = Base64UrlMember(key, "e", which);
  if (!e.ok()) return e.status();
  auto bn = [](const std::string& bytes) {
    return Owned<BIGNUM>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  };
  Owned<BIGNUM> bn_n = bn(*n), bn_e = bn(*e);
  if (bn_n == nullptr || BN_num_bits(bn_n.get()) < 2048) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": an RSA key needs at least 2048 bits"));
  }
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) !=
          1) {
    return absl::InternalError(absl::StrCat(which, ": out of memory"));
  }
  absl::StatusOr<EVP_PKEY*> pkey = FromData("RSA", bld.get(), which);
  if (!pkey.ok()) return pkey.status();
  Owned<EVP_PKEY> owned(*pkey);
  return ToPem(owned.get(), which);
}

absl::StatusOr<std::string> EcPem(const Json& key, const Curve& curve,
                                  const std::string& which) {
  absl::StatusOr<std::string> x = Base64UrlMember(key, "x", which);
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = Base64UrlMember(key, "y", which);
  if (!y.ok()) return y.status();
  if (x->size() != curve.coordinate_bytes ||
      y->size() != curve.coordinate_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": x and y of a ", curve.crv, " key are ",
                     curve.coordinate_bytes, " bytes each"));
  }
  const std::string point = absl::StrCat("\x04", *x, *y);
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve.openssl_group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return absl::InternalError(absl::StrCat(which, ": out of memory"));
  }
  absl::StatusOr<EVP_PKEY*> pkey = FromData("EC", bld.get(), which);
  if (!pkey.ok()) return pkey.status();
  Owned<EVP_PKEY> owned(*pkey);
  return ToPem(owned.get(), which);
}

// One key of the set; nullopt-like empty kty when skipped.
absl::StatusOr<VerificationKey> ParseKey(const Json& key,
                                         const std::string& which) {
  VerificationKey out;
  if (!key.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(which, ": not an object"));
  }
  if (auto use = key.find("use");
      use != key.end() && (!use->is_string() || *use != "sig")) {
    return out;  // An encryption key: not for tokens.
  }
  absl::StatusOr<std::string> kty = Member(key, "kty", which);
  if (!kty.ok()) return kty.status();
  if (auto kid = key.find("kid"); kid != key.end()) {
    if (!kid->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(which, ": \"kid\" is not a string"));
    }
    out.kid = kid->get<std::string>();
  }
  std::string alg;
  if (auto a = key.find("alg"); a != key.end()) {
    if (!a->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(which, ": \"alg\" is not a string"));
    }
    alg = a->get<std::string>();
  }
  if (*kty == "RSA") {
    if (!alg.empty() && alg != "RS256" && alg != "RS384" && alg != "RS512") {
      return out;  // PS256 and the like: not verified here.
    }
    absl::StatusOr<std::string> pem = RsaPem(key, which);
    if (!pem.ok()) return pem.status();
    out.kty = "RSA";
    out.pem = *std::move(pem);
    std::string n;
    absl::WebSafeBase64Unescape(key["n"].get<std::string>(), &n);
    const size_t leading = n.find_first_not_of('\0');
    out.signature_bytes = leading == std::string::npos ? 0 : n.size() - leading;
    if (alg.empty()) {
      out.algorithms.assign(std::begin(kRsaAlgorithms),
                            std::end(kRsaAlgorithms));
    } else {
      out.algorithms = {alg};
    }
    return out;
  }
  if (*kty == "EC") {
    absl::StatusOr<std::string> crv = Member(key, "crv", which);
    if (!crv.ok()) return crv.status();
    for (const Curve& curve : kCurves) {
      if (*crv != curve.crv) continue;
      if (!alg.empty() && alg != curve.alg) {
        return absl::InvalidArgumentError(absl::StrCat(
            which, ": a ", curve.crv, " key signs ", curve.alg, ", not ", alg));
      }
      absl::StatusOr<std::string> pem = EcPem(key, curve, which);
      if (!pem.ok()) return pem.status();
      out.kty = "EC";
      out.pem = *std::move(pem);
      out.algorithms = {curve.alg};
      out.signature_bytes = 2 * curve.coordinate_bytes;
      return out;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(which, ": curve ", *crv, " is not P-256, P-384 or P-521"));
  }
  return out;  // oct (a shared secret) or OKP: never for tokens here.
}

}  // namespace

absl::StatusOr<Jwks> ParseJwks(absl::string_view json) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("the JWK Set is not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError(
        "the JWK Set has no \"keys\" array (RFC 7517 §5)");
  }
  Jwks out;
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string which = absl::StrCat("key ", i);
    absl::StatusOr<VerificationKey> key = ParseKey((*keys)[i], which);
    if (!key.ok()) return key.status();
    if (key->kty.empty()) continue;
    for (const VerificationKey& other : out.keys) {
      if (other.kid == key->kid) {
        return absl::InvalidArgumentError(
            absl::StrCat(which, ": kid \"", key->kid, "\" appears twice"));
      }
    }
    out.keys.push_back(*std::move(key));
  }
  if (out.keys.empty()) {
    return absl::InvalidArgumentError(
        "the JWK Set has no RSA or EC signing key");
  }
  return out;
}

absl::StatusOr<Jwks> LoadJwks(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Jwks> jwks = ParseJwks(text.str());
  if (!jwks.ok()) {
    return absl::Status(jwks.status().code(),
                        absl::StrCat(path, ": ", jwks.status().message()));
  }
  return jwks;
}

absl::StatusOr<std::string> PublicKeyToJwk(absl::string_view pem_public_key,
                                           absl::string_view kid,
                                           absl::string_view alg) {
  Owned<BIO> bio(BIO_new_mem_buf(pem_public_key.data(),
                                 static_cast<int>(pem_public_key.size())));
  Owned<EVP_PKEY> key(bio == nullptr ? nullptr
                                     : PEM_read_bio_PUBKEY(bio.get(), nullptr,
                                                           nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError("not a PEM public key");
  }
  auto b64 = [](const unsigned char* data, size_t size) {
    return absl::WebSafeBase64Escape(
        absl::string_view(reinterpret_cast<const char*>(data), size));
  };
  Json jwk = {
      {"kid", std::string(kid)}, {"alg", std::string(alg)}, {"use", "sig"}};
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      BN_free(n);
      return absl::InternalError("cannot read the RSA key");
    }
    Owned<BIGNUM> own_n(n), own_e(e);
    std::string nb(static_cast<size_t>(BN_num_bytes(n)), '\0');
    std::string eb(static_cast<size_t>(BN_num_bytes(e)), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
    BN_bn2bin(e, reinterpret_cast<unsigned char*>(eb.data()));
    jwk["kty"] = "RSA";
    jwk["n"] = absl::WebSafeBase64Escape(nb);
    jwk["e"] = absl::WebSafeBase64Escape(eb);
    return jwk.dump();
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    char group[64] = {0};
    unsigned char point[200];
    size_t point_size = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group), nullptr) != 1 ||
        EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                        point, sizeof(point),
                                        &point_size) != 1) {
      return absl::InternalError("cannot read the EC key");
    }
    for (const Curve& curve : kCurves) {
      if (std::string(group) != curve.openssl_group) continue;
      if (point_size != 1 + 2 * curve.coordinate_bytes || point[0] != 0x04) {
        return absl::InternalError("the EC point is not uncompressed");
      }
      jwk["kty"] = "EC";
      jwk["crv"] = curve.crv;
      jwk["x"] = b64(point + 1, curve.coordinate_bytes);
      jwk["y"] =
          b64(point + 1 + curve.coordinate_bytes, curve.coordinate_bytes);
      return jwk.dump();
    }
    return absl::InvalidArgumentError(
        absl::StrCat("curve ", group, " is not P-256, P-384 or P-521"));
  }
  return absl::InvalidArgumentError("not an RSA or EC key");
}

}  // namespace ledger
