#include "projections/queue_view.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

constexpr uint32_t kDefaultQueuePage = 100;
constexpr int64_t kDayUs = int64_t{86400} * 1000 * 1000;

// Days since the epoch (UTC): the buckets of the deadline counts.
int64_t DayOf(int64_t time_us) {
  return time_us >= 0 ? time_us / kDayUs : (time_us - kDayUs + 1) / kDayUs;
}

v1::QueueItem Item(const v1::ComplaintState& s, std::string what,
                   int64_t due_us, int64_t now_us) {
  v1::QueueItem item;
  item.set_complaint_id(s.complaint_id());
  item.set_owner_agent_id(s.owner_agent_id());
  item.set_due_what(std::move(what));
  item.set_due_us(due_us);
  item.set_overdue(due_us != 0 && due_us < now_us);
  item.set_stage(s.stage());
  item.set_severity(s.severity());
  item.set_important(s.flagged_for_head());
  item.set_station_id(s.station_id());
  return item;
}

std::string TargetLabel(const v1::AssistTarget& t) {
  return t.has_station_id() ? absl::StrCat("station:", t.station_id())
                            : absl::StrCat("department:", t.department_id());
}

// Every deadline of an open case not met yet, soonest first is the
// caller's business.
void Deadlines(const v1::ComplaintState& s, int64_t now_us,
               std::vector<v1::QueueItem>* out) {
  if (s.paperwork_pending()) {
    out->push_back(Item(s, "paperwork", s.paperwork_due_us(), now_us));
  }
  switch (s.stage()) {
    case v1::STAGE_OPEN:
      if (s.escalated_to_gm() && !s.gm_decided()) {
        out->push_back(Item(s, "GM decision", 0, now_us));
      } else if (s.track() == v1::HANDLING_TRACK_UNSPECIFIED) {
        out->push_back(Item(s, "choose a track", 0, now_us));
      } else {
        out->push_back(Item(s, "reply", s.reply_due_us(), now_us));
      }
      if (s.track() == v1::HANDLING_TRACK_COORDINATED &&
          s.assist_requests().empty()) {
        out->push_back(
            Item(s, "assist request", s.assist_request_due_us(), now_us));
      }
      break;
    case v1::STAGE_REPLIED:
      out->push_back(Item(s, "revisit", s.revisit_due_us(), now_us));
      break;
    case v1::STAGE_REVISITED:
      if (!s.paperwork_pending())
        out->push_back(Item(s, "sign-off", 0, now_us));
      break;
    default:
      break;
  }
}

// Every assist request target not answered yet, with the unit's label
// ("station:s1", "department:eng").
void PendingAssists(const v1::ComplaintState& s,
                    std::vector<std::pair<std::string, v1::QueueItem>>* out) {
  for (const auto& request : s.assist_requests()) {
    for (const auto& t : request.targets()) {
      if (t.answered()) continue;
      std::string unit = TargetLabel(t.target());
      v1::QueueItem item = Item(
          s,
          absl::StrCat("assist ", request.assist_request_id(), " from ", unit),
          request.answer_due_us(), 0);
      out->emplace_back(std::move(unit), std::move(item));
    }
  }
}

}  // namespace

absl::Status QueueView::Load(const ViewStore& store) {
  complaints_.clear();
  queues_.clear();
  entries_.clear();
  stale_.clear();
  deadline_days_.clear();
  dirty_.clear();
  RETURN_IF_ERROR(LoadRows(
      store, kName, [&](absl::string_view key, absl::string_view value) {
        return complaints_[std::string(key)].ParseFromArray(
            value.data(), static_cast<int>(value.size()));
      }));
  for (const auto& entry : complaints_) stale_.insert(entry.first);
  Settle();
  return absl::OkStatus();
}

void QueueView::OnEvent(const DecodedEvent& decoded) {
  const v1::Event& event = decoded.event();
  const std::string id = ComplaintIdOfStream(event.stream_id());
  if (id.empty()) return;
  v1::ComplaintState& state = complaints_[id];
  if (!ledger::Apply(decoded, &state).ok()) {
    ++skipped_;
    if (state.stage() == v1::STAGE_UNSPECIFIED) complaints_.erase(id);
    return;
  }
  dirty_.insert(id);
  stale_.insert(id);
}

