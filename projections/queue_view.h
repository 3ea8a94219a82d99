// QueueView: the work queues. Holds the state of every complaint
// (ledger/complaint/state.h, the same fold the write side uses) and
// answers queue queries from it: open cases per owner, assist requests
// pending per unit, revisits due, sign-offs waiting, paperwork pending,
// escalations waiting, important cases, everything overdue at a given
// time; sorted by deadline, paged. Rows: complaint id -> ComplaintState.
#ifndef LEDGER_PROJECTIONS_QUEUE_VIEW_H_
#define LEDGER_PROJECTIONS_QUEUE_VIEW_H_

#include <string>

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
  absl::Status Load(const EventStore& store) override;
  void Apply(const v1::Event& event) override;
  void TakeChanges(ViewChanges* changes) override;

  // INVALID_ARGUMENT for a bad kind, page size or token.
  absl::StatusOr<v1::GetQueueResponse> Query(const v1::GetQueueRequest& request,
                                             int64_t now_us) const;

  size_t complaints() const { return complaints_.size(); }

 private:
  // Closed ones too: the centre head may reopen a closed complaint, and its
  // state is needed then. Queries skip them.
  absl::flat_hash_map<std::string, v1::ComplaintState> complaints_;
  // Complaints closed (dropped) and changed since the last TakeChanges.
  absl::flat_hash_set<std::string> dirty_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_QUEUE_VIEW_H_
