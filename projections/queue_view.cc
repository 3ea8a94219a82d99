#include "projections/queue_view.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/store/limits.h"
#include "ledger/v1/projection_rows.pb.h"

namespace ledger {
namespace {

constexpr uint32_t kDefaultQueuePage = 100;
constexpr int64_t kDayUs = int64_t{86400} * 1000 * 1000;
constexpr char kStatePrefix[] = "c/";
constexpr char kIndexPrefix[] = "i/";
constexpr char kCountsRow[] = "n";

// Days since the epoch (UTC): the buckets of the deadline counts.
int64_t DayOf(int64_t time_us) {
  return time_us >= 0 ? time_us / kDayUs : (time_us - kDayUs + 1) / kDayUs;
}

// Something due of a complaint: what, and by when (0: no deadline). A queue
// entry's key is made of it; what the entry shows of the complaint is its
// value (QueueView::Shown).
struct Due {
  std::string what;
  int64_t due_us;
};

std::string TargetLabel(const v1::AssistTarget& t) {
  return t.has_station_id() ? absl::StrCat("station:", t.station_id())
                            : absl::StrCat("department:", t.department_id());
}

// A sign-off has no deadline; one the latest revisit left the customer
// dissatisfied for needs the head's override (docs/rules.md §8, §9), and
// says so.
Due SignOff(const v1::ComplaintState& s) {
  return Due{s.dissatisfied_but_resolved()
                 ? "sign-off (customer dissatisfied: override)"
                 : "sign-off",
             0};
}

// Every deadline of an open case not met yet, soonest first is the
// caller's business.
void Deadlines(const v1::ComplaintState& s, std::vector<Due>* out) {
  if (s.paperwork_pending()) {
    out->push_back(Due{"paperwork", s.paperwork_due_us()});
  }
  switch (s.stage()) {
    case v1::STAGE_OPEN:
      if (s.escalated_to_gm() && !s.gm_decided()) {
        out->push_back(Due{"GM decision", 0});
      } else if (s.track() == v1::HANDLING_TRACK_UNSPECIFIED) {
        out->push_back(Due{"choose a track", 0});
      } else {
        out->push_back(Due{"reply", s.reply_due_us()});
      }
      if (s.track() == v1::HANDLING_TRACK_COORDINATED &&
          s.assist_requests().empty()) {
        out->push_back(Due{"assist request", s.assist_request_due_us()});
      }
      break;
    case v1::STAGE_REPLIED:
      out->push_back(Due{"revisit", s.revisit_due_us()});
      break;
    case v1::STAGE_REVISITED:
      if (!s.paperwork_pending()) out->push_back(SignOff(s));
      break;
    default:
      break;
  }
}

// Every assist request target not answered yet, with the unit's label
// ("station:s1", "department:eng").
void PendingAssists(const v1::ComplaintState& s,
                    std::vector<std::pair<std::string, Due>>* out) {
  for (const auto& request : s.assist_requests()) {
    for (const auto& t : request.targets()) {
      if (t.answered()) continue;
      std::string unit = TargetLabel(t.target());
      Due due{
          absl::StrCat("assist ", request.assist_request_id(), " from ", unit),
          request.answer_due_us()};
      out->emplace_back(std::move(unit), std::move(due));
    }
  }
}

}  // namespace

QueueView::Shown QueueView::Shown::Of(const v1::ComplaintState& s) {
  return Shown{s.owner_agent_id(), s.stage(), s.severity(),
               s.flagged_for_head(), s.station_id()};
}

std::string QueueView::Shown::Serialize() const {
  v1::QueueItem item;
  item.set_owner_agent_id(owner_agent_id);
  item.set_stage(static_cast<v1::Stage>(stage));
  item.set_severity(static_cast<v1::Severity>(severity));
  item.set_important(important);
  item.set_station_id(station_id);
  return item.SerializeAsString();
}

QueueView::QueueView(ViewOptions options)
    : View(options),
      complaints_(kName, /*grouped=*/false, options.cached_cases) {
  complaints_.Attach(&store());
}

absl::Status QueueView::Restore(const ViewStore& store) {
  complaints_.Attach(&store);
  before_.clear();
  counts_.clear();
  overdue_days_.clear();
  counts_changed_ = false;
  v1::QueueCountsRow counts;
  RETURN_IF_ERROR(ReadRow(store, kName, kCountsRow, &counts).status());
  for (const auto& q : counts.queues()) {
    counts_[QueueId{q.kind(), q.partition()}] = q.entries();
  }
  for (const auto& d : counts.overdue_days()) {
    overdue_days_[d.day()] = d.entries();
  }
  return absl::OkStatus();
}

void QueueView::OnEvent(const DecodedEvent& decoded) {
  const v1::Event& event = decoded.event();
  const std::string id = ComplaintIdOfStream(event.stream_id());
  if (id.empty()) return;
  const bool first_change = !complaints_.changed(id);
  v1::ComplaintState* state;
  if (event.revision() == 0) {
    // The complaint's first event: no row of it was ever written.
    state = complaints_.Create(id, "");
  } else {
    absl::StatusOr<v1::ComplaintState*> found = complaints_.Change(id);
    if (!found.ok()) {
      Break(found.status());
      ++skipped_;
      return;
    }
    state = *found != nullptr ? *found : complaints_.Create(id, "");
  }
  if (first_change) {
    // What the index has for it: the entries of its state as written.
    Written& before = before_[id];
    before.entries.clear();
    if (state->stage() != v1::STAGE_UNSPECIFIED) {
      EntriesOf(*state, &before.entries);
      before.shown = Shown::Of(*state);
    }
  }
  if (!ledger::Apply(decoded, state).ok()) {
    ++skipped_;
    if (state->stage() == v1::STAGE_UNSPECIFIED) complaints_.Erase(id);
  }
}

void QueueView::EntriesOf(const v1::ComplaintState& s, Entries* out) {
  if (s.stage() == v1::STAGE_CLOSED) return;
  const size_t first = out->size();
  auto add = [&](int kind, std::string partition, const Due& due) {
    out->push_back(
        Entry{QueueId{kind, std::move(partition)},
              Key{due.due_us == 0, due.due_us, s.complaint_id(), due.what}});
  };
  std::vector<Due> due;
  Deadlines(s, &due);
  std::vector<std::pair<std::string, Due>> assists;
  PendingAssists(s, &assists);
  // The case once, at its most urgent deadline.
  auto urgent =
      std::min_element(due.begin(), due.end(), [](const Due& a, const Due& b) {
        return std::make_tuple(a.due_us == 0, a.due_us) <
               std::make_tuple(b.due_us == 0, b.due_us);
      });
  if (urgent != due.end()) {
    add(v1::QUEUE_KIND_OPEN_BY_OWNER, s.owner_agent_id(), *urgent);
  }
  for (const auto& [unit, item] : assists) {
    add(v1::QUEUE_KIND_ASSISTS_PENDING, "", item);
    add(v1::QUEUE_KIND_ASSISTS_PENDING, unit, item);
    if (item.due_us != 0) add(v1::QUEUE_KIND_OVERDUE, "", item);
  }
  if (s.stage() == v1::STAGE_REPLIED) {
    add(v1::QUEUE_KIND_REVISITS_DUE, "", Due{"revisit", s.revisit_due_us()});
  }
  if (s.stage() == v1::STAGE_REVISITED && !s.paperwork_pending()) {
    add(v1::QUEUE_KIND_SIGN_OFFS_WAITING, "", SignOff(s));
  }
  if (s.paperwork_pending()) {
    add(v1::QUEUE_KIND_PAPERWORK_PENDING, "",
        Due{"paperwork", s.paperwork_due_us()});
  }
  if (s.stage() == v1::STAGE_OPEN && s.escalated_to_gm() && !s.gm_decided()) {
    add(v1::QUEUE_KIND_ESCALATIONS_WAITING, "", Due{"GM decision", 0});
  }
  if (s.flagged_for_head() && !due.empty()) {
    add(v1::QUEUE_KIND_IMPORTANT, "", due.front());
  }
  for (const Due& item : due) {
    if (item.due_us != 0) add(v1::QUEUE_KIND_OVERDUE, "", item);
  }
  std::sort(out->begin() + first, out->end());
}

std::string QueueView::IndexPrefix(const QueueId& queue) {
  std::string key = kIndexPrefix;
  key.push_back(static_cast<char>(queue.first));
  key.append(queue.second);
  key.push_back('\0');
  return key;
}

std::string QueueView::IndexKey(const QueueId& queue, const Key& k) {
  return absl::StrCat(IndexPrefix(queue), EntryBytes(k));
}

std::string QueueView::EntryBytes(const Key& k) {
  std::string key;
  key.push_back(k.no_deadline ? 1 : 0);
  // Signed times in order as unsigned bytes.
  PutFixed64BE(&key, static_cast<uint64_t>(k.due_us) ^ (uint64_t{1} << 63));
  key.append(k.complaint_id);
  key.push_back('\0');
  key.append(k.what);
  return key;
}

bool QueueView::ParseIndexKey(absl::string_view key, size_t prefix, Key* out) {
  if (key.size() < prefix + 9) return false;
  key.remove_prefix(prefix);
  out->no_deadline = key[0] != 0;
  out->due_us = static_cast<int64_t>(DecodeFixed64BE(key.data() + 1) ^
                                     (uint64_t{1} << 63));
  key.remove_prefix(9);
  const size_t end = key.find('\0');
  if (end == absl::string_view::npos) return false;
  out->complaint_id.assign(key.data(), end);
  out->what.assign(key.data() + end + 1, key.size() - end - 1);
  return true;
}

void QueueView::Count(const QueueId& queue, const Key& key, int delta) {
  counts_changed_ = true;
  auto bump = [delta](auto& map, const auto& at) {
    auto it = map.find(at);
    if (delta > 0) {
      if (it == map.end()) it = map.emplace(at, 0).first;
      ++it->second;
    } else if (it != map.end() && --it->second == 0) {
      map.erase(it);
    }
  };
  bump(counts_, queue);
  if (queue.first == v1::QUEUE_KIND_OVERDUE) {
    bump(overdue_days_, DayOf(key.due_us));
  }
}

void QueueView::Changes(ViewChanges* changes) {
  Entries after;
  for (const std::string* changed_id : complaints_.changed()) {
    const std::string& id = *changed_id;
    after.clear();
    Shown shown;
    if (const v1::ComplaintState* state = complaints_.Current(id)) {
      EntriesOf(*state, &after);
      shown = Shown::Of(*state);
    }
    static const Written kNone;
    auto was = before_.find(id);
    const Written& before = was == before_.end() ? kNone : was->second;
    // The rows' value, made once for all of them when one is written.
    std::string value;
    auto put = [&](const Entry& entry) {
      if (value.empty()) value = shown.Serialize();
      changes->puts.emplace_back(IndexKey(entry.queue, entry.key), value);
    };
    const bool shown_changed = shown != before.shown;
    // Both sorted: out what went, in what came, rewritten what shows
    // otherwise (a new owner, stage or severity at the same place).
    auto b = before.entries.begin();
    auto a = after.begin();
    while (b != before.entries.end() || a != after.end()) {
      if (a == after.end() || (b != before.entries.end() && *b < *a)) {
        changes->deletes.push_back(IndexKey(b->queue, b->key));
        Count(b->queue, b->key, -1);
        ++b;
      } else if (b == before.entries.end() || *a < *b) {
        put(*a);
        Count(a->queue, a->key, +1);
        ++a;
      } else {
        if (shown_changed) put(*a);
        ++a;
        ++b;
      }
    }
  }
  before_.clear();
  complaints_.TakeChanges(changes);
  if (counts_changed_) {
    v1::QueueCountsRow counts;
    for (const auto& [queue, n] : counts_) {
      auto* q = counts.add_queues();
      q->set_kind(queue.first);
      q->set_partition(queue.second);
      q->set_entries(n);
    }
    for (const auto& [day, n] : overdue_days_) {
      auto* d = counts.add_overdue_days();
      d->set_day(day);
      d->set_entries(n);
    }
    changes->puts.emplace_back(kCountsRow, counts.SerializeAsString());
    counts_changed_ = false;
  }
}

absl::StatusOr<v1::GetQueueResponse> QueueView::Query(
    const v1::GetQueueRequest& r, int64_t now_us) const {
  const uint32_t page = r.page_size() == 0 ? kDefaultQueuePage : r.page_size();
  if (page > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size is ", page, ", the limit is ", kMaxPageSize));
  }
  // A page token is "k" and the hex of the last entry shown: the next page
  // starts after it, one seek away. A number is an offset (the tokens of
  // builds before views v2, still taken; a walk from the front).
  uint64_t offset = 0;
  std::optional<Key> after;
  if (const std::string& token = r.page_token(); !token.empty()) {
    Key last;
    const bool hex =
        token.size() % 2 == 1 &&
        token.find_first_not_of("0123456789abcdef", 1) == std::string::npos;
    if (token[0] == 'k' && hex &&
        ParseIndexKey(absl::HexStringToBytes(token.substr(1)), 0, &last)) {
      after = std::move(last);
    } else if (!absl::SimpleAtoi(token, &offset)) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_token \"", token, "\" is not one of ours"));
    }
  }
  if (r.kind() == v1::QUEUE_KIND_OPEN_BY_OWNER && r.owner_agent_id().empty()) {
    return absl::InvalidArgumentError(
        "owner_agent_id is required for the open-by-owner queue");
  }
  // A filter a queue is not kept by is refused, never ignored (a reader
  // would take everyone's queue for theirs).
  if (r.kind() != v1::QUEUE_KIND_OPEN_BY_OWNER && !r.owner_agent_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "owner_agent_id filters the open-by-owner queue only, not ",
        v1::QueueKind_Name(r.kind())));
  }
  if (r.kind() != v1::QUEUE_KIND_ASSISTS_PENDING &&
      (!r.station_id().empty() || !r.department_id().empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "station_id and department_id filter the assists-pending queue "
        "only, not ",
        v1::QueueKind_Name(r.kind())));
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
  // The index, skipping the complaints changed since it was written,
  // merged with those complaints' entries as they are now (`changed`);
  // `replaced`: their entries still in the index.
  std::vector<std::pair<Key, std::string>> changed;
  uint64_t replaced = 0, replaced_before_today = 0;
  const bool overdue_only = r.kind() == v1::QUEUE_KIND_OVERDUE;
  const int64_t today = DayOf(now_us);
  Entries entries;
  for (const std::string* changed_id : complaints_.changed()) {
    const std::string& id = *changed_id;
    if (auto it = before_.find(id); it != before_.end()) {
      for (const Entry& e : it->second.entries) {
        if (e.queue != queue) continue;
        ++replaced;
        replaced_before_today +=
            !e.key.no_deadline && DayOf(e.key.due_us) < today;
      }
    }
    entries.clear();
    const v1::ComplaintState* state = complaints_.Current(id);
    if (state != nullptr) EntriesOf(*state, &entries);
    std::string value;
    for (Entry& e : entries) {
      if (e.queue != queue) continue;
      if (value.empty()) value = Shown::Of(*state).Serialize();
      changed.emplace_back(std::move(e.key), value);
    }
  }
  std::sort(changed.begin(), changed.end());
  const std::string prefix = IndexPrefix(queue);
  auto indexed = counts_.find(queue);
  uint64_t total = (indexed == counts_.end() ? 0 : indexed->second) - replaced +
                   changed.size();
  absl::Status bad;
  auto parse = [&](absl::string_view row, Key* key) {
    if (ParseIndexKey(row, prefix.size(), key)) return true;
    bad = absl::DataLossError(
        absl::StrCat("an index row of view ", kName, " does not parse"));
    return false;
  };
  if (overdue_only) {
    // The deadlines up to now, counted without walking them all: whole
    // days from the per-day counts, today's by walking today's part.
    total = 0;
    for (auto d = overdue_days_.begin();
         d != overdue_days_.end() && d->first < today; ++d) {
      total += d->second;
    }
    total -= replaced_before_today;
    Key key;
    RETURN_IF_ERROR(store().ScanViewFrom(
        kName, prefix, IndexKey(queue, Key{false, today * kDayUs, "", ""}),
        [&](absl::string_view row, absl::string_view) {
          if (!parse(row, &key)) return false;
          if (key.no_deadline || key.due_us >= now_us) return false;
          total += !complaints_.changed(key.complaint_id);
          return true;
        }));
    RETURN_IF_ERROR(bad);
    for (const auto& [k, item] : changed) {
      total += !k.no_deadline && k.due_us < now_us;
    }
  }
  // The page's entries, after `after` or `offset` of them, and whether
  // another follows.
  std::vector<std::pair<Key, std::string>> shown;
  uint64_t skipped = 0;
  bool more_after = false;
  auto show = [&](const Key& key, absl::string_view item) {
    if (after.has_value() && key <= *after) return true;
    if (overdue_only && (key.no_deadline || key.due_us >= now_us)) {
      return false;  // Past now: nothing more is overdue.
    }
    if (skipped < offset) {
      ++skipped;
      return true;
    }
    if (shown.size() == page) {
      more_after = true;
      return false;
    }
    shown.emplace_back(key, std::string(item));
    return true;
  };
  auto next_changed =
      after.has_value()
          ? std::upper_bound(
                changed.begin(), changed.end(), *after,
                [](const Key& k, const auto& entry) { return k < entry.first; })
          : changed.begin();
  bool more = true;
  Key key;
  RETURN_IF_ERROR(store().ScanViewFrom(
      kName, prefix,
      after.has_value() ? IndexKey(queue, *after) : std::string(),
      [&](absl::string_view row, absl::string_view item) {
        if (!parse(row, &key)) return false;
        if (complaints_.changed(key.complaint_id)) return true;
        while (next_changed != changed.end() && next_changed->first < key) {
          const auto& [k, fields] = *next_changed++;
          if (!(more = show(k, fields))) return false;
        }
        return more = show(key, item);
      }));
  RETURN_IF_ERROR(bad);
  while (more && next_changed != changed.end()) {
    const auto& [k, fields] = *next_changed++;
    more = show(k, fields);
  }
  v1::GetQueueResponse response;
  for (const auto& [k, fields] : shown) {
    v1::QueueItem* item = response.add_items();
    if (!item->ParseFromString(fields)) {
      return absl::DataLossError(absl::StrCat("the index entry of view ", kName,
                                              " for complaint ", k.complaint_id,
                                              " does not parse"));
    }
    item->set_complaint_id(k.complaint_id);
    item->set_due_what(k.what);
    item->set_due_us(k.due_us);
    item->set_overdue(k.due_us != 0 && k.due_us < now_us);
  }
  response.set_total(total);
  if (more_after) {
    response.set_next_page_token(absl::StrCat(
        "k", absl::BytesToHexString(EntryBytes(shown.back().first))));
  }
  return response;
}

}  // namespace ledger
