// Percentiles of measured samples, for the benchmark tools.
#ifndef LEDGER_TOOLS_PERCENTILE_H_
#define LEDGER_TOOLS_PERCENTILE_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ledger {

// The p-quantile (p in [0, 1]) of `sorted` (ascending) by rank: the sample
// at index p * n, the last one at most; 0 when there is none.
template <typename T>
T Percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return T{};
  const auto index =
      static_cast<size_t>(p * static_cast<double>(sorted.size()));
  return sorted[std::min(sorted.size() - 1, index)];
}

}  // namespace ledger

#endif  // LEDGER_TOOLS_PERCENTILE_H_
