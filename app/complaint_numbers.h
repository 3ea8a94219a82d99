// Complaint numbers: "<year>-<number>", numbered per year by the ledger,
// gap-free (only a committed intake keeps a number), six digits at least
// and more past 999,999.
#ifndef APP_COMPLAINT_NUMBERS_H_
#define APP_COMPLAINT_NUMBERS_H_

#include <cstdint>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace ledger {

// "2026-000123" -> (2026, 123); past 999,999 the number has more digits
// ("2026-1000000").
inline bool ParseComplaintNumber(absl::string_view id, int64_t* year,
                                 int64_t* number) {
  if (id.size() < 11 || id.size() > 5 + 18 || id[4] != '-') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i != 4 && (id[i] < '0' || id[i] > '9')) return false;
  }
  return absl::SimpleAtoi(id.substr(0, 4), year) &&
         absl::SimpleAtoi(id.substr(5), number) && *number > 0;
}

// Numbers of the year up to this are given out again at start-up when no
// committed intake holds them (lost before numbers were gap-free); ten
// times a large centre's year.
inline constexpr int64_t kMaxRefilledNumber = 10'000'000;

// Whether `id` has the form of the ledger's own numbering: digits, '-',
// digits.
inline bool LooksNumbered(absl::string_view id) {
  const size_t dash = id.find('-');
  if (dash == absl::string_view::npos || dash == 0 || dash + 1 == id.size()) {
    return false;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (i != dash && (id[i] < '0' || id[i] > '9')) return false;
  }
  return true;
}

// One year's numbers: the last handed out or committed, and the ones below
// it that nobody holds, handed out first.
struct YearNumbers {
  int64_t last = 0;
  // Runs of free numbers, first -> last (inclusive).
  std::map<int64_t, int64_t> free;

  // The lowest free number, else the one after the last.
  int64_t Take();
  // Frees the run first..last (nothing when first > last).
  void Free(int64_t first, int64_t last);
  // A committed number is no longer free.
  void Taken(int64_t number);
  // A committed number, folded in log order to rebuild the year (nothing
  // handed out yet): past the last, the numbers it skips are free (up to
  // kMaxRefilledNumber: intakes lost before numbers were gap-free) and it
  // is the last; else it is Taken.
  void Committed(int64_t number);
};

}  // namespace ledger

#endif  // APP_COMPLAINT_NUMBERS_H_
