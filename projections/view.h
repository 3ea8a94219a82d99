// A projection view: state folded from the global log, in log order, kept
// in memory for queries and persisted as rows beside the log (written with
// the view's checkpoint in one batch, see EventStore::WriteViews).
//
// A view depends only on events: times come from the events, "now" is a
// query parameter. So the same log gives the same rows on every machine.
#ifndef LEDGER_PROJECTIONS_VIEW_H_
#define LEDGER_PROJECTIONS_VIEW_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

class View {
 public:
  virtual ~View() = default;

  virtual std::string name() const = 0;
  // A new, empty view of the same kind (rebuilds, as-of replays).
  virtual std::unique_ptr<View> NewEmpty() const = 0;

  // Restores the state from the view's stored rows.
  virtual absl::Status Load(const EventStore& store) = 0;
  // Folds the next event of the log. An event the view cannot fold is
  // counted as skipped and reported, never fatal: one bad stream must not
  // stop every queue.
  virtual void Apply(const v1::Event& event) = 0;
  // Moves the rows changed since the last call into *changes (view name
  // and checkpoint are the caller's).
  virtual void TakeChanges(ViewChanges* changes) = 0;

  uint64_t skipped() const { return skipped_; }

 protected:
  uint64_t skipped_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_VIEW_H_