void QueueView::Settle() {
  Entries fresh;  // Every stale case's entries now.
  for (const std::string& id : stale_) {
    if (auto old = entries_.find(id); old != entries_.end()) {
      for (const auto& [queue, key] : old->second) {
        auto q = queues_.find(queue);
        q->second.erase(key);
        if (q->second.empty()) queues_.erase(q);
        if (queue.first == v1::QUEUE_KIND_OVERDUE) {
          auto d = deadline_days_.find(DayOf(key.due_us));
          if (--d->second == 0) deadline_days_.erase(d);
        }
      }
      entries_.erase(old);
    }
    auto it = complaints_.find(id);
    if (it == complaints_.end()) continue;
    const size_t first = fresh.size();
    EntriesOf(it->second, &fresh);
    if (fresh.size() == first) continue;
    entries_.emplace(id, Entries(fresh.begin() + first, fresh.end()));
  }
  stale_.clear();
  // Into the queues in order, each key next to the one before: a load
  // settles every case at once, and a million inserts in hash order cost a
  // tree descent and its cache misses each (BENCHMARKS.md, "Restart and memory").
  std::sort(fresh.begin(), fresh.end());
  const QueueId* queue_id = nullptr;
  Queue* queue = nullptr;
  Queue::iterator next;
  for (const auto& [id, key] : fresh) {
    if (queue_id == nullptr || *queue_id != id) {
      queue_id = &id;
      queue = &queues_[id];  // Stable while only this queue grows.
      next = queue->end();
    }
    next = std::next(queue->insert(next, key));
    if (id.first == v1::QUEUE_KIND_OVERDUE) {
      ++deadline_days_[DayOf(key.due_us)];
    }
  }
}

void QueueView::EntriesOf(const v1::ComplaintState& s, Entries* out) {
  if (s.stage() == v1::STAGE_CLOSED) return;
  auto add = [&](int kind, std::string partition, const v1::QueueItem& item) {
    out->emplace_back(QueueId{kind, std::move(partition)},
                      Key{item.due_us() == 0, item.due_us(),
                          item.complaint_id(), item.due_what()});
  };
  std::vector<v1::QueueItem> due;
  Deadlines(s, 0, &due);
  std::vector<std::pair<std::string, v1::QueueItem>> assists;
  PendingAssists(s, &assists);
  // The case once, at its most urgent deadline.
  auto urgent = std::min_element(
      due.begin(), due.end(), [](const auto& a, const auto& b) {
        return std::make_tuple(a.due_us() == 0, a.due_us()) <
               std::make_tuple(b.due_us() == 0, b.due_us());
      });
  if (urgent != due.end()) {
    add(v1::QUEUE_KIND_OPEN_BY_OWNER, s.owner_agent_id(), *urgent);
  }
  for (const auto& [unit, item] : assists) {
    add(v1::QUEUE_KIND_ASSISTS_PENDING, "", item);
    add(v1::QUEUE_KIND_ASSISTS_PENDING, unit, item);
    if (item.due_us() != 0) add(v1::QUEUE_KIND_OVERDUE, "", item);
  }
  if (s.stage() == v1::STAGE_REPLIED) {
    add(v1::QUEUE_KIND_REVISITS_DUE, "",
        Item(s, "revisit", s.revisit_due_us(), 0));
  }
  if (s.stage() == v1::STAGE_REVISITED && !s.paperwork_pending()) {
    add(v1::QUEUE_KIND_SIGN_OFFS_WAITING, "", Item(s, "sign-off", 0, 0));
  }
  if (s.paperwork_pending()) {
    add(v1::QUEUE_KIND_PAPERWORK_PENDING, "",
        Item(s, "paperwork", s.paperwork_due_us(), 0));
  }
  if (s.stage() == v1::STAGE_OPEN && s.escalated_to_gm() && !s.gm_decided()) {
    add(v1::QUEUE_KIND_ESCALATIONS_WAITING, "", Item(s, "GM decision", 0, 0));
  }
  if (s.flagged_for_head() && !due.empty()) {
    add(v1::QUEUE_KIND_IMPORTANT, "", due.front());
  }
  for (const auto& item : due) {
    if (item.due_us() != 0) add(v1::QUEUE_KIND_OVERDUE, "", item);
  }
}

void QueueView::TakeChanges(ViewChanges* changes) {
  Settle();
  for (const std::string& id : dirty_) {
    auto it = complaints_.find(id);
    if (it == complaints_.end()) {
      changes->deletes.push_back(id);
    } else {
      changes->puts.emplace_back(id, it->second.SerializeAsString());
    }
  }
  dirty_.clear();
}

