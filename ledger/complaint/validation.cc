#include "ledger/complaint/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/store/limits.h"

namespace ledger {

absl::Status CheckId(absl::string_view field, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (value.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", value.size(),
                                                   " bytes long, the limit is ",
                                                   kMaxIdBytes));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", value,
                       "\" may only hold letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOptionalId(absl::string_view field, absl::string_view value) {
  return value.empty() ? absl::OkStatus() : CheckId(field, value);
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       bool required, size_t max_bytes) {
  if (required && absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", value.size(), " bytes long, the limit is ", max_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckMonth(absl::string_view field, const v1::YearMonth& m) {
  if (m.year() < 2000 || m.year() > 2100 || m.month() < 1 || m.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %04d-%02d is not a month between 2000 and 2100",
                        field, m.year(), m.month()));
  }
  return absl::OkStatus();
}

}  // namespace ledger
