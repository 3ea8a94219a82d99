// MemoryViewStore: a ViewStore in memory, for views that are not kept
// beside a log: a view folded on its own (an as-of replay, a test, a
// benchmark) keeps its rows here, so that it answers through the same
// code as a view whose rows are on disk. Lost when it is destroyed.
#ifndef LEDGER_PROJECTIONS_MEMORY_VIEW_STORE_H_
#define LEDGER_PROJECTIONS_MEMORY_VIEW_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ledger/store/view_store.h"

namespace ledger {

class MemoryViewStore final : public ViewStore {
 public:
  absl::Status WriteViews(const std::vector<ViewChanges>& changes) override;
  absl::Status ScanViewFrom(
      const std::string& view, absl::string_view key_prefix,
      absl::string_view from_key,
      const std::function<bool(absl::string_view, absl::string_view)>& visit)
      const override;
  absl::StatusOr<std::optional<std::string>> GetRow(
      const std::string& view, absl::string_view key) const override;
  absl::StatusOr<uint64_t> ViewCheckpoint(
      const std::string& view) const override;
  absl::Status DropView(const std::string& view) override;
  absl::Status DropAllViews() override;
  absl::Status SaveCheckpoints(
      const std::vector<std::pair<std::string, uint64_t>>& checkpoints)
      override;
  absl::StatusOr<uint64_t> LoadCheckpoint(
      const std::string& name) const override;

 private:
  using Rows = std::map<std::string, std::string, std::less<>>;

  mutable absl::Mutex mu_;
  std::map<std::string, Rows, std::less<>> views_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> view_checkpoints_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> checkpoints_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_MEMORY_VIEW_STORE_H_
