// Customers across complaints: the normalised phone number, the
// pseudonymous customer key derived from it, and the index of earlier
// complaints per customer that repeat detection (shared/domain.md §3)
// looks in.
#ifndef LEDGER_COMPLAINT_CUSTOMER_H_
#define LEDGER_COMPLAINT_CUSTOMER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// The digits of a phone number without separators, without a leading "+86"
// or "0086" (China's country code; other codes are kept):
// "+86 138-0013-8000" -> "13800138000", "(010) 6512 3456" -> "01065123456".
// INVALID_ARGUMENT for letters, or fewer than 5 or more than 20 digits.
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone);

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
  // The complaints of `customer_ref`, oldest first.
  std::vector<PriorComplaint> History(const std::string& customer_ref) const;
  size_t complaints() const { return customer_of_.size(); }

 private:
  // A customer_ref in 32 bytes rather than its 64 hex digits: the digest
  // they spell (CustomerRef's form), or else the SHA-256 of the ref itself.
  // Both fit the maps' slots, so an intake allocates nothing of its own.
  using Key = std::array<char, 32>;
  static Key KeyOf(absl::string_view customer_ref);

  // Each customer's complaints, oldest first; most customers have one.
  absl::flat_hash_map<Key, absl::InlinedVector<PriorComplaint, 1>> by_customer_;
  // Each complaint's customer, for its classification.
  absl::flat_hash_map<std::string, Key> customer_of_;
};

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_CUSTOMER_H_
