// Text for a terminal: widths in columns (a CJK character takes two), so
// that tables of Chinese names line up and nothing cuts a UTF-8 character
// in half. Widths come from utf8proc (Unicode's East Asian Width).
#ifndef LEDGER_TOOLS_LEDGERCTL_TEXT_WIDTH_H_
#define LEDGER_TOOLS_LEDGERCTL_TEXT_WIDTH_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace ledger::ctl {

// Columns `s` takes on a terminal; an invalid UTF-8 byte counts as one.
size_t DisplayWidth(absl::string_view s);

// `s` cut to at most `width` columns, whole characters only, with "…" at
// the end when something was cut (the ellipsis counted in the width).
std::string Truncate(absl::string_view s, size_t width);

// `s` truncated to `width` columns, then padded with spaces to them.
std::string Fit(absl::string_view s, size_t width);

// `s` padded with spaces to `width` columns (never cut); right-aligned
// with PadLeft.
std::string PadRight(absl::string_view s, size_t width);
std::string PadLeft(absl::string_view s, size_t width);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_TEXT_WIDTH_H_
