// A projection view: state folded from the global log, in log order, kept
// in memory for queries and persisted as rows beside the log (written with
// the view's checkpoint in one batch, see EventStore::WriteViews).
//
// A view depends only on events: times come from the events, "now" is a
// query parameter. So the same log gives the same rows on every machine.
#ifndef LEDGER_PROJECTIONS_VIEW_H_
#define LEDGER_PROJECTIONS_VIEW_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ledger/events/visitor.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// The events a view folds come to it parsed (ledger/events/visitor.h): a
// view overrides EventVisitor's Visit for the types it folds and returns an
// error for an event it cannot fold, which counts as skipped; or it
// overrides OnEvent to take every event itself.
class View : public EventVisitor {
 public:

  virtual std::string name() const = 0;
  // A new, empty view of the same kind (rebuilds, as-of replays).
  virtual std::unique_ptr<View> NewEmpty() const = 0;

  // Restores the state from the view's stored rows.
  virtual absl::Status Load(const ViewStore& store) = 0;
  // Folds the next event of the log, decoded once by the caller for every
  // view. An event the view cannot fold is counted as skipped and reported,
  // never fatal: one bad stream must not stop every queue.
  void Apply(const DecodedEvent& event) { OnEvent(event); }
  // Decodes `event`, then Apply; a payload that does not parse is skipped.
  void Apply(const v1::Event& event);
  // An event whose payload did not decode.
  void Skip() { ++skipped_; }
  // Moves the rows changed since the last call into *changes (view name
  // and checkpoint are the caller's).
  virtual void TakeChanges(ViewChanges* changes) = 0;

  uint64_t skipped() const { return skipped_; }

 protected:
  // What Apply does: by default the event's Visit, skipped when it fails.
  virtual void OnEvent(const DecodedEvent& event) {
    if (!event.Accept(*this).ok()) ++skipped_;
  }

  uint64_t skipped_ = 0;
};

// Loads a view's stored rows: `row` takes each and returns false when it
// cannot parse it; that is DATA_LOSS naming the row.
absl::Status LoadRows(const ViewStore& store, const std::string& view,
                      const std::function<bool(absl::string_view key,
                                               absl::string_view value)>& row);

// The site's time zone as the views see it: kDefaultTimeZone until a
// published calendar names another.
class SiteZone {
 public:
  SiteZone();
  // False (and no change) for a name the time zone database lacks.
  bool Set(const std::string& name);
  const std::string& name() const { return name_; }
  const absl::TimeZone& zone() const { return zone_; }
  // The calendar day of `time_us` here.
  v1::Date DayOf(int64_t time_us) const;

 private:
  std::string name_;
  absl::TimeZone zone_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_VIEW_H_
