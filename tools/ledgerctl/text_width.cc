#include "tools/ledgerctl/text_width.h"

#include <utf8proc.h>

namespace ledger::ctl {
namespace {

// The next character of `s` from `at`: its byte length and columns.
struct Char {
  size_t bytes;
  size_t columns;
};

Char Next(absl::string_view s, size_t at) {
  utf8proc_int32_t code = 0;
  const utf8proc_ssize_t n =
      utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + at),
                       static_cast<utf8proc_ssize_t>(s.size() - at), &code);
  if (n <= 0) return {1, 1};
  const int w = utf8proc_charwidth(code);
  return {static_cast<size_t>(n), static_cast<size_t>(w < 0 ? 0 : w)};
}

}  // namespace

size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  for (size_t at = 0; at < s.size();) {
    const Char c = Next(s, at);
    width += c.columns;
    at += c.bytes;
  }
  return width;
}

std::string Truncate(absl::string_view s, size_t width) {
  if (DisplayWidth(s) <= width) return std::string(s);
  if (width == 0) return "";
  const size_t room = width - 1;  // for the ellipsis
  size_t used = 0;
  size_t at = 0;
  while (at < s.size()) {
    const Char c = Next(s, at);
    if (used + c.columns > room) break;
    used += c.columns;
    at += c.bytes;
  }
  return std::string(s.substr(0, at)) + "\u2026";
}

std::string Fit(absl::string_view s, size_t width) {
  return PadRight(Truncate(s, width), width);
}

std::string PadRight(absl::string_view s, size_t width) {
  const size_t w = DisplayWidth(s);
  std::string out(s);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string PadLeft(absl::string_view s, size_t width) {
  const size_t w = DisplayWidth(s);
  std::string out = w < width ? std::string(width - w, ' ') : std::string();
  out.append(s.data(), s.size());
  return out;
}

}  // namespace ledger::ctl
