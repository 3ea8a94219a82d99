// CaseRows: a view's rows of one kind, one per complaint, kept in the
// view's store and read through a bounded cache. The rows changed since the
// last TakeChanges stay in memory (the store has them as they were); of the
// others at most `cached` are kept, least recently used out first. So a
// view holds the complaints that are busy, whatever the length of the log.
//
// Rows are grouped or not. Grouped (the month a complaint was received in,
// which never changes), a group is one scan of the store:
//   "c/<id>" -> group, "g/<group>/<id>" -> row.
// Not grouped: "c/<id>" -> row.
//
// Not thread-safe by itself: the views' rule holds (one thread folds; the
// const methods run under the runner's reader lock, never while it folds).
#ifndef LEDGER_PROJECTIONS_CASE_ROWS_H_
#define LEDGER_PROJECTIONS_CASE_ROWS_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/view_store.h"

namespace ledger {

template <typename Row>
class CaseRows {
 public:
  CaseRows(std::string view, bool grouped, size_t cached)
      : view_(std::move(view)),
        grouped_(grouped),
        cached_(std::max<size_t>(cached, 1)) {}

  // Rows are read from `store` from now on; what is cached is dropped.
  void Attach(const ViewStore* store) {
    store_ = store;
    ++attached_;
    generations_.clear();
    slots_.clear();
    newest_ = oldest_ = nullptr;
    clean_ = 0;
    changed_.clear();
    spare_.clear();
  }

  // The row of `id`, to be changed (it stays in memory until TakeChanges);
  // nullptr when there is none. An error is a read of the store that
  // failed.
  absl::StatusOr<Row*> Change(absl::string_view id) {
    ASSIGN_OR_RETURN(const typename Slots::iterator it, Find(id));
    if (it == slots_.end()) return nullptr;
    if (!it->second.changed) Unlink(&it->second);
    MarkChanged(&*it);
    Evict();
    return &it->second.row;
  }

  // The row of `id` to read while folding (cached, not changed); nullptr
  // when there is none.
  absl::StatusOr<const Row*> Peek(absl::string_view id) {
    ASSIGN_OR_RETURN(const typename Slots::iterator it, Find(id));
    if (it == slots_.end()) return nullptr;
    if (!it->second.changed) {
      Unlink(&it->second);
      LinkNewest(&it->second);
    }
    Evict();
    return &it->second.row;
  }

  // A new row for `id` in `group` ("" when not grouped): the complaint's
  // first event, so the store has no row for it (a row in memory is
  // replaced).
  Row* Create(absl::string_view id, std::string group) {
    auto it = slots_.find(id);
    if (it == slots_.end()) {
      it = Insert(id);
    } else {
      Slot& slot = it->second;
      if (!slot.changed) Unlink(&slot);
      if (slot.stored && grouped_ && slot.old_group.empty()) {
        slot.old_group = slot.group;
      }
      slot.row.Clear();
    }
    Slot& slot = it->second;
    slot.group = std::move(group);
    slot.erased = false;
    MarkChanged(&*it);
    Evict();
    return &slot.row;
  }

  // Removes the row of `id` (a complaint whose first event did not fold).
  void Erase(absl::string_view id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    if (!it->second.stored) {
      if (it->second.changed) {
        changed_.erase(std::find(changed_.begin(), changed_.end(), &it->first));
      } else {
        Unlink(&it->second);
      }
      slots_.erase(it);
      return;
    }
    if (!it->second.changed) Unlink(&it->second);
    it->second.erased = true;
    MarkChanged(&*it);
  }

