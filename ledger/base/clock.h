// The one source of time for business code. Nothing under ledger/ calls
// absl::Now(); it is handed a Clock. SystemClock is for servers, FakeClock
// for deterministic tests. Implementations must be thread-safe.
#ifndef LEDGER_BASE_CLOCK_H_
#define LEDGER_BASE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ledger {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// The system clock shifted to start at `start`: it runs at real speed from
// there. For demos and end-to-end tests that need a known date (deadlines
// depend on the calendar day); never for production.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(absl::Time start) : offset_(start - absl::Now()) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  const absl::Duration offset_;
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_BASE_CLOCK_H_
