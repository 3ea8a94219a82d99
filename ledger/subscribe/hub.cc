#include "ledger/subscribe/hub.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ledger {

namespace {

// Operational time (pacing), not the business clock (ledger/base/clock.h).
int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Commits this recent mean the writers are busy.
constexpr int64_t kWritingWindowNs = 100'000'000;

}  // namespace

SubscriptionHub::SubscriptionHub(uint64_t last_position, size_t max_subscribers,
                                 size_t buffer_events,
                                 double catch_up_events_per_s)
    : max_subscribers_(max_subscribers),
      buffer_events_(buffer_events),
      catch_up_events_per_s_(catch_up_events_per_s),
      last_published_(last_position) {}

void SubscriptionHub::PaceCatchUp(size_t events) {
  if (catch_up_events_per_s_ <= 0) return;
  while (true) {
    const int64_t now = SteadyNowNs();
    if (now - last_publish_ns_.load(std::memory_order_relaxed) >
        kWritingWindowNs) {
      return;  // Nobody is writing: catch up at full speed.
    }
    double wait_s = 0;
    {
      absl::MutexLock lock(&pace_mu_);
      // Refill, up to a tenth of a second's worth.
      catch_up_tokens_ = std::min(
          catch_up_events_per_s_ / 10,
          catch_up_tokens_ + static_cast<double>(now - tokens_at_ns_) * 1e-9 *
                                 catch_up_events_per_s_);
      tokens_at_ns_ = now;
      if (catch_up_tokens_ >= static_cast<double>(events) ||
          catch_up_tokens_ >= catch_up_events_per_s_ / 10) {
        catch_up_tokens_ -= static_cast<double>(events);
        return;
      }
      wait_s = (static_cast<double>(events) - catch_up_tokens_) /
               catch_up_events_per_s_;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(
        std::min(wait_s, 0.1)));
  }
}

SubscriptionHub::~SubscriptionHub() { Close(); }

void SubscriptionHub::Reset(uint64_t last_position) {
  absl::MutexLock lock(&mu_);
  last_published_ = last_position;
}

void SubscriptionHub::Publish(const EventBatch& batch) {
  if (batch == nullptr || batch->empty()) return;
  last_publish_ns_.store(SteadyNowNs(), std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  last_published_ = batch->back().position();
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    if ((*it)->Push(batch)) {
      ++it;
    } else {
      ++overflows_;
      it = feeds_.erase(it);  // Its reader goes back to disk.
    }
  }
}

bool LiveFeed::Push(const EventBatch& batch) {
  absl::MutexLock lock(&mu_);
  if (queued_events_ + batch->size() > capacity_) {
    overflowed_ = true;
    queue_.clear();
    queued_events_ = 0;
    ready_.Signal();
    return false;
  }
  const bool was_empty = queue_.empty();
  queue_.push_back(batch);
  queued_events_ += batch->size();
  // Wake the reader for the first batch, and when a coalescing reader has
  // enough; not for every commit in between.
  if (was_empty || queued_events_ >= capacity_ / 4) ready_.Signal();
  return true;
}

void LiveFeed::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  ready_.Signal();
}

void SubscriptionHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (LiveFeed* feed : feeds_) feed->Close();
  feeds_.clear();
}

SubscriptionHub::Slot::~Slot() {
  absl::MutexLock lock(&hub_->mu_);
  --hub_->slots_;
}

absl::StatusOr<std::unique_ptr<SubscriptionHub::Slot>> SubscriptionHub::Join() {
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
  std::unique_ptr<LiveFeed> feed(new LiveFeed(this, buffer_events_));
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
                              std::vector<EventBatch>* batches,
                              absl::Duration coalesce) {
  batches->clear();
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + timeout;
  while (queue_.empty() && !overflowed_ && !closed_) {
    if (ready_.WaitWithDeadline(&mu_, deadline)) break;
  }
  if (!queue_.empty() && !overflowed_ && !closed_ &&
      queued_events_ < capacity_ / 4) {
    const absl::Time more = absl::Now() + coalesce;
    while (!overflowed_ && !closed_ && queued_events_ < capacity_ / 4) {
      if (ready_.WaitWithDeadline(&mu_, more)) break;
    }
  }
  if (overflowed_) return Wait::kOverflowed;
  if (queue_.empty()) return closed_ ? Wait::kClosed : Wait::kTimeout;
  batches->assign(std::make_move_iterator(queue_.begin()),
                  std::make_move_iterator(queue_.end()));
  queue_.clear();
  queued_events_ = 0;
  return Wait::kEvents;
}

}  // namespace ledger
