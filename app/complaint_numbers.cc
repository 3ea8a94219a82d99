#include "app/complaint_numbers.h"

#include <algorithm>

namespace ledger {

int64_t YearNumbers::Take() {
  if (free.empty()) return ++last;
  auto first = free.begin();
  const int64_t number = first->first;
  if (first->second > number)
    free.emplace_hint(first, number + 1, first->second);
  free.erase(first);
  return number;
}

void YearNumbers::Free(int64_t first, int64_t last) {
  if (first <= last) free[first] = last;
}

void YearNumbers::Taken(int64_t number) {
  auto run = free.upper_bound(number);
  if (run == free.begin()) return;
  --run;
  const auto [first, last] = *run;
  if (number > last) return;
  free.erase(run);
  Free(first, number - 1);
  Free(number + 1, last);
}

void YearNumbers::Committed(int64_t number) {
  if (number <= last) {
    Taken(number);
    return;
  }
  Free(last + 1, std::min(number - 1, kMaxRefilledNumber - 1));
  last = number;
}

}  // namespace ledger
