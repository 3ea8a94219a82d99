#include "ledger/store/signed_note.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ledger/base/sha256.h"

namespace ledger {
namespace {

constexpr uint8_t kEd25519 = 0x01;
// As Go's sumdb/note: a note with more signature lines is refused.
constexpr size_t kMaxSignatures = 100;
constexpr char kPrivatePrefix[] = "PRIVATE+KEY+";
// "— ", an em dash and a space.
constexpr absl::string_view kSignaturePrefix = "\xE2\x80\x94 ";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

// Standard base64 with padding, in its one canonical spelling.
bool StrictBase64(absl::string_view text, std::string* out) {
  return absl::Base64Unescape(text, out) && absl::Base64Escape(*out) == text;
}

// Key names: non-empty, no spaces, no '+' (signed-note).
bool ValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  }
  // Unicode spaces outside ASCII: U+0085, U+00A0, U+1680, U+2000-U+200A,
  // U+2028, U+2029, U+202F, U+205F, U+3000.
  for (absl::string_view space :
       {"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8", "\xE2\x80\xA9",
        "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"}) {
    if (absl::StrContains(name, space)) return false;
  }
  for (size_t i = 0; i + 2 < name.size(); ++i) {
    if (static_cast<unsigned char>(name[i]) == 0xE2 &&
        static_cast<unsigned char>(name[i + 1]) == 0x80 &&
        static_cast<unsigned char>(name[i + 2]) >= 0x80 &&
        static_cast<unsigned char>(name[i + 2]) <= 0x8A) {
      return false;
    }
  }
  return true;
}

uint32_t KeyId(absl::string_view name, const std::array<uint8_t, 32>& pub) {
  Sha256 sha;
  sha.Update(name);
  sha.Update("\n");
  const char type = static_cast<char>(kEd25519);
  sha.Update(absl::string_view(&type, 1));
  sha.Update(
      absl::string_view(reinterpret_cast<const char*>(pub.data()), pub.size()));
  unsigned char digest[32];
  sha.Finish(digest);
  return (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
         (uint32_t{digest[2]} << 8) | uint32_t{digest[3]};
}

absl::StatusOr<std::array<uint8_t, 32>> PublicOf(
    const std::array<uint8_t, 32>& seed) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(),
                                        seed.size()));
  std::array<uint8_t, 32> pub{};
  size_t length = pub.size();
  if (key == nullptr ||
      EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &length) != 1 ||
      length != pub.size()) {
    return absl::InternalError("OpenSSL cannot make an Ed25519 key");
  }
  return pub;
}

// name, hex key id and key material of "<name>+<hex8>+<base64>": split at
// the first two '+' only (the base64 may hold more).
absl::Status SplitKey(absl::string_view text, absl::string_view what,
                      std::string* name, uint32_t* id, std::string* key) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return Invalid(absl::StrCat(what, " is not <name>+<key id>+<key>"));
  }
  if (!ValidName(parts[0])) {
    return Invalid(absl::StrCat(what, ": the name \"", parts[0],
                                "\" is empty or holds a space or '+'"));
  }
  *name = std::string(parts[0]);
  if (parts[1].size() != 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Invalid(
        absl::StrCat(what, ": the key id is not 8 lowercase hex digits"));
  }
  const std::string id_bytes = absl::HexStringToBytes(parts[1]);
  *id = (uint32_t{static_cast<uint8_t>(id_bytes[0])} << 24) |
        (uint32_t{static_cast<uint8_t>(id_bytes[1])} << 16) |
        (uint32_t{static_cast<uint8_t>(id_bytes[2])} << 8) |
        uint32_t{static_cast<uint8_t>(id_bytes[3])};
  if (!StrictBase64(parts[2], key) || key->size() != 33 ||
      static_cast<uint8_t>((*key)[0]) != kEd25519) {
    return Invalid(absl::StrCat(
        what, ": the key is not base64 of 0x01 and 32 bytes (Ed25519)"));
  }
  return absl::OkStatus();
}

std::string KeyText(absl::string_view name, uint32_t id,
                    const std::array<uint8_t, 32>& material) {
  std::string bytes(1, static_cast<char>(kEd25519));
  bytes.append(reinterpret_cast<const char*>(material.data()), material.size());
  return absl::StrFormat("%s+%08x+%s", name, id, absl::Base64Escape(bytes));
}

