// Customers across complaints: the normalised phone number, the
// pseudonymous customer key derived from it, and the index of earlier
// complaints per customer that repeat detection (docs/rules.md §10)
// looks in.
#ifndef LEDGER_COMPLAINT_CUSTOMER_H_
#define LEDGER_COMPLAINT_CUSTOMER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ledger/events/visitor.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// The digits of a phone number without separators, without a leading "+86"
// or "0086" (China's country code; other codes are kept):
// "+86 138-0013-8000" -> "13800138000", "(010) 6512 3456" -> "01065123456".
// INVALID_ARGUMENT for letters, or fewer than 5 or more than 20 digits.
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone);

// What identifies the customer across complaints, from the contact they
// gave (docs/rules.md §10): the normalised phone number when there is one
// (a phone complaint must have one); else "email:" and the address in
// lower case; else "address:" and the postal address with its white space
// collapsed. A letter, an e-mail or an online complaint needs no phone
// number, but a complaint with no way at all to reach the customer (for
// the revisit) is INVALID_ARGUMENT, as is a malformed phone or e-mail.
absl::StatusOr<std::string> ContactKey(v1::Channel channel,
                                       const v1::CustomerContact& customer);

// The customer key stored on ComplaintReceived: hex SHA-256 of a domain tag
// and the normalised phone number, so repeat detection never needs the
// number itself (and keeps working once personal data is erased).
std::string CustomerRef(absl::string_view normalized_phone);

// An earlier complaint of the same customer, as repeat detection sees it.
struct PriorComplaint {
  std::string complaint_id;
  int64_t received_time_us = 0;
  v1::InfoKind kind = v1::INFO_KIND_UNSPECIFIED;
  v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
};

// Each customer's complaints with their latest classification, folded from
// ComplaintReceived and ComplaintClassified events in log order (other
// events are ignored). Thread-compatible.
class CustomerIndex {
 public:
  absl::Status Apply(const v1::Event& event);
  // The same, for an event decoded already (ledger/events/visitor.h).
  absl::Status Apply(const DecodedEvent& event);
  // Apply for each of `events` in order, the first error returned (and the
  // events after it applied still). Quicker than one at a time for many
  // intakes: the maps are large and each intake's slots random, so their
  // memory is fetched for all the intakes before any is inserted.
  absl::Status ApplyAll(absl::Span<const v1::Event* const> events);
  absl::Status ApplyAll(absl::Span<const DecodedEvent> events);
  // The complaints of `customer_ref`, oldest first.
  std::vector<PriorComplaint> History(const std::string& customer_ref) const;
  size_t complaints() const { return size_; }

  // A customer_ref in 32 bytes rather than its 64 hex digits: the digest
  // they spell (CustomerRef's form), or else the SHA-256 of the ref itself.
  // Both fit the maps' slots, so an intake allocates nothing of its own.
  using Key = std::array<char, 32>;
  static Key KeyOf(absl::string_view customer_ref);

 private:
  // What the index takes from a ComplaintReceived.
  struct Intake {
    absl::string_view complaint_id;
    absl::string_view customer_ref;
    int64_t received_time_us = 0;
  };
  static Intake IntakeOf(const v1::ComplaintReceived& received);
  class Fold;
  // Adds the intake to `key`'s customer unless its complaint is indexed.
  void Insert(const Intake& intake, const Key& key);

  // Every complaint indexed, in intake order, each chained to its
  // customer's next. They sit in chunks that never move, so an intake
  // writes to the end of the last one; the two maps' slots, which an
  // intake writes at random (and a map that grows moves), hold only keys
  // and numbers of entries.
  static constexpr uint32_t kNoEntry = UINT32_MAX;
  struct Entry {
    PriorComplaint prior;
    uint32_t next = kNoEntry;
  };
  static constexpr int kChunkBits = 12;
  Entry& entry(uint32_t i) {
    return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)];
  }
  const Entry& entry(uint32_t i) const {
    return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)];
  }
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  uint32_t size_ = 0;

  // Each customer's first and last complaint.
  struct Chain {
    uint32_t first;
    uint32_t last;
  };
  absl::flat_hash_map<Key, Chain> by_customer_;
  // Each complaint's entry, for its classification.
  absl::flat_hash_map<std::string, uint32_t> entry_of_;
};

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_CUSTOMER_H_
