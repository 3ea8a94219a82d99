// The app state (app/app_state.h): a start folds only the events after its
// checkpoint; when flushes happen never changes a decision; rows that are
// missing or of another history are folded again; the check of the whole
// log at start, before serving or in the background, refuses commands once
// it meets a broken record.
#include "app/app_state.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/complaint_app.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/big_endian.h"
#include "ledger/complaint/builders.h"
#include "ledger/v1/event.pb.h"
#include "tests/raw_db.h"
#include "tests/test_util.h"
#include "tools/sim/in_process.h"
#include "tools/sim/workload.h"

namespace ledger::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Time Wednesday10am() {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  return absl::FromCivil(absl::CivilMinute(2026, 11, 18, 10, 0), shanghai);
}

// Flushes only when asked (Flush, Close): a test decides what the rows hold.
AppStateOptions NeverOnItsOwn() {
  AppStateOptions options;
  options.flush_every_events = 0;
  options.flush_every = absl::ZeroDuration();
  return options;
}

class AppStateTest : public ::testing::Test {
 protected:
  AppStateTest() : clock_(std::make_shared<FakeClock>(Wednesday10am())) {}

  void Open(const std::string& dir, ComplaintAppOptions options = {}) {
    app_.reset();
    store_.reset();
    EventStoreOptions store_options;
    store_options.clock = clock_;
    auto store = EventStore::Open(dir, store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    options.clock = clock_;
    auto app = ComplaintApp::Create(store_.get(), options);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
  }

  // Closes the store under the app, as a crash would: what the app state
  // had not written stays unwritten.
  void Crash() {
    ASSERT_TRUE(store_->Close().ok());
    app_.reset();
    store_.reset();
  }

  void Reference() {
    for (const auto& [id, role] : std::vector<std::pair<std::string, v1::Role>>{
             {"h1", v1::ROLE_CENTRE_HEAD}, {"a17", v1::ROLE_AGENT}}) {
      ASSERT_TRUE(app_->Execute(build::Agent(id, {role}), "h1").ok());
    }
  }

  // A classified complaint of the customer with `phone`: its id and the
  // complaints it repeats.
  std::pair<std::string, std::vector<std::string>> Complain(
      const std::string& phone) {
    v1::ReceiveComplaint intake = build::ComplaintIntake("", phone);
    auto result = app_->Execute(intake, "a17");
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    const v1::ComplaintState& state = result->state();
    return {state.complaint_id(),
            std::vector<std::string>(state.linked_complaint_ids().begin(),
                                     state.linked_complaint_ids().end())};
  }

  TempDir dir_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintApp> app_;
};

TEST_F(AppStateTest, AStartFoldsOnlyTheEventsAfterTheCheckpoint) {
  ComplaintAppOptions options;
  options.app_state = NeverOnItsOwn();
  Open(dir_.path(), options);
  Reference();
  EXPECT_EQ(Complain("13800138000").first, "2026-000001");
  app_->Close();  // Writes the state to the log's end.
  const uint64_t written = store_->log_head().position_last;

  Open(dir_.path(), options);
  EXPECT_EQ(app_->start().events_folded, 0u);
  EXPECT_THAT(app_->start().state_rebuilt_because, IsEmpty());
  // Three more, never written: a crash loses them from the state, not
  // from the log.
  auto second = Complain("13800138000");
  EXPECT_EQ(second.first, "2026-000002");
  EXPECT_EQ(second.second, std::vector<std::string>{"2026-000001"});
  EXPECT_EQ(Complain("13900139000").first, "2026-000003");
  EXPECT_EQ(Complain("13900139000").second,
            std::vector<std::string>{"2026-000003"});
  const uint64_t end = store_->log_head().position_last;
  Crash();

  Open(dir_.path(), options);
  EXPECT_EQ(app_->start().events_folded, end - written);
  // Numbering and repeats go on from the log, not from what was written.
  auto third = Complain("13800138000");
  EXPECT_EQ(third.first, "2026-000005");
  EXPECT_EQ(third.second,
            (std::vector<std::string>{"2026-000001", "2026-000002"}));
  EXPECT_EQ(Complain("13900139000").second,
            (std::vector<std::string>{"2026-000003", "2026-000004"}));
}

TEST_F(AppStateTest, MissingOrForeignRowsAreFoldedAgainFromTheLog) {
  Open(dir_.path());
  Reference();
  Complain("13800138000");
  Complain("13800138000");
  app_->Close();
  const uint64_t end = store_->log_head().position_last;
  app_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_.Sub("app-state"));

