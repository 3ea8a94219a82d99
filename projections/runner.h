// ProjectionRunner: folds the global log into views, in order, through the
// same subscription interface external services use: in process beside the
// ledger (LocalLog), or in a process of its own reading a remote ledgerd
// (RemoteLog). The views' rows and checkpoints live in `rows`, the ledger's
// own store in process, a store of the projection process's own otherwise.
// Every batch of view changes is written with the checkpoint it reaches in
// one RocksDB batch, so a crash never double-counts or skips; a restart
// loads the rows and resumes after the checkpoint. Each view skips events
// at or before its own checkpoint (a view added later starts from 0).
//
// Far behind the log (a first start on a big ledger, a restart after a
// long stop) it first catches up in chunks with Fold, reading and folding
// on separate threads, then follows event by event.
//
// Queries read a live view under a reader lock; AsOf replays a fresh view
// to a past position without touching the live ones; Rebuild replays one
// view from position 1.
#ifndef LEDGER_PROJECTIONS_RUNNER_H_
#define LEDGER_PROJECTIONS_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/log_source.h"
#include "projections/view.h"

namespace ledger {

class ProjectionRunner {
 public:
  struct Options {
    // A stretch of the log at least this long is caught up on with Fold
    // rather than event by event; queries wait at most one chunk (a fraction
    // of a second) while it is folded under the lock, and the complaints a
    // chunk changes are what the views hold in memory meanwhile.
    uint64_t catch_up_min_events = 100000;
    uint64_t catch_up_chunk_events = 65536;
    // The niceness of the thread that follows the log (ledgerd's
    // --projection_niceness): above 0 the commands come first for the CPU
    // and, when the machine is saturated, the views lag and catch up after.
    int niceness = 0;
    // Tests only: runs in Start as it begins to load the views, with the
    // runner's lock held (as it is for the whole load).
    std::function<void()> while_loading;
  };

  // `rows` must outlive the runner.
  ProjectionRunner(ViewStore* rows, std::unique_ptr<LogSource> log,
                   std::vector<std::unique_ptr<View>> views);
  ProjectionRunner(ViewStore* rows, std::unique_ptr<LogSource> log,
                   std::vector<std::unique_ptr<View>> views, Options options);
  ~ProjectionRunner();

  // Loads every view's rows and starts following the log.
  // FAILED_PRECONDITION when the views have read further than the log goes
  // (they were built from another ledger). May run on a thread of its own
  // while the runner is already queried: see WhenLoaded.
  absl::Status Start();

  // Calls `then` once Start has loaded the views, with OK, or with why they
  // could not be loaded: at once when Start has ended, else on Start's
  // thread when it does. Queries wait for it (rows half loaded are no
  // answer), without holding a thread meanwhile.
  void WhenLoaded(std::function<void(absl::Status)> then) const;
  // Writes what is pending and stops. Safe to call more than once.
  void Stop();

  // Waits until the views have read the log up to `position`; false when
  // `timeout` passes first.
  bool WaitFor(uint64_t position, absl::Duration timeout);

  // Runs `read` on the live view `name`, with the position it reflects.
  // NOT_FOUND for an unknown view.
  absl::Status Read(
      const std::string& name,
      const std::function<absl::Status(const View&, uint64_t)>& read) const;

  // A fresh view `name` folded from the log's positions 1..position.
  // INVALID_ARGUMENT for a position past the end of the log.
  absl::StatusOr<std::unique_ptr<View>> AsOf(const std::string& name,
                                             uint64_t position) const;

  // Drops view `name` and folds it again from the start of the log up to
  // where the others are. Returns the position it reached.
  absl::StatusOr<uint64_t> Rebuild(const std::string& name);

  std::vector<v1::ProjectionInfo> List() const;

  // `report` hears whether the runner is following its log (true) or not
  // (false: the ledger is away, refused, or the rows cannot be written;
  // queries still answer from what the views hold): now, and again at
  // every change. nullptr stops the reports.
  void OnHealth(std::function<void(bool following)> report);

 private:
  struct Entry {
    std::unique_ptr<View> view;
    uint64_t checkpoint = 0;  // Last position folded in.
  };

  // Loads every view's rows and checkpoint from rows_.
  absl::Status LoadViews() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Start's loading: the views, dropped and rebuilt when damaged, checked
  // against the log.
  absl::Status Load();
  void Loop();
  // Folds a long stretch up to the end of the log in chunks with Fold;
  // false when the rows could not be written (the runner stops).
  bool CatchUp();
  // Writes the pending changes of every view with its checkpoint;
  // `side_by_side`, on two threads.
  absl::Status Flush(bool side_by_side) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Entry* Find(const std::string& name) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // Records (or, with OkStatus, clears) why the runner is not following.
  void SetError(const absl::Status& error);
  // Tells the OnHealth callback when following has changed. Not with mu_
  // held.
  void ReportHealth();

  ViewStore& rows_;
  const std::unique_ptr<LogSource> log_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::vector<Entry> views_ ABSL_GUARDED_BY(mu_);
  uint64_t position_ ABSL_GUARDED_BY(mu_) = 0;  // Read up to here.
  uint64_t unflushed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flushed_ ABSL_GUARDED_BY(mu_) = 0;  // Written up to here.
  uint64_t log_end_ ABSL_GUARDED_BY(mu_) = 0;  // Last end of log heard of.
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  // The first write of the rows that failed: no write after it (Flush).
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
  // Why the views were dropped and rebuilt at start (empty: they were not).
  std::string rebuilt_after_ ABSL_GUARDED_BY(mu_);
  // Start has ended, and how; what waits for it. Apart from mu_, which
  // Start holds while it loads.
  mutable absl::Mutex load_mu_;
  bool loaded_ ABSL_GUARDED_BY(load_mu_) = false;
  absl::Status load_status_ ABSL_GUARDED_BY(load_mu_);
  mutable std::vector<std::function<void(absl::Status)>> waiting_
      ABSL_GUARDED_BY(load_mu_);

  // Taken before mu_, held while reporting so that reports keep order.
  absl::Mutex health_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::function<void(bool)> on_health_ ABSL_GUARDED_BY(health_mu_);
  std::optional<bool> reported_ ABSL_GUARDED_BY(health_mu_);

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_RUNNER_H_
