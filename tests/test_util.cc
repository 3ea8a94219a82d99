#include "tests/test_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "ledger/base/check.h"
#include "ledger/store/limits.h"

namespace ledger::testing {

TempDir::TempDir(Where where) {
  const char* base = getenv("TEST_TMPDIR");
  if (where == Where::kMemoryIfAvailable &&
      access("/dev/shm", W_OK | X_OK) == 0) {
    base = "/dev/shm";
  }
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/ledger-test-XXXXXX");
  LEDGER_CHECK(mkdtemp(pattern.data()) != nullptr, "cannot create temp dir");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // Best effort: a leftover dir fails no test.
  std::filesystem::remove_all(path_, ignored);
}

ProposedEvent Event(std::string type, std::string payload, std::string actor) {
  ProposedEvent e;
  e.event_type = std::move(type);
  e.payload = std::move(payload);
  e.actor = std::move(actor);
  return e;
}

AppendRequest Request(std::string stream, size_t n, ExpectedRevision expected,
                      std::string command_id) {
  AppendRequest request;
  request.expected = expected;
  request.command_id = std::move(command_id);
  for (size_t i = 0; i < n; ++i) {
    request.events.push_back(
        Event("test.Happened", absl::StrCat(stream, "/payload-", i)));
  }
  request.stream_id = std::move(stream);
  return request;
}

absl::StatusOr<std::vector<v1::Event>> ReadWholeLog(const EventStore& store) {
  std::vector<v1::Event> all;
  while (true) {
    absl::StatusOr<std::vector<v1::Event>> page =
        store.ReadAll(all.size() + 1, kMaxPageSize);
    if (!page.ok()) return page.status();
    if (page->empty()) return all;
    for (auto& e : *page) all.push_back(std::move(e));
  }
}

}  // namespace ledger::testing