// Signed notes are UTF-8 without control characters but the newline.
bool NoControlCharacters(absl::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> GenerateNoteKey(
    absl::string_view name) {
  if (!ValidName(name)) {
    return Invalid(absl::StrCat("the key name \"", name,
                                "\" is empty or holds a space or '+'"));
  }
  std::array<uint8_t, 32> seed{};
  // Wiped on every way out (OPENSSL_cleanse is not optimised away).
  struct Wipe {
    std::array<uint8_t, 32>& seed;
    ~Wipe() { OPENSSL_cleanse(seed.data(), seed.size()); }
  } wipe{seed};
  if (RAND_bytes(seed.data(), seed.size()) != 1) {
    return absl::InternalError("OpenSSL has no random bytes");
  }
  absl::StatusOr<std::array<uint8_t, 32>> pub = PublicOf(seed);
  if (!pub.ok()) return pub.status();
  const uint32_t id = KeyId(name, *pub);
  return std::pair<std::string, std::string>{
      absl::StrCat(kPrivatePrefix, KeyText(name, id, seed)),
      KeyText(name, id, *pub)};
}

absl::StatusOr<NoteVerifier> NoteVerifier::Parse(absl::string_view vkey) {
  NoteVerifier v;
  std::string key;
  absl::Status split = SplitKey(absl::StripAsciiWhitespace(vkey),
                                "the verifier key", &v.name_, &v.key_id_, &key);
  if (!split.ok()) return split;
  std::memcpy(v.public_key_.data(), key.data() + 1, v.public_key_.size());
  if (KeyId(v.name_, v.public_key_) != v.key_id_) {
    return Invalid("the verifier key's id does not match its name and key");
  }
  return v;
}

std::string NoteVerifier::Text() const {
  return KeyText(name_, key_id_, public_key_);
}

absl::StatusOr<std::string> NoteVerifier::Open(absl::string_view note) const {
  if (!NoControlCharacters(note)) {
    return Invalid("a signed note holds no control characters but newlines");
  }
  const size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) {
    return Invalid("not a signed note: no blank line before the signatures");
  }
  const absl::string_view text = note.substr(0, split + 1);
  absl::string_view signatures = note.substr(split + 2);
  if (signatures.empty() || signatures.back() != '\n') {
    return Invalid(
        "not a signed note: no signature lines, or no final newline");
  }
  signatures.remove_suffix(1);
  bool ours = false;
  std::vector<absl::string_view> lines = absl::StrSplit(signatures, '\n');
  if (lines.size() > kMaxSignatures) {
    return Invalid(absl::StrCat("a signed note carries at most ",
                                kMaxSignatures, " signatures"));
  }
  for (absl::string_view line : lines) {
    if (!absl::ConsumePrefix(&line, kSignaturePrefix)) {
      return Invalid(absl::StrCat("the signature line \"", line,
                                  "\" does not start with \"— \""));
    }
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    std::string signature;
    if (parts.size() != 2 || !ValidName(parts[0]) ||
        !StrictBase64(parts[1], &signature) || signature.size() < 5) {
      return Invalid(absl::StrCat("the signature line \"", line,
                                  "\" is not <name> <base64 signature>"));
    }
    const uint32_t id = (uint32_t{static_cast<uint8_t>(signature[0])} << 24) |
                        (uint32_t{static_cast<uint8_t>(signature[1])} << 16) |
                        (uint32_t{static_cast<uint8_t>(signature[2])} << 8) |
                        uint32_t{static_cast<uint8_t>(signature[3])};
    if (parts[0] != name_ || id != key_id_) continue;  // Another key's.
    Pkey key(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, public_key_.data(), public_key_.size()));
    MdCtx context(EVP_MD_CTX_new());
    const bool good =
        signature.size() == 4 + 64 && key != nullptr && context != nullptr &&
        EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr,
                             key.get()) == 1 &&
        EVP_DigestVerify(
            context.get(),
            reinterpret_cast<const unsigned char*>(signature.data() + 4), 64,
            reinterpret_cast<const unsigned char*>(text.data()),
            text.size()) == 1;
    if (!good) {
      return absl::FailedPreconditionError(
          absl::StrCat("the signature of key ", Text(), " does not verify"));
    }
    ours = true;
  }
  if (!ours) {
    return absl::FailedPreconditionError(
        absl::StrCat("the note carries no signature of key ", Text()));
  }
  return std::string(text);
}

