// MonthCache: what a view computes from one month of its cases (a scan of
// the month's group of CaseRows, ~100 ms at 83,000 cases), kept while its
// version is unchanged: the group's CaseRows::Generation, with whatever
// else the value depends on. A page asks for many months, and past months
// rarely change. Thread-safe: queries ask it under the runner's shared
// lock, several at once.
#ifndef LEDGER_PROJECTIONS_MONTH_CACHE_H_
#define LEDGER_PROJECTIONS_MONTH_CACHE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/status_macros.h"

namespace ledger {

template <typename Version, typename Value>
class MonthCache {
 public:
  // Months kept; past it the cache starts again empty.
  static constexpr size_t kMonths = 240;

  // The value of month `group` at `version`: the kept one when it was
  // computed at that version, else `compute`'s, kept.
  absl::StatusOr<Value> Get(
      const std::string& group, const Version& version,
      const std::function<absl::StatusOr<Value>()>& compute) const {
    {
      absl::MutexLock lock(&mu_);
      if (auto it = kept_.find(group);
          it != kept_.end() && it->second.first == version) {
        return it->second.second;
      }
    }
    ASSIGN_OR_RETURN(Value value, compute());
    absl::MutexLock lock(&mu_);
    if (kept_.size() >= kMonths) kept_.clear();
    kept_[group] = {version, value};
    return value;
  }

 private:
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::pair<Version, Value>> kept_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_MONTH_CACHE_H_
