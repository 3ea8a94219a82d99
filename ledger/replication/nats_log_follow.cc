// NatsLog's follower: the stream into this node's copy
// (ledger/replication/nats_log.h).
#include <nats/nats.h>

#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/log.h"
#include "ledger/base/thread_name.h"
#include "ledger/replication/internal/group_message.h"
#include "ledger/replication/internal/nats_util.h"
#include "ledger/replication/nats_log.h"

namespace ledger {
namespace {

using internal::ParseGroup;
using internal::Why;

// Groups a copy writes at most at once while it follows (catching up,
// it takes what has arrived). A new node's catch-up of ~200,000 events
// in groups of ~100 (tools/cluster_bench.sh): one group a write 34-38k
// events/s, 4 49k, 16 48k, 64 40k, 256 28-31k (a 13 MB write batch).
constexpr size_t kFollowBatch = 16;
// How often a follower paused while its node writes (PauseFollowingWhile)
// looks whether it still does.
constexpr absl::Duration kPausedPoll = absl::Milliseconds(20);

}  // namespace

void NatsLog::Follow(EventStore* store) {
  Stop();
  {
    absl::MutexLock lock(&mu_);
    follow_error_ = absl::OkStatus();
    store_ = store;
  }
  stopping_.store(false);
  follower_ = std::thread([this, store] {
    NameThisThread("ledger-follow");
    FollowLoop(store);
  });
}

absl::Status NatsLog::follow_error() const {
  absl::MutexLock lock(&mu_);
  return follow_error_;
}

absl::Status NatsLog::CatchUp(absl::Duration timeout) {
  absl::StatusOr<uint64_t> last = LastSequence();
  if (!last.ok()) return last.status();
  absl::MutexLock lock(&mu_);
  if (store_ == nullptr) {
    return absl::FailedPreconditionError("no store follows the log");
  }
  auto done = [this, target = *last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Not mid-write: a group written has been handed on (on_replicated)
    // too once its write returned.
    return !follow_error_.ok() ||
           (!applying_ && store_->replicated_sequence() >= target);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("this node's copy is at sequence ",
                     store_->replicated_sequence(), " of the log of record's ",
                     *last, " after ", absl::FormatDuration(timeout)));
  }
  return follow_error_;
}

void NatsLog::PauseFollowingWhile(std::function<bool()> writing) {
  absl::MutexLock lock(&mu_);
  writing_ = std::move(writing);
}

bool NatsLog::FollowingPaused() {
  std::function<bool()> writing;
  {
    absl::MutexLock lock(&mu_);
    writing = writing_;
  }
  if (!writing || !writing()) {
    // A term of writing starts following until a publish of its own.
    published_.store(false);
    return false;
  }
  return published_.load();
}

