// QueueView: the work queues. Holds the state of every complaint
// (ledger/complaint/state.h, the same fold the write side uses) and
// answers queue queries from it: open cases per owner, assist requests
// pending per unit, revisits due, sign-offs waiting, paperwork pending,
// escalations waiting, important cases, everything overdue at a given
// time; sorted by deadline, paged. Rows: complaint id -> ComplaintState.
//
// Each queue is kept sorted as it is answered (an index): a page is read
// off its front, so a query costs the page, not the number of complaints
// in the log. Only "overdue" depends on "now": it is the front of the
// deadlines index up to now, and set on each item as it is read. The index
// is brought up to date in bulk (at each write of the rows, at most every
// 4,096 events), not at every event: a complaint changed since is "stale",
// and a query merges the stale complaints' current entries into the
// index's, so every answer is exact at its position.
#ifndef LEDGER_PROJECTIONS_QUEUE_VIEW_H_
#define LEDGER_PROJECTIONS_QUEUE_VIEW_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ledger/v1/complaint_state.pb.h"
#include "ledger/v1/query_service.pb.h"
#include "projections/view.h"

namespace ledger {

class QueueView final : public View {
 public:
  static constexpr char kName[] = "queues";

  std::string name() const override { return kName; }
  std::unique_ptr<View> NewEmpty() const override {
    return std::make_unique<QueueView>();
  }
  absl::Status Load(const ViewStore& store) override;
  void TakeChanges(ViewChanges* changes) override;

  // INVALID_ARGUMENT for a bad kind, page size or token.
  absl::StatusOr<v1::GetQueueResponse> Query(const v1::GetQueueRequest& request,
                                             int64_t now_us) const;

  size_t complaints() const { return complaints_.size(); }

 protected:
  // Every event of a complaint's stream, folded into its state
  // (ledger/complaint/state.h).
  void OnEvent(const DecodedEvent& event) override;

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
  // The items themselves are made from the complaint's state when read.
  using Queue = std::set<Key>;

  using Entries = std::vector<std::pair<QueueId, Key>>;
  // The queue entries of an open complaint as it is now.
  static void EntriesOf(const v1::ComplaintState& s, Entries* out);
  // Takes each stale complaint out of every queue and puts it back as it
  // is now.
  void Settle();

  // Closed ones too: the centre head may reopen a closed complaint, and its
  // state is needed then. Queries skip them.
  absl::flat_hash_map<std::string, v1::ComplaintState> complaints_;
  absl::flat_hash_map<QueueId, Queue> queues_;
  // The queue entries of each open complaint, as indexed.
  absl::flat_hash_map<std::string, Entries> entries_;
  // Entries of the overdue index (every deadline of an open case) per UTC
  // day of the deadline, so that counting the overdue ones walks one day.
  std::map<int64_t, uint64_t> deadline_days_;
  // Complaints changed since their entries were indexed.
  absl::flat_hash_set<std::string> stale_;
  // Complaints closed (dropped) and changed since the last TakeChanges.
  absl::flat_hash_set<std::string> dirty_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_QUEUE_VIEW_H_