  Open(dir_.path());
  EXPECT_EQ(app_->start().events_folded, end);
  auto third = Complain("13800138000");
  EXPECT_EQ(third.first, "2026-000003");
  EXPECT_EQ(third.second,
            (std::vector<std::string>{"2026-000001", "2026-000002"}));
  app_->Close();
  const uint64_t end_now = store_->log_head().position_last;
  app_.reset();
  store_.reset();

  // Another ledger's state, as long a log: its checkpoint's event is not
  // this log's.
  TempDir other;
  Open(other.path());
  Reference();
  for (int i = 0; i < 3; ++i) Complain("13700137000");
  app_->Close();
  ASSERT_EQ(store_->log_head().position_last, end_now);
  app_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_.Sub("app-state"));
  std::filesystem::copy(other.Sub("app-state"), dir_.Sub("app-state"));
  Open(dir_.path());
  EXPECT_THAT(app_->start().state_rebuilt_because,
              HasSubstr("another history"));
  auto fourth = Complain("13800138000");
  EXPECT_EQ(fourth.first, "2026-000004");
  EXPECT_EQ(fourth.second.size(), 3u);
  EXPECT_TRUE(Complain("13700137000").second.empty());
}

// The same workload, with the state flushed after every event and never:
// the same log, byte for byte (every decision, repeat links included).
TEST(AppStateFlushTest, WhenFlushesHappenChangesNoDecision) {
  sim::WorkloadOptions plan;
  plan.seed = 11;
  plan.cases = 600;
  const sim::Workload workload = sim::PlanWorkload(plan);
  std::vector<std::string> heads;
  for (const uint64_t every : {uint64_t{1}, uint64_t{0}}) {
    TempDir dir;
    auto clock = std::make_shared<FakeClock>(workload.steps.front().at);
    EventStoreOptions store_options;
    store_options.clock = clock;
    auto store = EventStore::Open(dir.path(), store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    ComplaintAppOptions options;
    options.clock = clock;
    options.app_state = NeverOnItsOwn();
    options.app_state.flush_every_events = every;
    auto app = ComplaintApp::Create(store->get(), options);
    ASSERT_TRUE(app.ok()) << app.status();
    int refused = 0;
    ASSERT_TRUE(sim::RunInProcess(workload, 0, workload.steps.size(),
                                  app->get(), clock.get(), &refused)
                    .ok());
    heads.push_back((*store)->log_head().hash_last);
    (*app)->Close();
  }
  EXPECT_EQ(heads[0], heads[1]);
}

// The app-state database keeps Bloom filters of its customers' key prefixes
// (EventStore::app_state()): a customer's scan, in prefix mode, finds its
// rows and no one else's, in the memtable and in table files alike; a scan
// of a customer never seen, before, between or after the others (walking
// into the short keys of other views), finds nothing; scans of other views
// and of all customers run in key order as before.
TEST(AppStateRowsTest, ACustomersScanFindsItsRowsOnlyInMemoryAndOnDisk) {
  TempDir dir;
  const size_t n = EventStore::kAppStateCustomerKeyBytes;
  const std::string customers = EventStore::kAppStateCustomers;
  auto row = [n](char customer, uint64_t position) {
    std::string key(n, customer);
    PutFixed64BE(&key, position);
    return key;
  };
  auto scan = [&](ViewStore& rows, const std::string& view,
                  const std::string& prefix) {
    std::vector<std::string> values;
    EXPECT_TRUE(rows.ScanView(view, prefix,
                              [&](absl::string_view, absl::string_view v) {
                                values.emplace_back(v);
                                return true;
                              })
                    .ok());
    return values;
  };
  using ::testing::ElementsAre;
  auto check = [&](ViewStore& rows, bool with_e) {
    EXPECT_THAT(scan(rows, customers, std::string(n, 'c')),
                ElementsAre("c1", "c5"));
    EXPECT_THAT(scan(rows, customers, std::string(n, 'd')), ElementsAre("d2"));
    // Before the first, between two, after the last.
    std::vector<std::string> never = {std::string(n, 'a'),
                                      std::string(n - 1, 'c') + 'd',
                                      std::string(n, 'z')};
    if (!with_e) never.push_back(std::string(n, 'e'));
    for (const std::string& prefix : never) {
      EXPECT_THAT(scan(rows, customers, prefix), IsEmpty()) << prefix;
    }
    if (with_e) {
      EXPECT_THAT(scan(rows, customers, std::string(n, 'e')),
                  ElementsAre("e9"));
    }
    std::vector<std::string> all = {"c1", "c5", "d2"};
    if (with_e) all.push_back("e9");
    EXPECT_EQ(scan(rows, customers, ""), all);
    EXPECT_THAT(scan(rows, "log", ""), ElementsAre("x"));
    EXPECT_THAT(scan(rows, "numbers", ""), ElementsAre("n"));
  };
  {
    auto store = EventStore::Open(dir.path(), EventStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    ViewStore& rows = (*store)->app_state();
    ASSERT_TRUE(rows.WriteViews({{customers,
                                  {{row('c', 1), "c1"},
                                   {row('c', 5), "c5"},
                                   {row('d', 2), "d2"}},
                                  {},
                                  1},
                                 {"log", {{"end", "x"}}, {}, 1},
                                 {"numbers", {{"2026", "n"}}, {}, 1}})
                    .ok());
    check(rows, false);  // In the memtable.
  }
  // Closed: flushed into a table file.
  auto store = EventStore::Open(dir.path(), EventStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  ViewStore& rows = (*store)->app_state();
  check(rows, false);
  // One customer more, in the memtable over the table file.
  ASSERT_TRUE(
      rows.WriteViews({{customers, {{row('e', 9), "e9"}}, {}, 2}}).ok());
  check(rows, true);
}

class LogCheckTest : public AppStateTest {
 protected:
  // A ledger of some complaints whose record at kVictim is then changed.
  static constexpr uint64_t kVictim = 5;
  void SetUp() override {
    Open(dir_.path());
    Reference();
    for (int i = 0; i < 4; ++i) Complain("13800138000");
    app_->Close();
    app_.reset();
    store_.reset();
    auto raw = RawDb::Open(dir_.path());
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_TRUE((*raw)->ChangePayload(kVictim).ok());
  }

  // Opens the ledger with `check`; how the check ended, and what a command
  // then gets.
  struct Checked {
    absl::Status check;
    absl::Status command;
  };
  Checked OpenWith(ComplaintAppOptions::LogCheck check) {
    ComplaintAppOptions options;
    options.log_check = check;
    Open(dir_.path(), options);
    Checked checked{app_->WaitForLogCheck(), absl::OkStatus()};
    checked.command = app_->Execute(build::ComplaintIntake(), "a17").status();
    return checked;
  }
};

TEST_F(LogCheckTest, BeforeServingABrokenRecordRefusesTheFirstCommand) {
  const Checked checked =
      OpenWith(ComplaintAppOptions::LogCheck::kBeforeServing);
  EXPECT_EQ(checked.check.code(), absl::StatusCode::kDataLoss) << checked.check;
  EXPECT_EQ(checked.command.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(checked.command.message(), HasSubstr("position 5"));
}

TEST_F(LogCheckTest, InTheBackgroundCommandsAreRefusedOnceTheCheckMeetsIt) {
  const Checked checked =
      OpenWith(ComplaintAppOptions::LogCheck::kInBackground);
  EXPECT_EQ(checked.check.code(), absl::StatusCode::kDataLoss) << checked.check;
  EXPECT_THAT(checked.check.message(), HasSubstr("5"));
  EXPECT_EQ(checked.command.code(), absl::StatusCode::kDataLoss);
}

TEST_F(AppStateTest, ASoundLogChecksInTheBackground) {
  Open(dir_.path());
  Reference();
  Complain("13800138000");
  app_->Close();
  ComplaintAppOptions options;
  options.log_check = ComplaintAppOptions::LogCheck::kInBackground;
  Open(dir_.path(), options);
  EXPECT_TRUE(app_->WaitForLogCheck().ok());
  EXPECT_THAT(Complain("13800138000").second,
              (std::vector<std::string>{"2026-000001"}));
}

}  // namespace
}  // namespace ledger::testing
