#include "ledger/subscribe/subscription.h"

#include <vector>

#include "ledger/base/status_macros.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

// Live, a checkpoint for a filtered stretch goes out after this many
// skipped positions (or a heartbeat interval), not after every commit.
constexpr uint64_t kCheckpointEvery = 1024;

// Tracks what was examined and what the consumer has been told, and sends.
class Delivery {
 public:
  Delivery(uint64_t from, const EventFilter& filter,
           const std::function<bool(const v1::Event&)>& share,
           const std::function<bool(const v1::SubscribeResponse&)>& sink)
      : next_(from),
        told_(from - 1),
        everything_(filter.empty() && !share),
        filter_(filter),
        share_(share),
        sink_(sink) {}

  uint64_t next() const { return next_; }
  bool gone() const { return gone_; }

  // Examines one event; false when the consumer went away.
  absl::StatusOr<bool> Offer(const v1::Event& event) {
    next_ = event.position() + 1;
    if (!everything_) {
      ASSIGN_OR_RETURN(bool match, filter_.Matches(event));
      if (!match || (share_ && !share_(event))) return true;
    }
    // Lent to the response for the call, never copied: the sink sees it,
    // serializes it or copies what it keeps.
    response_.Clear();
    response_.unsafe_arena_set_allocated_event(const_cast<v1::Event*>(&event));
    told_ = event.position();
    const bool more = Send();
    response_.unsafe_arena_release_event();
    return more;
  }

  // A checkpoint for a skipped stretch, when there is one and `due`.
  bool Checkpoint(bool due) {
    if (next_ - 1 <= told_ || !due) return true;
    response_.Clear();
    response_.mutable_checkpoint()->set_position(next_ - 1);
    told_ = next_ - 1;
    return Send();
  }
  bool CheckpointIfFar() {
    return Checkpoint(next_ - 1 - told_ >= kCheckpointEvery);
  }

  bool CaughtUp() {
    response_.Clear();
    response_.mutable_caught_up()->set_position(next_ - 1);
    return Send();
  }

  bool Heartbeat(uint64_t log_position) {
    if (next_ - 1 > told_) return Checkpoint(true);
    response_.Clear();
    response_.mutable_heartbeat()->set_log_position(log_position);
    return Send();
  }

 private:
  bool Send() {
    if (!sink_(response_)) gone_ = true;
    return !gone_;
  }

  uint64_t next_;  // Next position to examine.
  uint64_t told_;  // Last position covered by an event or checkpoint sent.
  const bool everything_;  // No filter, no share: every event goes out.
  const EventFilter& filter_;
  const std::function<bool(const v1::Event&)>& share_;
  const std::function<bool(const v1::SubscribeResponse&)>& sink_;
  v1::SubscribeResponse response_;
  bool gone_ = false;
};

}  // namespace

absl::Status Subscription::Run(
    const std::function<bool(const v1::SubscribeResponse&)>& sink,
    const std::function<bool()>& stop) {
  ASSIGN_OR_RETURN(EventFilter filter,
                   EventFilter::Create(options_.filter, tagger_));
  ASSIGN_OR_RETURN(std::unique_ptr<SubscriptionHub::Slot> slot, hub_.Join());
  Delivery delivery(std::max<uint64_t>(options_.from_position, 1), filter,
                    options_.share, sink);
  bool caught_up = false;
  std::vector<EventBatch> batches;
  while (!stop()) {
    // From disk, up to the end of the log as acknowledged to appenders:
    // everything there is durable.
    const uint64_t head = store_.log_head().position_last;
    while (delivery.next() <= head) {
      if (stop()) return absl::OkStatus();
      ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                       store_.ReadAll(delivery.next(), kMaxPageSize));
      if (options_.yield_to_writers) hub_.PaceCatchUp(page.size());
      for (const v1::Event& e : page) {
        if (e.position() > head) break;
        ASSIGN_OR_RETURN(bool more, delivery.Offer(e));
        if (!more) return absl::OkStatus();
      }
      if (page.empty()) break;
      if (!delivery.Checkpoint(true)) return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<LiveFeed> feed,
                     hub_.Attach(delivery.next() - 1));
    if (feed == nullptr) continue;  // The hub moved on: more on disk.
    if (!caught_up) {
      caught_up = true;
      if (!delivery.CaughtUp()) return absl::OkStatus();
    }
    // Live, until the consumer leaves or falls too far behind.
    while (true) {
      const LiveFeed::Wait wait = feed->Next(options_.heartbeat, &batches);
      if (wait == LiveFeed::Wait::kClosed) return absl::OkStatus();
      if (wait == LiveFeed::Wait::kOverflowed) break;  // Back to disk.
      if (stop()) return absl::OkStatus();
      if (wait == LiveFeed::Wait::kTimeout) {
        if (!delivery.Heartbeat(store_.log_head().position_last)) {
          return absl::OkStatus();
        }
        continue;
      }
      bool gap = false;
      for (const EventBatch& batch : batches) {
        for (const v1::Event& e : *batch) {
          if (e.position() < delivery.next()) continue;  // Seen on disk.
          if (e.position() > delivery.next()) {
            // Batches are contiguous, so this cannot happen; if it ever
            // did, disk is the truth.
            gap = true;
            break;
          }
          ASSIGN_OR_RETURN(bool more, delivery.Offer(e));
          if (!more) return absl::OkStatus();
        }
        if (gap) break;
      }
      if (gap) break;
      if (!delivery.CheckpointIfFar()) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger
