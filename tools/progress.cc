#include "tools/progress.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace ledger {
namespace {

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, s % 3600 / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

}  // namespace

Progress::Progress(std::string what, uint64_t total, FILE* out)
    : what_(std::move(what)),
      total_(total),
      out_(out),
      terminal_(isatty(fileno(out)) != 0),
      start_(absl::Now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

std::string Progress::Line(const std::string& what, uint64_t done,
                           uint64_t total, absl::Duration elapsed, bool bar) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = what;
  if (total > 0) {
    const double part =
        std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    if (bar) {
      constexpr int kWidth = 24;
      const int full = static_cast<int>(part * kWidth);
      absl::StrAppend(&line, "  [", std::string(full, '#'),
                      std::string(kWidth - full, '.'), "]");
    }
    absl::StrAppend(&line, "  ", Grouped(done), " / ", Grouped(total),
                    absl::StrFormat("  %d%%", static_cast<int>(part * 100)));
  } else {
    absl::StrAppend(&line, "  ", Grouped(done));
  }
  if (rate > 0) {
    absl::StrAppend(&line, "  ", Grouped(static_cast<uint64_t>(rate)), "/s");
    if (total > done) {
      absl::StrAppend(&line, "  ",
                      Duration(static_cast<double>(total - done) / rate),
                      " left");
    } else if (total > 0) {
      absl::StrAppend(&line, "  in ", Duration(seconds));
    }
  }
  return line;
}

void Progress::Update(uint64_t done) {
  done_ = done;
  const absl::Time now = absl::Now();
  if (now - last_draw_ <
      (terminal_ ? absl::Milliseconds(200) : absl::Seconds(10))) {
    return;
  }
  last_draw_ = now;
  Draw(false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (terminal_ || drawn_) Draw(true);
}

void Progress::Draw(bool last) {
  drawn_ = true;
  const std::string line =
      Line(what_, done_, total_, absl::Now() - start_, terminal_);
  if (terminal_) {
    // Over the previous line; cleared to its end.
    std::fprintf(out_, "\r%s\x1b[K%s", line.c_str(), last ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace ledger