absl::StatusOr<NoteSigner> NoteSigner::Parse(absl::string_view skey) {
  absl::string_view text = absl::StripAsciiWhitespace(skey);
  if (!absl::ConsumePrefix(&text, kPrivatePrefix)) {
    return Invalid("the signing key does not start with PRIVATE+KEY+");
  }
  NoteSigner s;
  std::string key;
  struct Wipe {
    std::string& key;
    ~Wipe() { OPENSSL_cleanse(key.data(), key.size()); }
  } wipe{key};
  absl::Status split = SplitKey(text, "the signing key", &s.verifier_.name_,
                                &s.verifier_.key_id_, &key);
  if (!split.ok()) return split;
  std::memcpy(s.seed_.data(), key.data() + 1, s.seed_.size());
  absl::StatusOr<std::array<uint8_t, 32>> pub = PublicOf(s.seed_);
  if (!pub.ok()) return pub.status();
  s.verifier_.public_key_ = *pub;
  if (KeyId(s.verifier_.name_, *pub) != s.verifier_.key_id_) {
    return Invalid("the signing key's id does not match its name and key");
  }
  return s;
}

NoteSigner::~NoteSigner() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

absl::StatusOr<std::string> NoteSigner::Sign(absl::string_view text) const {
  if (text.empty() || text.back() != '\n' || !NoControlCharacters(text)) {
    return Invalid(
        "a note's text ends in a newline and holds no control characters");
  }
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(),
                                        seed_.size()));
  MdCtx context(EVP_MD_CTX_new());
  std::string signature(4 + 64, '\0');
  const uint32_t id = verifier_.key_id();
  for (int i = 0; i < 4; ++i) {
    signature[i] = static_cast<char>(id >> (24 - 8 * i));
  }
  size_t length = 64;
  if (key == nullptr || context == nullptr ||
      EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get()) !=
          1 ||
      EVP_DigestSign(
          context.get(), reinterpret_cast<unsigned char*>(signature.data() + 4),
          &length, reinterpret_cast<const unsigned char*>(text.data()),
          text.size()) != 1 ||
      length != 64) {
    return absl::InternalError("OpenSSL could not sign the note");
  }
  return absl::StrCat(text, "\n", kSignaturePrefix, name(), " ",
                      absl::Base64Escape(signature), "\n");
}

std::string CheckpointText(const Checkpoint& checkpoint) {
  return absl::StrCat(checkpoint.origin, "\n", checkpoint.size, "\n",
                      absl::Base64Escape(merkle::Bytes(checkpoint.root)), "\n");
}

absl::StatusOr<Checkpoint> ParseCheckpointText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Invalid("a checkpoint ends in a newline");
  }
  text.remove_suffix(1);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 3) {
    return Invalid("a checkpoint has an origin, a size and a root hash line");
  }
  if (lines.size() > 3) {
    return Invalid("this ledger's checkpoints carry no extension lines");
  }
  Checkpoint c;
  if (lines[0].empty()) return Invalid("the checkpoint's origin is empty");
  c.origin = std::string(lines[0]);
  const absl::string_view size = lines[1];
  const bool digits =
      !size.empty() && size.size() <= 20 &&
      std::all_of(size.begin(), size.end(),
                  [](char ch) { return ch >= '0' && ch <= '9'; }) &&
      (size == "0" || size[0] != '0');
  if (!digits || !absl::SimpleAtoi(size, &c.size)) {
    return Invalid(absl::StrCat("the checkpoint's size \"", size,
                                "\" is not a number of leaves"));
  }
  std::string root;
  if (!StrictBase64(lines[2], &root) || root.size() != 32) {
    return Invalid(absl::StrCat("the checkpoint's root \"", lines[2],
                                "\" is not base64 of 32 bytes"));
  }
  std::memcpy(c.root.data(), root.data(), c.root.size());
  return c;
}

}  // namespace ledger
