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
#include <list>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
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
    slots_.clear();
    clean_.clear();
    changed_.clear();
  }

  // The row of `id`, to be changed (it stays in memory until TakeChanges);
  // nullptr when there is none. An error is a read of the store that
  // failed.
  absl::StatusOr<Row*> Change(absl::string_view id) {
    ASSIGN_OR_RETURN(const typename Slots::iterator it, Find(id));
    if (it == slots_.end()) return nullptr;
    if (!it->second.changed) clean_.erase(it->second.lru);
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
      clean_.splice(clean_.begin(), clean_, it->second.lru);
    }
    Evict();
    return &it->second.row;
  }

  // A new row for `id` in `group` ("" when not grouped): the complaint's
  // first event, so the store has no row for it (a row in memory is
  // replaced).
  Row* Create(absl::string_view id, std::string group) {
    auto [it, inserted] = slots_.try_emplace(std::string(id));
    Slot& slot = it->second;
    if (!inserted) {
      if (!slot.changed) clean_.erase(slot.lru);
      if (slot.stored && grouped_ && slot.old_group.empty()) {
        slot.old_group = slot.group;
      }
    }
    slot.row = Row();
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
      if (it->second.changed)
        changed_.erase(it->first);
      else
        clean_.erase(it->second.lru);
      slots_.erase(it);
      return;
    }
    if (!it->second.changed) clean_.erase(it->second.lru);
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
          return more = visit(parsed);
        }));
    RETURN_IF_ERROR(bad);
    for (const std::string& id : changed_) {
      if (!more) break;
      const Slot& slot = slots_.find(id)->second;
      if (slot.erased || slot.group != group) continue;
      more = visit(slot.row);
    }
    return absl::OkStatus();
  }

  // The changed rows into *changes; they become clean (cached).
  void TakeChanges(ViewChanges* changes) {
    for (const std::string& id : changed_) {
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
      clean_.push_front(&it->first);
      slot.lru = clean_.begin();
    }
    changed_.clear();
    Evict();
  }

  bool changed(absl::string_view id) const { return changed_.contains(id); }
  const absl::flat_hash_set<std::string>& changed() const { return changed_; }
  // Rows in memory, changed ones included.
  size_t in_memory() const { return slots_.size(); }

 private:
  struct Slot {
    Row row;
    std::string group;
    // The group the store has the row in, while it moves or goes.
    std::string old_group;
    bool stored = false;  // The store has a row for this id.
    bool changed = false;
    bool erased = false;
    std::list<const std::string*>::iterator lru;  // While clean.
  };
  struct Stored {
    Row row;
    std::string group;
  };
  using Slots = absl::node_hash_map<std::string, Slot>;

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
    it = slots_.try_emplace(std::string(id)).first;
    it->second.row = std::move(stored->row);
    it->second.group = std::move(stored->group);
    it->second.stored = true;
    clean_.push_front(&it->first);
    it->second.lru = clean_.begin();
    return it;
  }

  void MarkChanged(typename Slots::value_type* slot) {
    if (slot->second.changed) return;
    slot->second.changed = true;
    changed_.insert(slot->first);
  }

  // Drops the least recently used clean rows beyond the budget.
  void Evict() {
    while (clean_.size() > cached_) {
      const std::string* id = clean_.back();
      clean_.pop_back();
      slots_.erase(*id);
    }
  }

  const std::string view_;
  const bool grouped_;
  const size_t cached_;
  const ViewStore* store_ = nullptr;
  Slots slots_;
  // Clean rows, most recently used first (keys of slots_).
  std::list<const std::string*> clean_;
  absl::flat_hash_set<std::string> changed_;
};

}  // namespace ledger

#endif  // LEDGER_PROJECTIONS_CASE_ROWS_H_
