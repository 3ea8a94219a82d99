#include "projections/queue_view.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/complaint/state.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

constexpr uint32_t kDefaultQueuePage = 100;

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

void PendingAssists(const v1::ComplaintState& s, const v1::GetQueueRequest& r,
                    int64_t now_us, std::vector<v1::QueueItem>* out) {
  for (const auto& request : s.assist_requests()) {
    for (const auto& t : request.targets()) {
      if (t.answered()) continue;
      if (!r.station_id().empty() &&
          t.target().station_id() != r.station_id()) {
        continue;
      }
      if (!r.department_id().empty() &&
          t.target().department_id() != r.department_id()) {
        continue;
      }
      out->push_back(Item(s,
                          absl::StrCat("assist ", request.assist_request_id(),
                                       " from ", TargetLabel(t.target())),
                          request.answer_due_us(), now_us));
    }
  }
}

}  // namespace

absl::Status QueueView::Load(const EventStore& store) {
  complaints_.clear();
  dirty_.clear();
  return LoadRows(store, kName,
                  [&](absl::string_view key, absl::string_view value) {
                    return complaints_[std::string(key)].ParseFromArray(
                        value.data(), static_cast<int>(value.size()));
                  });
}

void QueueView::Apply(const v1::Event& event) {
  const std::string id = ComplaintIdOfStream(event.stream_id());
  if (id.empty()) return;
  v1::ComplaintState& state = complaints_[id];
  if (!ledger::Apply(event, &state).ok()) {
    ++skipped_;
    if (state.stage() == v1::STAGE_UNSPECIFIED) complaints_.erase(id);
    return;
  }
  dirty_.insert(id);
}

void QueueView::TakeChanges(ViewChanges* changes) {
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
  std::vector<v1::QueueItem> items;
  for (const auto& [id, s] : complaints_) {
    if (s.stage() == v1::STAGE_CLOSED) continue;
    switch (r.kind()) {
      case v1::QUEUE_KIND_OPEN_BY_OWNER: {
        if (s.owner_agent_id() != r.owner_agent_id()) break;
        std::vector<v1::QueueItem> due;
        Deadlines(s, now_us, &due);
        // The case once, at its most urgent deadline.
        auto first = std::min_element(
            due.begin(), due.end(), [](const auto& a, const auto& b) {
              return std::make_tuple(a.due_us() == 0, a.due_us()) <
                     std::make_tuple(b.due_us() == 0, b.due_us());
            });
        if (first != due.end()) items.push_back(*first);
        break;
      }
      case v1::QUEUE_KIND_ASSISTS_PENDING:
        PendingAssists(s, r, now_us, &items);
        break;
      case v1::QUEUE_KIND_REVISITS_DUE:
        if (s.stage() == v1::STAGE_REPLIED) {
          items.push_back(Item(s, "revisit", s.revisit_due_us(), now_us));
        }
        break;
      case v1::QUEUE_KIND_SIGN_OFFS_WAITING:
        if (s.stage() == v1::STAGE_REVISITED && !s.paperwork_pending()) {
          items.push_back(Item(s, "sign-off", 0, now_us));
        }
        break;
      case v1::QUEUE_KIND_PAPERWORK_PENDING:
        if (s.paperwork_pending()) {
          items.push_back(Item(s, "paperwork", s.paperwork_due_us(), now_us));
        }
        break;
      case v1::QUEUE_KIND_ESCALATIONS_WAITING:
        if (s.stage() == v1::STAGE_OPEN && s.escalated_to_gm() &&
            !s.gm_decided()) {
          items.push_back(Item(s, "GM decision", 0, now_us));
        }
        break;
      case v1::QUEUE_KIND_IMPORTANT:
        if (s.flagged_for_head()) {
          std::vector<v1::QueueItem> due;
          Deadlines(s, now_us, &due);
          if (!due.empty()) items.push_back(due.front());
        }
        break;
      case v1::QUEUE_KIND_OVERDUE: {
        std::vector<v1::QueueItem> due;
        Deadlines(s, now_us, &due);
        PendingAssists(s, r, now_us, &due);
        for (auto& item : due) {
          if (item.overdue()) items.push_back(std::move(item));
        }
        break;
      }
      default:
        return absl::InvalidArgumentError("kind: name a queue");
    }
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.due_us() == 0, a.due_us(), a.complaint_id(),
                           a.due_what()) <
           std::make_tuple(b.due_us() == 0, b.due_us(), b.complaint_id(),
                           b.due_what());
  });
  v1::GetQueueResponse response;
  response.set_total(items.size());
  for (uint64_t i = offset; i < items.size() && i < offset + page; ++i) {
    *response.add_items() = std::move(items[i]);
  }
  if (offset + page < items.size()) {
    response.set_next_page_token(absl::StrCat(offset + page));
  }
  return response;
}

}  // namespace ledger
