// QueueView: the work queues. Folds the state of every complaint
// (ledger/complaint/state.h, the same fold the write side uses) and
// answers queue queries: open cases per owner, assist requests pending per
// unit, revisits due, sign-offs waiting, paperwork pending, escalations
// waiting, important cases, everything overdue at a given time; sorted by
// deadline, paged.
//
// Rows: the complaints' states ("c/<id>" -> ComplaintState, through
// projections/case_rows.h), an index of each queue in its order
// ("i/<kind><partition>\0<no deadline><due><id>\0<what>" -> the item's
// other fields, a QueueItem) and its counts ("n" -> QueueCountsRow, kept
// whole in memory). A page is read off the front of its queue's index, one
// scan and no complaint row read, so a query costs the page, not the
// number of complaints in the log; only "overdue" depends on "now": it is
// the front of the deadlines index up to now. The index is written with the
// other rows (at most every 4,096 events); a complaint changed since is
// skipped in it, and its entries as they are now are merged in, so every
// answer is exact at its position.
#ifndef LEDGER_PROJECTIONS_QUEUE_VIEW_H_
#define LEDGER_PROJECTIONS_QUEUE_VIEW_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/complaint_state.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/case_rows.h"
#include "projections/view.h"

namespace ledger {

class QueueView final : public View {
 public:
  static constexpr char kName[] = "queues";

  explicit QueueView(ViewOptions options = ViewOptions());
  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<QueueView>(options_);
  }

  // INVALID_ARGUMENT for a bad kind, page size or token.
  absl::StatusOr<v1::GetQueueResponse> Query(const v1::GetQueueRequest& request,
                                             int64_t now_us) const;

  // Complaint states in memory (the cache and those changed).
  size_t complaints_in_memory() const { return complaints_.in_memory(); }

 protected:
  // Every event of a complaint's stream, folded into its state
  // (ledger/complaint/state.h).
  void OnEvent(const DecodedEvent& event) override;
  absl::Status Restore(const ViewStore& store) override;
  void Changes(ViewChanges* changes) override;

 private:
  // An entry's place in its queue: by deadline (none last), then complaint
  // id, then what is due.
  struct Key {
    bool no_deadline;
    int64_t due_us;
    std::string complaint_id;
    std::string what;
    auto operator<=>(const Key&) const = default;
  };
  // A queue: its kind and partition (the owner; "station:<id>" or
  // "department:<id>" for assists; "" for the whole queue).
  using QueueId = std::pair<int, std::string>;
  // An entry of a queue: its index row's key.
  struct Entry {
    QueueId queue;
    Key key;
    auto operator<=>(const Entry&) const = default;
  };
  using Entries = std::vector<Entry>;
  // What the index rows of a complaint show of it (their value: a
  // QueueItem with these fields only, the rest is in their keys).
  struct Shown {
    std::string owner_agent_id;
    int stage = 0;
    int severity = 0;
    bool important = false;
    std::string station_id;
    bool operator==(const Shown&) const = default;
    static Shown Of(const v1::ComplaintState& s);
    std::string Serialize() const;
  };
  // The index rows of a complaint as last written.
  struct Written {
    Entries entries;
    Shown shown;
  };
  // The queue entries of an open complaint as it is now, sorted.
  static void EntriesOf(const v1::ComplaintState& s, Entries* out);
  // The index row of an entry, and back (false for a key not of `queue`).
  static std::string IndexKey(const QueueId& queue, const Key& key);
  // An index row's key after its queue's prefix (and page tokens' bytes).
  static std::string EntryBytes(const Key& key);
  static std::string IndexPrefix(const QueueId& queue);
  static bool ParseIndexKey(absl::string_view key, size_t prefix, Key* out);
  // Entries indexed per queue, overdue entries indexed per UTC day of the
  // deadline; an entry in or out.
  void Count(const QueueId& queue, const Key& key, int delta);

  CaseRows<v1::ComplaintState> complaints_;
  // The entries the index has for each complaint changed since the last
  // write, i.e. of its state then.
  absl::flat_hash_map<std::string, Written> before_;
  std::map<QueueId, uint64_t>
      counts_;  // In order: the row is the same for the same counts.
  std::map<int64_t, uint64_t> overdue_days_;
  bool counts_changed_ = false;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_QUEUE_VIEW_H_
