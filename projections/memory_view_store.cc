#include "projections/memory_view_store.h"

#include <algorithm>

namespace ledger {

absl::Status MemoryViewStore::WriteViews(
    const std::vector<ViewChanges>& changes) {
  absl::MutexLock lock(&mu_);
  for (const ViewChanges& view : changes) {
    Rows& rows = views_[view.view];
    // As RocksViewStore: the puts, then the deletes.
    for (const auto& [key, value] : view.puts) rows[key] = value;
    for (const std::string& key : view.deletes) rows.erase(key);
    view_checkpoints_[view.view] = view.checkpoint;
  }
  return absl::OkStatus();
}

absl::Status MemoryViewStore::ScanViewFrom(
    const std::string& view, absl::string_view key_prefix,
    absl::string_view from_key,
    const std::function<bool(absl::string_view, absl::string_view)>& visit)
    const {
  absl::ReaderMutexLock lock(&mu_);
  auto rows = views_.find(view);
  if (rows == views_.end()) return absl::OkStatus();
  for (auto it = rows->second.lower_bound(std::max(key_prefix, from_key));
       it != rows->second.end() &&
       absl::string_view(it->first).substr(0, key_prefix.size()) == key_prefix;
       ++it) {
    if (!visit(it->first, it->second)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryViewStore::GetRow(
    const std::string& view, absl::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto rows = views_.find(view);
  if (rows == views_.end()) return std::nullopt;
  auto it = rows->second.find(key);
  if (it == rows->second.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<uint64_t> MemoryViewStore::ViewCheckpoint(
    const std::string& view) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = view_checkpoints_.find(view);
  return it == view_checkpoints_.end() ? 0 : it->second;
}

absl::Status MemoryViewStore::DropView(const std::string& view) {
  absl::MutexLock lock(&mu_);
  views_.erase(view);
  view_checkpoints_.erase(view);
  return absl::OkStatus();
}

absl::Status MemoryViewStore::DropAllViews() {
  absl::MutexLock lock(&mu_);
  views_.clear();
  view_checkpoints_.clear();
  return absl::OkStatus();
}

absl::Status MemoryViewStore::SaveCheckpoints(
    const std::vector<std::pair<std::string, uint64_t>>& checkpoints) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, position] : checkpoints)
    checkpoints_[name] = position;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> MemoryViewStore::LoadCheckpoint(
    const std::string& name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = checkpoints_.find(name);
  return it == checkpoints_.end() ? 0 : it->second;
}

}  // namespace ledger
