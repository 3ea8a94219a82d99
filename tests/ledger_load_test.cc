// ledger_load against a real ledgerd: every mode runs, reports what it did,
// and what it reports is what the ledger holds. Every load here is a count
// of calls (--calls), never a time: what it does cannot depend on the
// machine's speed. The figures belong in BENCHMARKS.md.
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

// A number field of ledger_load's JSON line.
int64_t Field(const std::string& json, const std::string& name) {
  std::smatch m;
  const std::regex re("\"" + name + "\":([0-9]+)");
  if (!std::regex_search(json, m, re)) {
    ADD_FAILURE() << "no " << name << " in " << json;
    return -1;
  }
  int64_t value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(m[1].str(), &value));
  return value;
}

class LedgerLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledgerd_ = std::make_unique<testing::LedgerdProcess>(
        LEDGERD_PATH, dir_.path(), dir_.Sub("data"),
        std::vector<std::string>{});
    ASSERT_FALSE(ledgerd_->target().empty()) << "ledgerd did not start";
  }

  // `calls` per caller (client x inflight).
  std::string Load(std::vector<std::string> args, int calls = 20) {
    std::vector<std::string> argv = {
        LEDGER_LOAD_PATH, "--target=" + ledgerd_->target(),
        absl::StrCat("--calls=", calls), "--clients=2", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::ProcessResult r = testing::Run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::LedgerdProcess> ledgerd_;
};

TEST_F(LedgerLoadTest, WritesWhatItReportsInEveryWriteMode) {
  uint64_t head = ledgerd_->LogHead();
  const std::string single = Load({"--mode=single"});
  EXPECT_EQ(Field(single, "errors"), 0);
  const int64_t single_events = Field(single, "events");
  EXPECT_EQ(single_events, 2 * 20);
  EXPECT_EQ(Field(single, "calls"), single_events);  // One event a call.
  // The two agents registered come on top.
  EXPECT_EQ(ledgerd_->LogHead(),
            head + 2 + static_cast<uint64_t>(single_events));

  // Several calls in flight on each connection, each its own command (a
  // command id shared by two callers would be answered as a retry and
  // leave the log shorter than reported), the two clients on two drivers.
  head = ledgerd_->LogHead();
  const std::string pipelined =
      Load({"--mode=single", "--inflight=4", "--drivers=2"});
  EXPECT_EQ(Field(pipelined, "errors"), 0);
  EXPECT_EQ(Field(pipelined, "inflight"), 4);
  EXPECT_EQ(Field(pipelined, "drivers"), 2);
  EXPECT_EQ(Field(pipelined, "calls"), 2 * 4 * 20);
  EXPECT_EQ(Field(pipelined, "calls"), Field(pipelined, "events"));
  // The agents registered again (a new version of each).
  EXPECT_EQ(ledgerd_->LogHead(),
            head + 2 + static_cast<uint64_t>(Field(pipelined, "events")));

  // Whole lives: an intake, then its track, reply and revisit, five times
  // per caller; a command out of its order would be refused (an error).
  head = ledgerd_->LogHead();
  const std::string lifecycle = Load({"--mode=lifecycle"});
  EXPECT_EQ(Field(lifecycle, "errors"), 0);
  EXPECT_EQ(Field(lifecycle, "calls"), 2 * 20);
  EXPECT_GE(Field(lifecycle, "events"), Field(lifecycle, "calls"));
  EXPECT_EQ(ledgerd_->LogHead(),
            head + 2 + static_cast<uint64_t>(Field(lifecycle, "events")));

  head = ledgerd_->LogHead();
  const std::string batch = Load({"--mode=batch", "--batch=25"});
  EXPECT_EQ(Field(batch, "errors"), 0);
  EXPECT_EQ(Field(batch, "calls"), 2 * 20);
  EXPECT_EQ(Field(batch, "events"), 25 * Field(batch, "calls"));
  EXPECT_EQ(ledgerd_->LogHead(),
            head + 2 + static_cast<uint64_t>(Field(batch, "events")));

  const std::string subscribed = Load({"--mode=subscribe", "--subscribers=2"});
  EXPECT_EQ(Field(subscribed, "errors"), 0);
  // Each subscriber receives every event written.
  EXPECT_EQ(Field(subscribed, "events"), 2 * 20);
  EXPECT_EQ(Field(subscribed, "delivered"), 2 * Field(subscribed, "events"));
  EXPECT_THAT(subscribed, HasSubstr("\"lag_us\":{\"p50\":"));
}

TEST_F(LedgerLoadTest, ReadsInTheReadModes) {
  // 120 open cases of the load agent, more than a page.
  Load({"--mode=single"}, /*calls=*/60);
  const uint64_t log = ledgerd_->LogHead();
  const std::string replay = Load({"--mode=replay"}, /*calls=*/1);
  EXPECT_EQ(Field(replay, "errors"), 0);
  // Each of the two replays read the log from the start: a page of it.
  EXPECT_EQ(Field(replay, "events"), 2 * static_cast<int64_t>(log));
  // The queue is read as of the log's end: the runner must have folded it.
  ASSERT_TRUE(ledgerd_->WaitForProjections(log));
  const std::string query = Load({"--mode=query"}, /*calls=*/3);
  EXPECT_EQ(Field(query, "errors"), 0);
  EXPECT_EQ(Field(query, "calls"), 2 * 3);
  // The load agent's open cases: a full page of 100 each time.
  EXPECT_EQ(Field(query, "events"), 100 * Field(query, "calls"));
  const std::string head = Load({"--mode=head"}, /*calls=*/3);
  EXPECT_EQ(Field(head, "errors"), 0);
  EXPECT_EQ(Field(head, "calls"), 2 * 3);
  EXPECT_EQ(Field(head, "events"), 0);
}

TEST_F(LedgerLoadTest, SaysWhatIsWrong) {
  testing::ProcessResult bad = testing::Run(
      {LEDGER_LOAD_PATH, "--target=" + ledgerd_->target(), "--mode=fast"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown --mode fast"));
  // A ledger whose centre head is someone else: registering is refused.
  Load({"--mode=single", "--head=h1"});
  testing::ProcessResult refused =
      testing::Run({LEDGER_LOAD_PATH, "--target=" + ledgerd_->target(),
                    "--mode=single", "--head=h2", "--calls=1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("pass one of them as --head"));
}

}  // namespace
}  // namespace ledger
