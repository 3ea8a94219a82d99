#include "ledger/subscribe/hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ledger {

SubscriptionHub::SubscriptionHub(uint64_t last_position,
                                 size_t max_subscribers, size_t buffer_events)
    : max_subscribers_(max_subscribers),
      buffer_events_(buffer_events),
      last_published_(last_position) {}

SubscriptionHub::~SubscriptionHub() { Close(); }

void SubscriptionHub::Reset(uint64_t last_position) {
  absl::MutexLock lock(&mu_);
  last_published_ = last_position;
}

void SubscriptionHub::Publish(EventBatch batch) {
  if (batch == nullptr || batch->empty()) return;
  absl::MutexLock lock(&mu_);
  last_published_ = batch->back().position();
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    LiveFeed* feed = *it;
    if (feed->queued_events_ + batch->size() > feed->capacity_) {
      // Too far behind: cut it off; its reader goes back to disk.
      feed->overflowed_ = true;
      ++overflows_;
      feed->queue_.clear();
      feed->queued_events_ = 0;
      it = feeds_.erase(it);
      continue;
    }
    feed->queue_.push_back(batch);
    feed->queued_events_ += batch->size();
    ++it;
  }
}

void SubscriptionHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  feeds_.clear();
}

SubscriptionHub::Slot::~Slot() {
  absl::MutexLock lock(&hub_->mu_);
  --hub_->slots_;
}

absl::StatusOr<std::unique_ptr<SubscriptionHub::Slot>>
SubscriptionHub::Join() {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  if (slots_ >= max_subscribers_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(slots_, " subscriptions are open, the limit is ",
                     max_subscribers_, "; retry later"));
  }
  ++slots_;
  return std::unique_ptr<Slot>(new Slot(this));
}

absl::StatusOr<std::unique_ptr<LiveFeed>> SubscriptionHub::Attach(
    uint64_t after) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  // Passed already: the events in between are only on disk now. (A hub
  // still behind `after` is fine: the feed drops what it has seen.)
  if (last_published_ > after) return nullptr;
  std::unique_ptr<LiveFeed> feed(new LiveFeed(this, after, buffer_events_));
  feeds_.push_back(feed.get());
  return feed;
}

uint64_t SubscriptionHub::last_published() const {
  absl::MutexLock lock(&mu_);
  return last_published_;
}

uint64_t SubscriptionHub::overflows() const {
  absl::MutexLock lock(&mu_);
  return overflows_;
}

size_t SubscriptionHub::subscribers() const {
  absl::MutexLock lock(&mu_);
  return slots_;
}

void SubscriptionHub::Detach(LiveFeed* feed) {
  absl::MutexLock lock(&mu_);
  feeds_.erase(std::remove(feeds_.begin(), feeds_.end(), feed), feeds_.end());
}

LiveFeed::~LiveFeed() { hub_->Detach(this); }

LiveFeed::Wait LiveFeed::Next(absl::Duration timeout,
                              std::vector<v1::Event>* events) {
  events->clear();
  std::deque<EventBatch> batches;
  {
    absl::MutexLock lock(&hub_->mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hub_->mu_) {
      return !queue_.empty() || overflowed_ || hub_->closed_;
    };
    hub_->mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (overflowed_) return Wait::kOverflowed;
    if (queue_.empty()) return hub_->closed_ ? Wait::kClosed : Wait::kTimeout;
    batches.swap(queue_);
    queued_events_ = 0;
  }
  for (const EventBatch& batch : batches) {
    for (const v1::Event& e : *batch) {
      if (e.position() < next_) continue;  // Seen on disk already.
      if (e.position() != next_) {
        // Batches are contiguous, so this cannot happen; if it ever did,
        // disk is the truth.
        events->clear();
        return Wait::kOverflowed;
      }
      events->push_back(e);
      next_ = e.position() + 1;
    }
  }
  return events->empty() ? Wait::kTimeout : Wait::kEvents;
}

}  // namespace ledger
