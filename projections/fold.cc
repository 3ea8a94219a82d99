#include "projections/fold.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "ledger/base/thread_name.h"

namespace ledger {
namespace {

constexpr size_t kBatchEvents = 1024;
// Batches read ahead of the slowest worker, at the most.
constexpr size_t kBatchesAhead = 16;

// A stretch of the log, each event with its payload decoded once by the
// reader for every worker (decoding was ~0.5 us an event, once per worker).
struct Events {
  // Only ever grown: a decoding refers to its event, which must stay put.
  std::vector<v1::Event> events;
  std::vector<absl::StatusOr<DecodedEvent>> decoded;
};
using Batch = std::shared_ptr<const Events>;

// Batches handed from the reader to the workers; each worker has its own
// cursor. A batch is dropped once every worker has taken it.
class Pipe {
 public:
  explicit Pipe(int workers) : taken_(workers, 0) {}

  // Blocks while the slowest worker is kBatchesAhead behind.
  void Put(Batch batch) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Pipe* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->batches_.size() < kBatchesAhead;
        },
        this));
    batches_.push_back(std::move(batch));
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // The worker's next batch; nullptr once closed and all taken.
  Batch Take(int worker) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, worker]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || taken_[worker] < first_ + batches_.size();
    };
    mu_.Await(absl::Condition(&ready));
    if (taken_[worker] == first_ + batches_.size()) return nullptr;
    Batch batch = batches_[taken_[worker] - first_];
    ++taken_[worker];
    const uint64_t slowest = *std::min_element(taken_.begin(), taken_.end());
    while (first_ < slowest) {
      batches_.pop_front();
      ++first_;
    }
    return batch;
  }

 private:
  absl::Mutex mu_;
  std::deque<Batch> batches_ ABSL_GUARDED_BY(mu_);
  uint64_t first_ ABSL_GUARDED_BY(mu_) = 0;  // Index of batches_.front().
  std::vector<uint64_t> taken_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Event vectors no longer in use, for the reader to fill again.
class Spares {
 public:
  std::unique_ptr<Events> Take() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) {
      auto events = std::make_unique<Events>();
      events->events.reserve(kBatchEvents);
      events->decoded.reserve(kBatchEvents);
      return events;
    }
    auto events = std::move(free_.back());
    free_.pop_back();
    return events;
  }
  void Return(Events* events) {
    absl::MutexLock lock(&mu_);
    free_.emplace_back(events);
  }

  class Filling;
  Filling Get();

 private:
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Events>> free_ ABSL_GUARDED_BY(mu_);
};

// A batch being filled: its first size() events are this stretch's, the
// rest left over from an earlier one (kept for their strings).
class Spares::Filling {
 public:
  Filling(Spares* spares, std::unique_ptr<Events> events)
      : spares_(spares), events_(std::move(events)) {
    events_->decoded.clear();
  }

  // At most kBatchEvents: the events never move once decoded.
  void Add(const v1::Event& e) {
    std::vector<v1::Event>& events = events_->events;
    if (size_ < events.size()) {
      events[size_] = e;
    } else {
      events.push_back(e);
    }
    events_->decoded.push_back(DecodedEvent::Decode(events[size_]));
    ++size_;
  }
  size_t size() const { return size_; }

  // The batch for the workers; back to the spares when the last lets go.
  // Events past size() are left over from an earlier batch.
  Batch Seal() {
    Spares* spares = spares_;
    return Batch(events_.release(), [spares](const Events* e) {
      spares->Return(const_cast<Events*>(e));
    });
  }

 private:
  Spares* spares_;
  std::unique_ptr<Events> events_;
  size_t size_ = 0;
};

Spares::Filling Spares::Get() { return Filling(this, Take()); }

}  // namespace

absl::Status Fold(const LogSource& log, uint64_t from, uint64_t to,
                  const std::vector<View*>& views, int threads,
                  uint64_t* last) {
  if (last != nullptr) *last = from - 1;
  if (views.empty() || to < from) return absl::OkStatus();
  const int workers = std::clamp(threads, 1, static_cast<int>(views.size()));
  Spares spare;  // Outlives every batch.
  Pipe pipe(workers);
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    // Each worker a contiguous share of the views.
    const size_t begin = views.size() * w / workers;
    const size_t end = views.size() * (w + 1) / workers;
    pool.emplace_back([&pipe, &views, w, begin, end] {
      NameThisThread("ledger-fold");
      while (Batch batch = pipe.Take(w)) {
        for (const absl::StatusOr<DecodedEvent>& decoded : batch->decoded) {
          for (size_t v = begin; v < end; ++v) {
            if (decoded.ok()) {
              views[v]->Apply(*decoded);
            } else {
              views[v]->Skip();
            }
          }
        }
      }
    });
  }
  // Batches go back to `spare` once every worker is done with them and are
  // filled again: assigning an event to one that held another reuses its
  // strings, so once the pipe is full the reader allocates only the
  // decoded payloads, and frees them itself when it fills their batch
  // again. (Allocating on one thread and freeing on others was a quarter of
  // a rebuild's time in glibc's malloc and its locks.)
  Spares::Filling filling = spare.Get();
  uint64_t scanned = from - 1;
  absl::Status s = log.Scan(from, to, [&](const v1::Event& e) {
    scanned = e.position();
    filling.Add(e);
    if (filling.size() == kBatchEvents) {
      pipe.Put(filling.Seal());
      filling = spare.Get();
    }
    return true;
  });
  if (filling.size() > 0) pipe.Put(filling.Seal());
  pipe.Close();
  // Every batch put is folded before the workers end.
  for (std::thread& t : pool) t.join();
  if (last != nullptr) *last = scanned;
  return s;
}

}  // namespace ledger
