// WorkPool: a fixed set of named threads running work in arrival order.
#ifndef LEDGER_BASE_WORK_POOL_H_
#define LEDGER_BASE_WORK_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/check.h"
#include "ledger/base/thread_name.h"

namespace ledger {

// Runs work on `workers` threads named `name`, in arrival order; at most
// `workers` pieces at once, more wait their turn. The destructor runs what
// is queued, then joins. Thread-safe.
class WorkPool {
 public:
  // While a Batch lives, what its thread schedules on any WorkPool is held
  // back; at its end each pool is handed its share as one piece of work,
  // which runs the pieces in the order given on one of its threads. One
  // lock and at most one wake-up a pool instead of one for each piece: the
  // event store's writer answers a whole group of appends in one (each
  // wake-up is a system call on the writer, the ledger's one serial
  // stage, and a thread switch). Work held in a Batch must not be waited
  // for on the Batch's thread before the Batch ends. A Batch inside
  // another hands over its own work at its own end.
  class Batch {
   public:
    Batch() : outer_(current_) { current_ = this; }
    ~Batch() {
      LEDGER_CHECK(current_ == this,
                   "a WorkPool::Batch ends on its own thread, innermost first");
      current_ = outer_;
      for (auto& [pool, held] : held_) {
        if (held.size() == 1) {
          pool->Enqueue(std::move(held.front()));
          continue;
        }
        pool->Enqueue([held = std::move(held)]() mutable {
          for (std::function<void()>& work : held) work();
        });
      }
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    friend class WorkPool;
    void Hold(WorkPool* pool, std::function<void()> work) {
      for (auto& [held_pool, held] : held_) {
        if (held_pool == pool) return held.push_back(std::move(work));
      }
      held_.emplace_back(pool, std::vector<std::function<void()>>{})
          .second.push_back(std::move(work));
    }

    static inline thread_local Batch* current_ = nullptr;
    Batch* const outer_;
    // Pools in the order they were first given work.
    std::vector<std::pair<WorkPool*, std::vector<std::function<void()>>>> held_;
  };

  WorkPool(std::string name, int workers) {
    for (int i = 0; i < workers; ++i) {
      threads_.emplace_back([this, name] {
        NameThisThread(name);
        Work();
      });
    }
  }
  ~WorkPool() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Runs `work` on one of the pool's threads; inside a Batch on this
  // thread, once the Batch ends.
  void Schedule(std::function<void()> work) {
    if (Batch* batch = Batch::current_; batch != nullptr) {
      return batch->Hold(this, std::move(work));
    }
    Enqueue(std::move(work));
  }

  // The pieces of work handed to the pool's threads so far (a Batch's
  // share counts once).
  uint64_t pieces_enqueued() const {
    absl::MutexLock lock(&mu_);
    return enqueued_;
  }

 private:
  void Enqueue(std::function<void()> work) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(work));
    ++enqueued_;
  }

  void Work() {
    while (true) {
      std::function<void()> work;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](WorkPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
              return !p->queue_.empty() || p->stopping_;
            },
            this));
        if (queue_.empty()) return;  // Stopping, and everything queued ran.
        work = std::move(queue_.front());
        queue_.pop_front();
      }
      work();
    }
  }

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace ledger

#endif  // LEDGER_BASE_WORK_POOL_H_
