// Fold: folds a stretch of the log into several views at once, for the bulk
// paths (rebuilds, as-of replays, benchmarks). One thread reads the log in
// batches; each view is folded by one of `threads` workers (each worker a
// contiguous share of `views`), every worker taking the batches in log
// order. Reading and
// folding overlap, and so do the views: on a machine with cores to spare
// the stretch takes about as long as its slowest part, not their sum.
#ifndef LEDGER_PROJECTIONS_FOLD_H_
#define LEDGER_PROJECTIONS_FOLD_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "projections/log_source.h"
#include "projections/view.h"

namespace ledger {

// Folds positions from..to of `log` into each of `views` (which must
// outlive the call and not be touched meanwhile). `threads` workers (at
// least 1; more than the views is no use). When `last` is given it is set
// to the last position folded into every view, from - 1 for none: on an
// error, where the views stand.
absl::Status Fold(const LogSource& log, uint64_t from, uint64_t to,
                  const std::vector<View*>& views, int threads,
                  uint64_t* last = nullptr);

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_FOLD_H_
