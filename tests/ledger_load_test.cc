// ledger_load against a real ledgerd: every mode runs, reports what it did,
// and what it reports is what the ledger holds. No timing is asserted; the
// figures belong in BENCHMARKS.md.
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

  std::string Load(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        LEDGER_LOAD_PATH,   "--target=" + ledgerd_->target(),
        "--duration_s=0.5", "--warmup_s=0.2",
        "--clients=2",      "--json"};
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
  EXPECT_GT(single_events, 0);
  EXPECT_EQ(Field(single, "calls"), single_events);  // One event a call.
  // The warm-up's calls and the two agents registered come on top.
  EXPECT_GE(ledgerd_->LogHead(), head + static_cast<uint64_t>(single_events));

  // Several calls in flight on each connection, each its own command (a
  // command id shared by two callers would be answered as a retry and
  // leave the log shorter than reported), the two clients on two drivers.
  head = ledgerd_->LogHead();
  const std::string pipelined =
      Load({"--mode=single", "--inflight=4", "--drivers=2"});
  EXPECT_EQ(Field(pipelined, "errors"), 0);
  EXPECT_EQ(Field(pipelined, "inflight"), 4);
  EXPECT_EQ(Field(pipelined, "drivers"), 2);
  EXPECT_EQ(Field(pipelined, "calls"), Field(pipelined, "events"));
  EXPECT_GE(ledgerd_->LogHead(),
            head + static_cast<uint64_t>(Field(pipelined, "events")));

  head = ledgerd_->LogHead();
  const std::string batch = Load({"--mode=batch", "--batch=25"});
  EXPECT_EQ(Field(batch, "errors"), 0);
  EXPECT_GT(Field(batch, "calls"), 0);
  EXPECT_EQ(Field(batch, "events"), 25 * Field(batch, "calls"));
  EXPECT_GE(ledgerd_->LogHead(),
            head + static_cast<uint64_t>(Field(batch, "events")));

  const std::string subscribed = Load({"--mode=subscribe", "--subscribers=2"});
  EXPECT_EQ(Field(subscribed, "errors"), 0);
  EXPECT_GT(Field(subscribed, "delivered"), 0);
  EXPECT_THAT(subscribed, HasSubstr("\"lag_us\":{\"p50\":"));
}

TEST_F(LedgerLoadTest, ReadsInTheReadModes) {
  Load({"--mode=single"});
  const std::string replay = Load({"--mode=replay"});
  EXPECT_EQ(Field(replay, "errors"), 0);
  EXPECT_GT(Field(replay, "events"), 0);
  const std::string query = Load({"--mode=query"});
  EXPECT_EQ(Field(query, "errors"), 0);
  EXPECT_GT(Field(query, "calls"), 0);
  // The load agent's open cases: a full page of 100 each time.
  EXPECT_EQ(Field(query, "events"), 100 * Field(query, "calls"));
  const std::string head = Load({"--mode=head"});
  EXPECT_EQ(Field(head, "errors"), 0);
  EXPECT_GT(Field(head, "calls"), 0);
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
                    "--mode=single", "--head=h2", "--duration_s=0.2"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("pass one of them as --head"));
}

}  // namespace
}  // namespace ledger
