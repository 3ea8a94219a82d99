// WorkPool: a fixed set of named threads running work in arrival order.
#ifndef LEDGER_BASE_WORK_POOL_H_
#define LEDGER_BASE_WORK_POOL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/thread_name.h"

namespace ledger {

// Runs work on `workers` threads named `name`, in arrival order; at most
// `workers` pieces at once, more wait their turn. The destructor runs what
// is queued, then joins. Thread-safe.
class WorkPool {
 public:
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

  void Schedule(std::function<void()> work) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(work));
  }

 private:
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

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace ledger

#endif  // LEDGER_BASE_WORK_POOL_H_