  // The row of `id` as it is now, read without caching; nullopt when none.
  absl::StatusOr<std::optional<Row>> Get(absl::string_view id) const {
    if (auto it = slots_.find(id); it != slots_.end()) {
      if (it->second.erased) return std::nullopt;
      return it->second.row;
    }
    absl::StatusOr<std::optional<Stored>> stored = Read(id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return std::nullopt;
    return std::move((*stored)->row);
  }

  // The row of a changed `id` as it is now (nullptr when erased); nullptr
  // too for one not changed.
  const Row* Current(absl::string_view id) const {
    auto it = slots_.find(id);
    if (it == slots_.end() || !it->second.changed || it->second.erased) {
      return nullptr;
    }
    return &it->second.row;
  }

  // Every row of `group` as it is now, in no particular order, until
  // `visit` returns false. DATA_LOSS for a stored row that does not parse.
  absl::Status ForEachIn(const std::string& group,
                         const std::function<bool(const Row&)>& visit) const {
    return ForEachIn(group, [&visit](absl::string_view, const Row& row) {
      return visit(row);
    });
  }
  // The same, with each row's id.
  absl::Status ForEachIn(const std::string& group,
                         const std::function<bool(absl::string_view id,
                                                  const Row&)>& visit) const {
    const std::string prefix = absl::StrCat("g/", group, "/");
    absl::Status bad;
    bool more = true;
    Row parsed;
    RETURN_IF_ERROR(store_->ScanView(
        view_, prefix, [&](absl::string_view key, absl::string_view value) {
          key.remove_prefix(prefix.size());
          if (auto it = slots_.find(key);
              it != slots_.end() && it->second.changed) {
            return true;  // As it is now: below.
          }
          if (!parsed.ParseFromArray(value.data(),
                                     static_cast<int>(value.size()))) {
            bad = Unparsed(key);
            return false;
          }
          return more = visit(key, parsed);
        }));
    RETURN_IF_ERROR(bad);
    for (const std::string* id : changed_) {
      if (!more) break;
      const Slot& slot = slots_.find(*id)->second;
      if (slot.erased || slot.group != group) continue;
      more = visit(*id, slot.row);
    }
    return absl::OkStatus();
  }

  // The changed rows into *changes; they become clean (cached).
  void TakeChanges(ViewChanges* changes) {
    for (const std::string* changed : changed_) {
      const std::string& id = *changed;
      auto it = slots_.find(id);
      Slot& slot = it->second;
      // The group the store has the row in, if any.
      const std::string was = !slot.stored             ? std::string()
                              : slot.old_group.empty() ? slot.group
                                                       : slot.old_group;
      slot.old_group.clear();
      if (grouped_ && slot.stored && (slot.erased || was != slot.group)) {
        changes->deletes.push_back(GroupKey(was, id));
      }
      if (slot.erased) {
        changes->deletes.push_back(RowKey(id));
        slots_.erase(it);
        continue;
      }
      if (grouped_) {
        if (!slot.stored || was != slot.group) {
          changes->puts.emplace_back(RowKey(id), slot.group);
        }
        changes->puts.emplace_back(GroupKey(slot.group, id),
                                   slot.row.SerializeAsString());
      } else {
        changes->puts.emplace_back(RowKey(id), slot.row.SerializeAsString());
      }
      slot.stored = true;
      slot.changed = false;
      LinkNewest(&slot);
    }
    changed_.clear();
    Evict();
  }

  bool changed(absl::string_view id) const {
    auto it = slots_.find(id);
    return it != slots_.end() && it->second.changed;
  }
  // The ids of the changed rows, in the order they first changed.
  const std::vector<const std::string*>& changed() const { return changed_; }
  // Rows in memory, changed ones included.
  size_t in_memory() const { return slots_.size(); }

  // Changes with every change of a row of `group` (a row handed out by
  // Change, Create or Erase, in or out of the group) and every Attach;
  // equal generations: the group's rows are as they were (a cache of what
  // is computed from them holds: projections/month_cache.h). Grouped rows
  // only.
  using GroupGeneration = std::pair<uint64_t, uint64_t>;
  GroupGeneration Generation(const std::string& group) const {
    auto it = generations_.find(group);
    return {attached_, it == generations_.end() ? 0 : it->second};
  }

 private:
  struct Slot {
    Row row;
    std::string group;
    // The group the store has the row in, while it moves or goes.
    std::string old_group;
    bool stored = false;  // The store has a row for this id.
    bool changed = false;
    bool erased = false;
    // While clean: the cache's list, most recently used first.
    Slot* newer = nullptr;
    Slot* older = nullptr;
    const std::string* id = nullptr;  // The slot's key.
  };
  struct Stored {
    Row row;
    std::string group;
  };
  using Slots = absl::node_hash_map<std::string, Slot>;

  uint64_t attached_ = 0;
  absl::flat_hash_map<std::string, uint64_t> generations_;

  std::string RowKey(absl::string_view id) const {
    return absl::StrCat("c/", id);
  }
  std::string GroupKey(absl::string_view group, absl::string_view id) const {
    return absl::StrCat("g/", group, "/", id);
  }
  absl::Status Unparsed(absl::string_view key) const {
    return absl::DataLossError(absl::StrCat(
        "the row of complaint ", key, " in view ", view_, " does not parse"));
  }

  absl::StatusOr<std::optional<Stored>> Read(absl::string_view id) const {
    absl::StatusOr<std::optional<std::string>> row =
        store_->GetRow(view_, RowKey(id));
    if (!row.ok()) return row.status();
    if (!row->has_value()) return std::nullopt;
    Stored stored;
    if (grouped_) {
      stored.group = std::move(**row);
      row = store_->GetRow(view_, GroupKey(stored.group, id));
      if (!row.ok()) return row.status();
      if (!row->has_value()) {
        return absl::DataLossError(
            absl::StrCat("complaint ", id, " of view ", view_, " is in group ",
                         stored.group, " but has no row"));
      }
    }
    if (!stored.row.ParseFromArray((*row)->data(),
                                   static_cast<int>((*row)->size()))) {
      return Unparsed(id);
    }
    return std::optional<Stored>(std::move(stored));
  }

  // The slot of `id`, read from the store into the cache (clean, most
  // recently used) when not in memory; slots_.end() when there is no row.
  absl::StatusOr<typename Slots::iterator> Find(absl::string_view id) {
    auto it = slots_.find(id);
    if (it != slots_.end()) return it->second.erased ? slots_.end() : it;
    ASSIGN_OR_RETURN(std::optional<Stored> stored, Read(id));
    if (!stored.has_value()) return slots_.end();
    it = Insert(id);
    it->second.row.Swap(&stored->row);
    it->second.group = std::move(stored->group);
    it->second.stored = true;
    LinkNewest(&it->second);
    return it;
  }

  // A new slot for `id` (not in slots_), made of an evicted one when there
  // is one: its row's strings and repeated fields keep their memory, so
  // the rows that stream through the cache are not allocated and freed
  // one by one.
  typename Slots::iterator Insert(absl::string_view id) {
    if (spare_.empty()) {
      auto it = slots_.try_emplace(std::string(id)).first;
      it->second.id = &it->first;
      return it;
    }
    typename Slots::node_type node = std::move(spare_.back());
    spare_.pop_back();
    node.key().assign(id.data(), id.size());
    Slot& slot = node.mapped();
    slot.row.Clear();
    slot.group.clear();
    slot.old_group.clear();
    slot.stored = slot.changed = slot.erased = false;
    slot.newer = slot.older = nullptr;
    auto it = slots_.insert(std::move(node)).position;
    it->second.id = &it->first;
    return it;
  }

  void MarkChanged(typename Slots::value_type* slot) {
    // Every change, not only the first: the caller changes the row next.
    if (grouped_) {
      ++generations_[slot->second.group];
      if (!slot->second.old_group.empty()) {
        ++generations_[slot->second.old_group];
      }
    }
    if (slot->second.changed) return;
    slot->second.changed = true;
    changed_.push_back(&slot->first);
  }

  void LinkNewest(Slot* slot) {
    slot->older = newest_;
    slot->newer = nullptr;
    if (newest_ != nullptr) newest_->newer = slot;
    newest_ = slot;
    if (oldest_ == nullptr) oldest_ = slot;
    ++clean_;
  }
  void Unlink(Slot* slot) {
    (slot->newer != nullptr ? slot->newer->older : newest_) = slot->older;
    (slot->older != nullptr ? slot->older->newer : oldest_) = slot->newer;
    slot->newer = slot->older = nullptr;
    --clean_;
  }

  // Drops the least recently used clean rows beyond the budget (a few kept
  // as spares for Insert).
  void Evict() {
    while (clean_ > cached_) {
      Slot* slot = oldest_;
      Unlink(slot);
      auto it = slots_.find(*slot->id);
      if (spare_.size() < kSpares) {
        spare_.push_back(slots_.extract(it));
      } else {
        slots_.erase(it);
      }
    }
  }

  static constexpr size_t kSpares = 256;

  const std::string view_;
  const bool grouped_;
  const size_t cached_;
  const ViewStore* store_ = nullptr;
  Slots slots_;
  // The clean rows, a list through their slots: newest_ is the most
  // recently used.
  Slot* newest_ = nullptr;
  Slot* oldest_ = nullptr;
  size_t clean_ = 0;
  // Keys of slots_ (node_hash_map's keys stay where they are).
  std::vector<const std::string*> changed_;
  std::vector<typename Slots::node_type> spare_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_CASE_ROWS_H_
