// Helpers shared by the tests: temporary directories, proposed events, and
// reading the whole log.
#ifndef LEDGER_TESTS_TEST_UTIL_H_
#define LEDGER_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/event.pb.h"

namespace ledger::testing {

// A "now" after every month a test asks about: its KPIs are not pending.
inline constexpr int64_t kAfterEveryMonth =
    int64_t{4102444800} * 1000000;  // 2100

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with everything in
// it when the object goes away.
class TempDir {
 public:
  enum class Where { kDisk, kMemoryIfAvailable };
  // kMemoryIfAvailable: under /dev/shm when the machine has it, for tests
  // whose subject is not durability and that would otherwise spend most of
  // their time in fsync. TEST_TMPDIR (or /tmp) otherwise.
  explicit TempDir(Where where = Where::kDisk);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A proposed event with the given type and payload.
ProposedEvent Event(std::string type, std::string payload,
                    std::string actor = "agent-1");

// An append request of `n` events to `stream`.
AppendRequest Request(std::string stream, size_t n,
                      ExpectedRevision expected = ExpectedRevision::Any(),
                      std::string command_id = "");

// Every event in the log, read page by page; fails on the first error.
absl::StatusOr<std::vector<v1::Event>> ReadWholeLog(const EventStore& store);

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_TEST_UTIL_H_
