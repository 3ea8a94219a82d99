#include "ledger/store/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ledger {

absl::Status DataLossAt(uint64_t position, absl::string_view message) {
  absl::Status status = absl::DataLossError(message);
  status.SetPayload(kBrokenPositionPayload, absl::Cord(absl::StrCat(position)));
  return status;
}

std::optional<uint64_t> BrokenPosition(const absl::Status& status) {
  auto payload = status.GetPayload(kBrokenPositionPayload);
  uint64_t position = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &position)) {
    return std::nullopt;
  }
  return position;
}

absl::Status NotTheWriter(absl::string_view message,
                          absl::string_view address) {
  absl::Status status = absl::UnavailableError(message);
  if (!address.empty()) {
    status.SetPayload(kWriterAddressPayload, absl::Cord(address));
  }
  return status;
}

std::optional<std::string> WriterAddress(const absl::Status& status) {
  auto payload = status.GetPayload(kWriterAddressPayload);
  if (!payload.has_value() || payload->empty()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace ledger
