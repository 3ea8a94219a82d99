// SubscriptionHub: hands committed events from the store's writer to live
// subscribers without ever making the writer wait.
//
// The store calls Publish after each group commit (EventStoreOptions::
// on_commit), so only durable events pass through here. Each live feed has
// a bounded buffer; a feed whose buffer would overflow is cut off (marked
// overflowed, dropped from the fan-out) and its subscriber goes back to
// reading from disk, then attaches again. Publish costs one lock and a
// shared_ptr copy per live feed.
//
// Attach hands out a feed only at the exact point where the log continues:
// its subscriber has delivered everything up to `after` and the feed yields
// everything after it, so switching between disk and memory skips and
// repeats nothing.
#ifndef LEDGER_SUBSCRIBE_HUB_H_
#define LEDGER_SUBSCRIBE_HUB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/store/limits.h"
#include "ledger/v1/event.pb.h"

namespace ledger {

using EventBatch = std::shared_ptr<const std::vector<v1::Event>>;

class SubscriptionHub;

// One subscriber's live feed. Thread-compatible: one reader.
class LiveFeed {
 public:
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  enum class Wait { kEvents, kTimeout, kOverflowed, kClosed };
  // Waits up to `timeout` for committed batches; on kEvents *batches holds
  // them in position order (shared with every other feed, never copied).
  // The first may start at or before the position the feed was attached
  // after: the reader skips what it has seen. Having woken for a small
  // batch, it waits up to `coalesce` for more, so that a hundred readers
  // are not each woken for every group commit.
  Wait Next(absl::Duration timeout, std::vector<EventBatch>* batches,
            absl::Duration coalesce = absl::Milliseconds(4));

 private:
  friend class SubscriptionHub;
  LiveFeed(SubscriptionHub* hub, size_t capacity)
      : hub_(hub), capacity_(capacity) {}
  // Hub side, under the hub's mutex: false when it overflowed.
  bool Push(const EventBatch& batch);
  void Close();

  SubscriptionHub* const hub_;
  const size_t capacity_;
  // Each feed has its own lock, so that a publish wakes only its feeds and
  // no reader waits on another's.
  absl::Mutex mu_;
  absl::CondVar ready_;
  std::deque<EventBatch> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class SubscriptionHub {
 public:
  // `last_position`: the end of the log when the store opened.
  explicit SubscriptionHub(
      uint64_t last_position, size_t max_subscribers = kMaxSubscribers,
      size_t buffer_events = kSubscriberBufferEvents,
      double catch_up_events_per_s = kCatchUpEventsPerSecondWhileWriting);
  ~SubscriptionHub();

  // The end of the log when the store finished opening (the hub is made
  // before the store, whose writer it listens to).
  void Reset(uint64_t last_position);
  // Writer side: never blocks on subscribers.
  void Publish(const EventBatch& batch);
  // Wakes every feed with kClosed; later Attach calls fail.
  void Close();

  // A subscriber's place among the limited number allowed; hold it for the
  // whole subscription. RESOURCE_EXHAUSTED over max_subscribers.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    friend class SubscriptionHub;
    explicit Slot(SubscriptionHub* hub) : hub_(hub) {}
    SubscriptionHub* const hub_;
  };
  absl::StatusOr<std::unique_ptr<Slot>> Join();

  // A live feed continuing after `after` (the subscriber delivered every
  // position up to it), or nullptr when the hub has already passed `after`
  // (read more from disk first). UNAVAILABLE once closed.
  absl::StatusOr<std::unique_ptr<LiveFeed>> Attach(uint64_t after);

  // Catch-up reading yields to the writers: called by a subscription
  // before it sends `events` it read from disk. While commits are arriving
  // (one in the last 100 ms), every subscription's catch-up together goes
  // at most `catch_up_events_per_s` (the constructor's), waiting here for
  // its share; on a quiet ledger it returns at once. (64 subscribers
  // catching up at once, each sent the whole log, took the machine from
  // the commands: issue 22, finding 6; tools/stalled_subscribers.sh.)
  void PaceCatchUp(size_t events);

  uint64_t last_published() const;
  size_t subscribers() const;
  // Live feeds cut off for falling behind, since the hub was made.
  uint64_t overflows() const;

 private:
  friend class LiveFeed;
  void Detach(LiveFeed* feed);

  const size_t max_subscribers_;
  const size_t buffer_events_;
  const double catch_up_events_per_s_;
  // When the last batch was published (steady clock, ns), for pacing.
  std::atomic<int64_t> last_publish_ns_{0};
  // The catch-up token bucket.
  absl::Mutex pace_mu_;
  double catch_up_tokens_ ABSL_GUARDED_BY(pace_mu_) = 0;
  int64_t tokens_at_ns_ ABSL_GUARDED_BY(pace_mu_) = 0;
  mutable absl::Mutex mu_;
  uint64_t last_published_ ABSL_GUARDED_BY(mu_);
  std::vector<LiveFeed*> feeds_ ABSL_GUARDED_BY(mu_);
  size_t slots_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t overflows_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_HUB_H_
