// AppState: what the write side derives from the log to decide commands:
// each customer's complaints (repeat detection) and the complaint numbers
// committed per year, with the customers' data erasures recorded. Kept in
// the store's app-state database (EventStore::app_state()) with the
// position and hash of the last event folded, so that a start folds only
// the events after it instead of the whole log (ledger/FORMAT.md, "The
// app state").
//
// Two sources, one answer. The app's own appends are indexed at once
// (Index, called before a command is acknowledged) into an overlay in
// memory; a flusher folds the log itself, every `flush_every_events`
// events or `flush_every`, into rows written with their checkpoint in one
// batch, and drops the overlay up to it. History merges the two by
// position, so when a flush happens never changes what a command is
// decided on. The rows are derived: missing, damaged, or of another
// history (a log cut by --accept_log_end), they are dropped and folded
// again from the log's first event.
//
// Thread safety: every method may be called from any thread.
#ifndef LEDGER_APP_APP_STATE_H_
#define LEDGER_APP_APP_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "app/complaint_numbers.h"
#include "ledger/complaint/customer.h"
#include "ledger/events/visitor.h"
#include "ledger/store/event_store.h"

namespace ledger {

struct AppStateOptions {
  // The flusher writes once this many events are past the last flush, or
  // once this long has passed with any; 0 / zero: not on that ground. With
  // neither, only Flush() and the destructor write (tests).
  uint64_t flush_every_events = 4096;
  absl::Duration flush_every = absl::Milliseconds(200);
};

// How the state was found at open.
struct AppStateAtOpen {
  // The position its rows reached (0: none).
  uint64_t checkpoint = 0;
  // Events folded to reach the log's end.
  uint64_t events_folded = 0;
  // Why the rows were dropped and folded afresh (empty: they were not).
  std::string rebuilt_because;
};

class AppState {
 public:
  // Opens the state kept beside `store` (which must outlive it), folds the
  // events after its checkpoint up to the log's end, and starts the
  // flusher. A log that fails its checks while folded is not an error
  // here: broken() says so, and the state stays where the log broke.
  static absl::StatusOr<std::unique_ptr<AppState>> Open(
      EventStore* store, AppStateOptions options = {});
  // Close()s.
  ~AppState();

  // Stops the flusher and folds up to the log's end, so that the next open
  // folds nothing (what it cannot write, it says on stderr: the next open
  // folds it). Before the store closes; once.
  void Close();

  AppState(const AppState&) = delete;
  AppState& operator=(const AppState&) = delete;

  // The app's own committed events, in log order, before their command is
  // acknowledged: seen by History from now on.
  void Index(absl::Span<const DecodedEvent> events);

  // The complaints of `customer_ref`, in the order of their intakes in the
  // log, each with its latest classification.
  absl::StatusOr<std::vector<PriorComplaint>> History(
      const std::string& customer_ref) const;

  // The numbers committed intakes hold, per year, as of the open.
  const absl::flat_hash_map<int64_t, YearNumbers>& numbers_at_open() const {
    return numbers_at_open_;
  }
  // The data keys of every customer whose data was erased (the key ids of
  // the log's CustomerDataErased events), as of the open.
  const std::vector<std::string>& erased_at_open() const {
    return erased_at_open_;
  }
  const AppStateAtOpen& at_open() const { return at_open_; }

  // Folds and writes up to the log's end now.
  absl::Status Flush();
  // The position the rows reach.
  uint64_t flushed() const;
  // DATA_LOSS once folding met an event that failed its checks; else OK.
  absl::Status broken() const;

 private:
  AppState(EventStore* store, AppStateOptions options);
  // Drops unusable rows, loads the numbers, and folds to the log's end.
  absl::Status Load();
  // Folds the log from the checkpoint to `end` (at most) into rows and
  // writes them with the new checkpoint. One at a time (fold_mu_).
  absl::Status FoldTo(uint64_t end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fold_mu_);
  absl::Status FoldChunk(uint64_t end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fold_mu_);
  void FlushLoop();

  EventStore& store_;
  ViewStore& rows_;
  const AppStateOptions options_;
  AppStateAtOpen at_open_;
  absl::flat_hash_map<int64_t, YearNumbers> numbers_at_open_;
  std::vector<std::string> erased_at_open_;

  // Held by whoever folds and writes rows.
  absl::Mutex fold_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // The committed numbers, as the rows will hold them (the fold's).
  absl::flat_hash_map<int64_t, YearNumbers> numbers_ ABSL_GUARDED_BY(fold_mu_);

  mutable absl::Mutex mu_;
  // Where the rows reach (the checkpoint), and the events indexed past it.
  uint64_t flushed_ ABSL_GUARDED_BY(mu_) = 0;
  struct Intake {
    uint64_t position;
    PriorComplaint prior;
  };
  absl::flat_hash_map<CustomerIndex::Key, std::vector<Intake>> intakes_
      ABSL_GUARDED_BY(mu_);
  struct Classification {
    uint64_t position;
    v1::InfoKind kind;
    v1::ComplaintCategory category;
  };
  absl::flat_hash_map<std::string, Classification> classified_
      ABSL_GUARDED_BY(mu_);
  // Events indexed past flushed_ (wakes the flusher).
  uint64_t unflushed_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status broken_ ABSL_GUARDED_BY(mu_);

  std::thread flusher_;
};

}  // namespace ledger

#endif  // LEDGER_APP_APP_STATE_H_