absl::StatusOr<v1::GetQueueResponse> QueueView::Query(
    const v1::GetQueueRequest& r, int64_t now_us) const {
  const uint32_t page = r.page_size() == 0 ? kDefaultQueuePage : r.page_size();
  if (page > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size is ", page, ", the limit is ", kMaxPageSize));
  }
  uint64_t offset = 0;
  if (!r.page_token().empty() && !absl::SimpleAtoi(r.page_token(), &offset)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", r.page_token(), "\" is not one of ours"));
  }
  if (r.kind() == v1::QUEUE_KIND_OPEN_BY_OWNER && r.owner_agent_id().empty()) {
    return absl::InvalidArgumentError(
        "owner_agent_id is required for the open-by-owner queue");
  }
  QueueId queue{r.kind(), ""};
  switch (r.kind()) {
    case v1::QUEUE_KIND_OPEN_BY_OWNER:
      queue.second = r.owner_agent_id();
      break;
    case v1::QUEUE_KIND_ASSISTS_PENDING:
      if (!r.station_id().empty() && !r.department_id().empty()) {
        return absl::InvalidArgumentError(
            "name a station_id or a department_id, not both");
      }
      if (!r.station_id().empty()) {
        queue.second = absl::StrCat("station:", r.station_id());
      } else if (!r.department_id().empty()) {
        queue.second = absl::StrCat("department:", r.department_id());
      }
      break;
    case v1::QUEUE_KIND_REVISITS_DUE:
    case v1::QUEUE_KIND_SIGN_OFFS_WAITING:
    case v1::QUEUE_KIND_PAPERWORK_PENDING:
    case v1::QUEUE_KIND_ESCALATIONS_WAITING:
    case v1::QUEUE_KIND_IMPORTANT:
    case v1::QUEUE_KIND_OVERDUE:
      break;
    default:
      return absl::InvalidArgumentError("kind: name a queue");
  }
  // The indexed entries of complaints not stale, merged with the stale
  // complaints' entries as they are now. `replaced`: the stale complaints'
  // entries still in the index, skipped.
  std::vector<Key> changed, replaced;
  Entries fresh;
  for (const std::string& id : stale_) {
    if (auto it = entries_.find(id); it != entries_.end()) {
      for (const auto& [q, key] : it->second) {
        if (q == queue) replaced.push_back(key);
      }
    }
    auto it = complaints_.find(id);
    if (it == complaints_.end()) continue;
    fresh.clear();
    EntriesOf(it->second, &fresh);
    for (auto& [q, key] : fresh) {
      if (q == queue) changed.push_back(std::move(key));
    }
  }
  std::sort(changed.begin(), changed.end());
  static const Queue kEmpty;
  auto found = queues_.find(queue);
  const Queue& indexed = found == queues_.end() ? kEmpty : found->second;
  auto a = indexed.begin();
  auto b = changed.begin();
  auto next = [&]() -> const Key* {
    while (a != indexed.end() && stale_.contains(a->complaint_id)) ++a;
    if (a == indexed.end() && b == changed.end()) return nullptr;
    if (b == changed.end() || (a != indexed.end() && *a < *b)) return &*a++;
    return &*b++;
  };
  uint64_t total = indexed.size() - replaced.size() + changed.size();
  // Overdue: the deadlines up to now, counted without walking them all:
  // whole days from the per-day counts, today's by walking today's part.
  const bool overdue_only = r.kind() == v1::QUEUE_KIND_OVERDUE;
  if (overdue_only) {
    const int64_t today = DayOf(now_us);
    total = 0;
    for (auto d = deadline_days_.begin();
         d != deadline_days_.end() && d->first < today; ++d) {
      total += d->second;
    }
    for (auto it = indexed.lower_bound(Key{false, today * kDayUs, "", ""});
         it != indexed.end() && !it->no_deadline && it->due_us < now_us; ++it) {
      total += !stale_.contains(it->complaint_id);
    }
    for (const Key& key : replaced) {
      total -= !key.no_deadline && DayOf(key.due_us) < today;
    }
    for (const Key& key : changed) {
      total += !key.no_deadline && key.due_us < now_us;
    }
  }
  v1::GetQueueResponse response;
  uint64_t shown = 0;
  for (const Key* key = next(); key != nullptr && shown < offset + page;
       key = next(), ++shown) {
    if (overdue_only && (key->no_deadline || key->due_us >= now_us)) break;
    if (shown >= offset) {
      *response.add_items() = Item(complaints_.at(key->complaint_id), key->what,
                                   key->due_us, now_us);
    }
  }
  response.set_total(total);
  if (offset + page < total) {
    response.set_next_page_token(absl::StrCat(offset + page));
  }
  return response;
}

}  // namespace ledger
