// SHA-256 through OpenSSL's low-level API. OpenSSL 3 deprecates it in favour
// of EVP, but EVP's one-shot calls look the algorithm up under a lock on
// every call, which cost a third of replay time; the low-level calls go
// straight to the SHA-NI code. The deprecation warning is silenced here
// only.
#ifndef LEDGER_BASE_SHA256_H_
#define LEDGER_BASE_SHA256_H_

#include <openssl/sha.h>

#include <string>

#include "absl/strings/string_view.h"

namespace ledger {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

class Sha256 {
 public:
  Sha256() { SHA256_Init(&ctx_); }
  void Update(absl::string_view bytes) {
    SHA256_Update(&ctx_, bytes.data(), bytes.size());
  }
  // Writes the 32-byte digest to `out`. The object must not be used
  // afterwards.
  void Finish(unsigned char* out) { SHA256_Final(out, &ctx_); }
  // The digest as a 32-byte string. The object must not be used afterwards.
  std::string Finish() {
    std::string digest(SHA256_DIGEST_LENGTH, '\0');
    Finish(reinterpret_cast<unsigned char*>(digest.data()));
    return digest;
  }

 private:
  SHA256_CTX ctx_;
};

#pragma GCC diagnostic pop

}  // namespace ledger

#endif  // LEDGER_BASE_SHA256_H_
