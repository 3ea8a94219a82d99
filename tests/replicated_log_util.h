// Helpers of the replicated log's tests (replicated_store_test,
// nats_log_test).
#ifndef LEDGER_TESTS_REPLICATED_LOG_UTIL_H_
#define LEDGER_TESTS_REPLICATED_LOG_UTIL_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/store/event_store.h"
#include "tests/test_util.h"

namespace ledger::testing {

// Every record of the log as stored, for comparing two copies byte for
// byte; fails the test on a read error.
inline std::vector<std::string> Records(const EventStore& store) {
  absl::StatusOr<std::vector<v1::Event>> events = ReadWholeLog(store);
  EXPECT_TRUE(events.ok()) << events.status();
  std::vector<std::string> records;
  if (!events.ok()) return records;
  for (const v1::Event& e : *events) records.push_back(e.SerializeAsString());
  return records;
}

// An append with a command id whose fingerprint is the id (so that
// FindCommand can be asked with it).
inline AppendRequest Command(
    std::string stream, size_t n, std::string id,
    ExpectedRevision expected = ExpectedRevision::Any()) {
  AppendRequest request = Request(std::move(stream), n, expected, id);
  request.command_fingerprint = std::move(id);
  return request;
}

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_REPLICATED_LOG_UTIL_H_
