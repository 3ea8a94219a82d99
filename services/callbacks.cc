#include "services/callbacks.h"

#include "ledger/base/thread_name.h"

namespace ledger {

WorkPool::WorkPool(std::string name, int workers) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this, name] {
      NameThisThread(name);
      Work();
    });
  }
}

WorkPool::~WorkPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void WorkPool::Schedule(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void WorkPool::Work() {
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

}  // namespace ledger
