// The hash chain over the global log, usable by anyone holding events: the
// store when it writes and reads, ledgerctl when it verifies through a
// server, an auditor's own tools.
//
// Each event's hash is SHA-256 over its canonical bytes, a fixed,
// implementation-independent encoding of every envelope field except `hash`
// (ledger/FORMAT.md). The canonical bytes include previous_hash, so each
// hash covers the whole history before it.
#ifndef LEDGER_STORE_CHAIN_H_
#define LEDGER_STORE_CHAIN_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

inline constexpr size_t kHashBytes = 32;

// previous_hash of the event at position 1.
const std::string& GenesisHash();

// Appends the canonical bytes of `event` (all fields but `hash`) to *dst.
void AppendCanonicalBytes(const v1::Event& event, std::string* dst);

// SHA-256 of the canonical bytes of `event`.
std::string ComputeEventHash(const v1::Event& event);

// Checks that `event` is whole: hash and previous_hash have the right size
// and the hash matches the content. DATA_LOSS naming the position otherwise.
absl::Status CheckEventHash(const v1::Event& event);

// Walks the log in order and checks each link: positions 1, 2, 3 ...
// without gaps, each event's previous_hash equal to the hash before it, each
// hash matching its content.
class ChainVerifier {
 public:
  ChainVerifier();
  // Starts after a known event (for verifying from the middle of the log).
  ChainVerifier(uint64_t position_last, std::string hash_last);

  // DATA_LOSS naming the position of the first broken link.
  absl::Status Add(const v1::Event& event);

  // Add for an event whose hash the caller has already checked with
  // CheckEventHash: checks only its position and previous_hash.
  absl::Status Link(const v1::Event& event);

  uint64_t position_last() const { return position_last_; }
  const std::string& hash_last() const { return hash_last_; }

 private:
  absl::Status CheckLink(const v1::Event& event) const;

  uint64_t position_last_;
  std::string hash_last_;
};

}  // namespace ledger

#endif  // LEDGER_STORE_CHAIN_H_
