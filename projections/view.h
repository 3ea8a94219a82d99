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
#include "google/protobuf/message.h"
#include "ledger/events/visitor.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

// How much of a view stays in memory.
struct ViewOptions {
  // Rows of complaints kept in memory per view besides those changed since
  // the last write (which stay until it): the cache in front of the view's
  // store. Documented with ledgerd's --view_cache_cases.
  size_t cached_cases = 32768;
};

// The events a view folds come to it parsed (ledger/events/visitor.h): a
// view overrides EventVisitor's Visit for the types it folds and returns an
// error for an event it cannot fold, which counts as skipped; or it
// overrides OnEvent to take every event itself.
//
// A view's rows live in a ViewStore: the one Load attaches it to (the
// runner's, on disk), or until then a MemoryViewStore of its own. It keeps
// in memory what is small whatever the history (reference data, counts)
// and the rows changed since the last TakeChanges; the rows of complaints
// otherwise are read from the store when an event or a query needs them,
// through a bounded cache (ViewOptions). So loading a view reads kilobytes,
// and its memory does not grow with the log.
class View : public EventVisitor {
 public:
  View() : View(ViewOptions()) {}
  explicit View(ViewOptions options);
  ~View() override;

  virtual std::string name() const = 0;
  // A new, empty view of the same kind and options, with a store of its own
  // (rebuilds, as-of replays).
  virtual std::unique_ptr<View> NewEmpty() const = 0;

  // Attaches the view to `store` (which must outlive it, or the next Load)
  // and restores what it keeps in memory from its rows there. DATA_LOSS for
  // rows that do not parse; OlderLayout for rows an older build wrote.
  absl::Status Load(const ViewStore& store);
  // Folds the next event of the log, decoded once by the caller for every
  // view. An event the view cannot fold is counted as skipped and reported,
  // never fatal: one bad stream must not stop every queue.
  void Apply(const DecodedEvent& event) { OnEvent(event); }
  // Decodes `event`, then Apply; a payload that does not parse is skipped.
  void Apply(const v1::Event& event);
  // An event whose payload did not decode.
  void Skip() { ++skipped_; }
  // Moves the rows changed since the last call into *changes (view name
  // and checkpoint are the caller's), which the caller must write to the
  // store Load attached before the view folds or answers again. (A view
  // never loaded writes them to its own store itself.)
  void TakeChanges(ViewChanges* changes);

  uint64_t skipped() const { return skipped_; }
  // Why the view cannot go on (its store could not be read); OK otherwise.
  const absl::Status& broken() const { return broken_; }

 protected:
  // What Apply does: by default the event's Visit, skipped when it fails.
  virtual void OnEvent(const DecodedEvent& event) {
    if (!event.Accept(*this).ok()) ++skipped_;
  }
  // Load's part for each view: attach its cases to `store`, read what it
  // keeps whole.
  virtual absl::Status Restore(const ViewStore& store) = 0;
  // TakeChanges' part for each view.
  virtual void Changes(ViewChanges* changes) = 0;

  // The store the view's rows are in.
  const ViewStore& store() const;
  // The row of a case that `event` is of, as looked up: a read that failed
  // breaks the view; no row is NOT_FOUND (an event of a case never
  // received).
  template <typename Row>
  absl::StatusOr<Row*> CaseFound(const v1::Event& event,
                                 absl::StatusOr<Row*> row) {
    if (!row.ok()) {
      Break(row.status());
      return row.status();
    }
    if (*row == nullptr) return NeverReceived(event);
    return *row;
  }
  static absl::Status NeverReceived(const v1::Event& event);
  // Records that the view cannot go on; the first reason stays.
  void Break(const absl::Status& why) {
    if (broken_.ok()) broken_ = why;
  }

  const ViewOptions options_;
  uint64_t skipped_ = 0;

 private:
  std::unique_ptr<ViewStore> own_store_;  // Until Load.
  const ViewStore* store_;
  absl::Status broken_;
  // The layout row is in the store.
  bool layout_written_ = false;
};

// The status of Load for rows written by a build whose layout of the view
// differs: the views are rebuilt from the log, as for damaged ones.
absl::Status OlderLayoutError(const std::string& view);
bool IsOlderLayout(const absl::Status& status);

// Loads a view's stored rows whose keys start with `key_prefix`: `row`
// takes each (key without the prefix) and returns false when it cannot
// parse it; that is DATA_LOSS naming the row.
absl::Status LoadRows(const ViewStore& store, const std::string& view,
                      absl::string_view key_prefix,
                      const std::function<bool(absl::string_view key,
                                               absl::string_view value)>& row);
// Reads row `key` of `view` into *row: false when there is none, DATA_LOSS
// when it does not parse.
absl::StatusOr<bool> ReadRow(const ViewStore& store, const std::string& view,
                             absl::string_view key,
                             google::protobuf::Message* row);

// The group of a complaint's rows in the views that answer by month: the
// month it was received in, "yyyy-mm" (CaseRows).
std::string MonthGroup(const v1::Date& received_day);
std::string MonthGroup(const v1::YearMonth& month);

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
