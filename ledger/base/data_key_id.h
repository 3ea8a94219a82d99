// A customer's data key id, "<customer ref>#<generation>"
// (app/personal_data.h), taken apart: by PersonalData, and by NatsLog for
// the subject a key is shared under (ledger/replication/nats_log.h).
#ifndef LEDGER_BASE_DATA_KEY_ID_H_
#define LEDGER_BASE_DATA_KEY_ID_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ledger {

struct DataKeyId {
  std::string customer_ref;
  uint64_t generation = 0;
};

// INVALID_ARGUMENT naming `key_id` when it has no '#' followed by a number.
inline absl::StatusOr<DataKeyId> ParseDataKeyId(absl::string_view key_id) {
  const size_t hash = key_id.rfind('#');
  DataKeyId id;
  if (hash == absl::string_view::npos ||
      !absl::SimpleAtoi(key_id.substr(hash + 1), &id.generation)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key_id, "\" is not a data key id"));
  }
  id.customer_ref = std::string(key_id.substr(0, hash));
  return id;
}

}  // namespace ledger

#endif  // LEDGER_BASE_DATA_KEY_ID_H_