void NatsLog::FollowLoop(EventStore* store) {
  natsSubscription* sub = nullptr;
  auto unsubscribe = [&sub] {
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
      sub = nullptr;
    }
  };
  // The groups being written into the copy (by the store's writer thread)
  // while the next ones are received and parsed here: two batches at most,
  // one written, one read.
  struct Batch {
    std::vector<v1::GroupRecord> records;
    std::vector<ReplicatedGroup> groups;
    bool written = false;  // Under mu_, with status.
    absl::Status status;
  };
  std::unique_ptr<Batch> writing;
  // Waits for `writing`; false (following stops) when the copy refused it.
  auto written = [&]() -> bool {
    if (writing == nullptr) return true;
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&writing->written));
    const absl::Status status = std::move(writing->status);
    writing.reset();
    if (status.ok()) return true;
    if (status.code() == absl::StatusCode::kUnavailable && stopping_.load()) {
      return false;
    }
    // Damage is reported, never skipped: the node stops following.
    follow_error_ = status;
    LogWarn(absl::StrFormat("NatsLog: stopped following the log of record: %s",
                            status.ToString()));
    return false;
  };
  // While paused: when it last looked at the stream's end, and where the
  // copy stood then.
  absl::Time next_look = absl::InfinitePast();
  // (none yet: a sequence no copy reaches)
  constexpr uint64_t kNoLook = std::numeric_limits<uint64_t>::max();
  uint64_t copy_at_look = kNoLook;
  while (!stopping_.load()) {
    if (FollowingPaused()) {
      // What was received is written first; nothing more is received
      // until this node stops writing (looked at every kPausedPoll)...
      if (!written()) break;
      unsubscribe();
      paused_.store(true);
      // ... or the stream holds groups its copy lacks and the copy did not
      // move for a whole look: its own write failed after JetStream took
      // a group, or a deposed writer's late publish landed.
      if (absl::Now() >= next_look) {
        next_look = absl::Now() + options_.paused_look;
        const uint64_t copy = store->replicated_sequence();
        absl::StatusOr<uint64_t> last = LastSequence();
        if (last.ok() && *last > copy && copy_at_look == copy) {
          LogWarn(absl::StrFormat(
              "NatsLog: the log of record is at sequence %d, this copy at "
              "%d since the last look: following it again",
              *last, copy));
          published_.store(false);
          continue;
        }
        copy_at_look = copy;
      }
      absl::SleepFor(kPausedPoll);
      continue;
    }
    paused_.store(false);
    copy_at_look = kNoLook;
    next_look = absl::InfinitePast();
    const uint64_t next =
        std::max(store->replicated_sequence(),
                 writing != nullptr ? writing->groups.back().sequence : 0) +
        1;
    if (sub == nullptr) {
      // An ordered push consumer: in order, no acknowledgements, made
      // again by the library after a gap or lost heartbeats.
      jsSubOptions options;
      jsSubOptions_Init(&options);
      options.Stream = options_.stream.c_str();
      options.Ordered = true;
      options.Config.DeliverPolicy = js_DeliverByStartSequence;
      options.Config.OptStartSeq = next;
      jsErrCode code = static_cast<jsErrCode>(0);
      natsStatus s = js_SubscribeSync(&sub, js_, options_.subject.c_str(),
                                      nullptr, &options, &code);
      if (s != NATS_OK) {
        sub = nullptr;
        LogWarn(absl::StrFormat(
            "NatsLog: cannot follow the log of record from %d: %s; retrying",
            next, Why(s)));
        absl::SleepFor(absl::Milliseconds(200));
        continue;
      }
    }
    // The next groups that have arrived, up to kFollowBatch of them, into
    // the copy in one write (the first waited for).
    auto batch = std::make_unique<Batch>();
    std::vector<v1::GroupRecord>& records = batch->records;
    records.reserve(kFollowBatch);
    absl::Status unsound;
    bool resubscribe = false;
    while (records.size() < kFollowBatch) {
      natsMsg* msg = nullptr;
      natsStatus s =
          natsSubscription_NextMsg(&msg, sub, records.empty() ? 200 : 0);
      if (s == NATS_TIMEOUT) break;
      if (s != NATS_OK) {
        LogWarn(absl::StrFormat(
            "NatsLog: following the log of record: %s; subscribing again",
            Why(s)));
        resubscribe = true;
        break;
      }
      jsMsgMetaData* meta = nullptr;
      uint64_t sequence = 0;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        sequence = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
      }
      const uint64_t expected = next + records.size();
      if (sequence < expected) {  // Here already (this node wrote it).
        natsMsg_Destroy(msg);
        continue;
      }
      if (sequence > expected) {  // Not the next one: from the next again.
        natsMsg_Destroy(msg);
        resubscribe = true;
        break;
      }
      v1::GroupRecord& record = records.emplace_back();
      unsound = ParseGroup(msg, sequence, &record);
      natsMsg_Destroy(msg);
      if (!unsound.ok()) {
        records.pop_back();
        break;
      }
    }
    // The batch before is written first (these continue it); a copy that
    // refused it takes none after it.
    if (!written()) break;
    if (!records.empty()) {
      for (size_t i = 0; i < records.size(); ++i) {
        batch->groups.push_back(ReplicatedGroup{&records[i], next + i});
      }
      {
        absl::MutexLock lock(&mu_);
        applying_ = true;
      }
      writing = std::move(batch);
      Batch* b = writing.get();
      store->ApplyReplicatedGroupsAsync(b->groups, [this, b](absl::Status s) {
        // Written and handed on (on_replicated): what CatchUp waits for.
        absl::MutexLock lock(&mu_);
        b->status = std::move(s);
        b->written = true;
        applying_ = false;
      });
    }
    if (!unsound.ok()) {
      if (written()) {
        absl::MutexLock lock(&mu_);  // written() let go of it.
        follow_error_ = unsound;
        LogWarn(
            absl::StrFormat("NatsLog: stopped following the log of record: %s",
                            unsound.ToString()));
      }
      break;
    }
    if (resubscribe) {
      // From the group after the last one received (or written).
      unsubscribe();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  written();  // Before the store may close (Stop comes first).
  unsubscribe();
}

}  // namespace ledger
