// Signed checkpoints of the log's Merkle tree (issue 24), in the formats
// transparency logs share, so that tools made for them check ours:
// - C2SP signed-note (c2sp.org/signed-note): a text ending in a newline, a
//   blank line, then "— <key name> <base64(key id[4] || signature)>" lines;
//   Ed25519 signatures (type 0x01) over the text, key id =
//   SHA-256(name || 0x0A || 0x01 || public key)[:4].
// - C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the text is the origin,
//   the tree size in decimal and the base64 root hash, one a line.
// Keys are written as Go's golang.org/x/mod/sumdb/note writes them:
// "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>" and the
// verifier key "<name>+<hex key id>+<base64(0x01 || public key)>".
// OpenSSL signs and verifies (EVP, one-shot Ed25519).
#ifndef LEDGER_STORE_SIGNED_NOTE_H_
#define LEDGER_STORE_SIGNED_NOTE_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/store/merkle.h"

namespace ledger {

// A new signing key named `name` (a log's origin): {signer key, verifier
// key}, as text.
absl::StatusOr<std::pair<std::string, std::string>> GenerateNoteKey(
    absl::string_view name);

class NoteVerifier {
 public:
  // From verifier key text; INVALID_ARGUMENT naming what is wrong.
  static absl::StatusOr<NoteVerifier> Parse(absl::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // The verifier key text.
  std::string Text() const;

  // The note's text when a signature of this key over it verifies;
  // otherwise FAILED_PRECONDITION (no signature of this key, a bad one) or
  // INVALID_ARGUMENT (not a signed note). Signatures of other keys are
  // ignored, as the format asks.
  absl::StatusOr<std::string> Open(absl::string_view note) const;

 private:
  friend class NoteSigner;

  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> public_key_{};
};

class NoteSigner {
 public:
  // From signer key text; INVALID_ARGUMENT naming what is wrong (never the
  // key itself).
  static absl::StatusOr<NoteSigner> Parse(absl::string_view skey);
  NoteSigner(const NoteSigner&) = default;
  NoteSigner& operator=(const NoteSigner&) = default;
  // Each copy wipes its key when it goes.
  ~NoteSigner();

  const std::string& name() const { return verifier_.name(); }
  const NoteVerifier& verifier() const { return verifier_; }

  // `text` (ending in a newline) signed: text, blank line, signature line.
  absl::StatusOr<std::string> Sign(absl::string_view text) const;

 private:
  NoteSigner() = default;

  NoteVerifier verifier_;
  std::array<uint8_t, 32> seed_{};
};

// A checkpoint: the tree of `size` leaves of the log named `origin` has
// root `root`.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
};

// The note text of a checkpoint (no extension lines).
std::string CheckpointText(const Checkpoint& checkpoint);
// Parses a checkpoint's note text strictly: three lines, a size without
// leading zeros that fits 64 bits, a root of exactly 32 bytes in canonical
// base64, no extension lines. INVALID_ARGUMENT naming the line.
absl::StatusOr<Checkpoint> ParseCheckpointText(absl::string_view text);

}  // namespace ledger

#endif  // LEDGER_STORE_SIGNED_NOTE_H_
