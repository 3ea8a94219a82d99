// Field checks shared by the command deciders. Each returns
// INVALID_ARGUMENT naming the field and what was wrong with it.
#ifndef LEDGER_COMPLAINT_VALIDATION_H_
#define LEDGER_COMPLAINT_VALIDATION_H_

#include <cctype>
#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "ledger/v1/common.pb.h"

namespace ledger {

// An id: 1..kMaxIdBytes of letters, digits, '.', '_', '-'.
absl::Status CheckId(absl::string_view field, absl::string_view value);
// Empty, or an id.
absl::Status CheckOptionalId(absl::string_view field, absl::string_view value);
// Free text up to `max_bytes`; `required` refuses empty (or blank) text.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       bool required, size_t max_bytes);

// A month between 2000 and 2100.
absl::Status CheckMonth(absl::string_view field, const v1::YearMonth& month);

// A value of `Enum` other than its *_UNSPECIFIED zero.
template <typename Enum>
absl::Status CheckEnumSet(absl::string_view field, Enum value) {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<Enum>();
  if (static_cast<int>(value) == 0 ||
      descriptor->FindValueByNumber(static_cast<int>(value)) == nullptr) {
    return absl::InvalidArgumentError(
        std::string(field) + " is required (one of the " + descriptor->name() +
        " values other than " + descriptor->value(0)->name() + ")");
  }
  return absl::OkStatus();
}

// The short lower-case name of an enum value: CHANNEL_PHONE -> "phone".
template <typename Enum>
std::string EnumLabel(Enum value) {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<Enum>();
  const auto* v = descriptor->FindValueByNumber(static_cast<int>(value));
  if (v == nullptr) return std::to_string(static_cast<int>(value));
  std::string name = v->name();
  // Drop the prefix shared with *_UNSPECIFIED.
  const std::string& zero = descriptor->value(0)->name();
  const size_t prefix = zero.size() - std::string("UNSPECIFIED").size();
  if (name.compare(0, prefix, zero, 0, prefix) == 0) name = name.substr(prefix);
  for (char& c : name)
    c = (c == '_') ? ' ' : static_cast<char>(std::tolower(c));
  return name;
}

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_VALIDATION_H_
