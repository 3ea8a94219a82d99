// Projections in a process of their own (ledgerd --projections_only
// --ledger=host:port) against a real ledgerd process: the same answers as
// the ledger's in-process projections, after a SIGKILL in the middle of the
// catch-up (no double counting, nothing skipped), live as commands arrive
// over gRPC, and across a restart of the ledger it follows (it says what is
// wrong meanwhile, then reconnects and carries on); another ledger behind
// the same address is refused.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "app/complaint_app.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"
#include "tools/sim/in_process.h"
#include "tools/sim/over_grpc.h"
#include "tools/sim/workload.h"

namespace ledger::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kCases = 3000;

class ProjectionsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::WorkloadOptions options;
    options.seed = 7;
    options.cases = kCases;
    workload_ = sim::PlanWorkload(options);
    // Most of the history written in this process (fast), the rest sent
    // to ledgerd over gRPC later, while the projection process follows.
    live_from_ = workload_.steps.size() * 9 / 10;
    auto clock = std::make_shared<FakeClock>(workload_.steps.front().at);
    {
      EventStoreOptions store_options;
      store_options.clock = clock;
      auto store = EventStore::Open(dir_.Sub("ledger"), store_options);
      ASSERT_TRUE(store.ok()) << store.status();
      ComplaintAppOptions app_options;
      app_options.clock = clock;
      auto app = ComplaintApp::Create(store->get(), app_options);
      ASSERT_TRUE(app.ok()) << app.status();
      const absl::Status ran =
          sim::RunInProcess(workload_, 0, live_from_, app->get(), clock.get());
      ASSERT_TRUE(ran.ok()) << ran;
      (*app)->Close();
      ASSERT_TRUE((*store)->Close().ok());
    }
    StartLedger("127.0.0.1:0");
  }

  // The ledger's clock runs on from a known Monday in 2026 (the shipped
  // calendar's year), after the history written above.
  void StartLedger(const std::string& listen) {
    std::filesystem::create_directories(dir_.Sub("ledgerd"));
    ledgerd_ = std::make_unique<LedgerdProcess>(
        LEDGERD_PATH, dir_.Sub("ledgerd"), dir_.Sub("ledger"),
        std::vector<std::string>{"--start_time=2026-12-21T10:00:00+08:00",
                                 "--listen=" + listen});
    ASSERT_FALSE(ledgerd_->target().empty()) << "ledgerd did not start";
  }

  std::unique_ptr<LedgerdProcess> StartProjections(const std::string& name) {
    std::filesystem::create_directories(dir_.Sub("w-" + name));
    auto process = std::make_unique<LedgerdProcess>(
        LEDGERD_PATH, dir_.Sub("w-" + name), dir_.Sub(name),
        std::vector<std::string>{"--projections_only",
                                 "--ledger=" + ledgerd_->target()});
    EXPECT_FALSE(process->target().empty()) << "projections did not start";
    return process;
  }

  static std::unique_ptr<v1::QueryService::Stub> Query(
      const std::string& target) {
    return v1::QueryService::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  }

  static std::vector<v1::ProjectionInfo> List(const std::string& target) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::ListProjectionsResponse response;
    grpc::Status s = Query(target)->ListProjections(
        &context, v1::ListProjectionsRequest(), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {response.projections().begin(), response.projections().end()};
  }

  // Whether a projection at `target` reports an error containing `text`
  // within 10 s.
  static bool SaysError(const std::string& target, const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      for (const auto& p : List(target)) {
        if (absl::StrContains(p.error(), text)) return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // Whether the health of `process`'s QueryService becomes SERVING (or,
  // with `serving` false, anything else) within 10 s.
  static bool HealthBecomes(const LedgerdProcess& process, bool serving) {
    for (int i = 0; i < 500; ++i) {
      const auto health = process.Health("ledger.v1.QueryService");
      if (health.has_value() &&
          (*health == grpc::health::v1::HealthCheckResponse::SERVING) ==
              serving) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // Waits until every projection at `target` has read the ledger's log.
  void WaitCaughtUp(const std::string& target) {
    const uint64_t head = ledgerd_->LogHead();
    const absl::Time until = absl::Now() + absl::Seconds(120);
    while (absl::Now() < until) {
      bool all = true;
      for (const auto& p : List(target)) all &= p.checkpoint() == head;
      if (all) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << target << " did not reach position " << head;
  }

  // Every answer a reader could ask for, serialized: station tables and
  // analyses of each month, every queue at a fixed "now", scorecards.
  std::vector<std::string> Answers(const std::string& target) {
    auto stub = Query(target);
    std::vector<std::string> out;
    auto ask = [&](auto method, const auto& request, auto response) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(30));
      grpc::Status s = ((*stub).*method)(&context, request, &response);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.push_back(response.SerializeAsString());
    };
    for (int m = 0; m < workload_.months; ++m) {
      const absl::CivilMonth month = workload_.first_month + m;
      const v1::YearMonth ym = ToYearMonth(month);
      v1::GetStationTableRequest table;
      *table.mutable_month() = ym;
      ask(&v1::QueryService::Stub::GetStationTable, table,
          v1::GetStationTableResponse());
      v1::GetMonthlyAnalysisRequest analysis;
      *analysis.mutable_month() = ym;
      ask(&v1::QueryService::Stub::GetMonthlyAnalysis, analysis,
          v1::GetMonthlyAnalysisResponse());
      for (const char* agent : {"a1", "a2", "a3"}) {
        v1::GetAgentScorecardRequest card;
        card.set_agent_id(agent);
        *card.mutable_month() = ym;
        ask(&v1::QueryService::Stub::GetAgentScorecard, card,
            v1::AgentScorecard());
      }
    }
    for (int kind = v1::QueueKind_MIN + 1; kind <= v1::QueueKind_MAX; ++kind) {
      v1::GetQueueRequest queue;
      queue.set_kind(static_cast<v1::QueueKind>(kind));
      if (kind == v1::QUEUE_KIND_OPEN_BY_OWNER) queue.set_owner_agent_id("a1");
      queue.set_now_us(absl::ToUnixMicros(workload_.steps.back().at));
      queue.set_page_size(1000);
      ask(&v1::QueryService::Stub::GetQueue, queue, v1::GetQueueResponse());
    }
    return out;
  }

  void ExpectSameAnswers(const std::string& projections) {
    WaitCaughtUp(ledgerd_->target());
    WaitCaughtUp(projections);
    const std::vector<std::string> expected = Answers(ledgerd_->target());
    const std::vector<std::string> got = Answers(projections);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(got[i] == expected[i]) << "answer " << i << " differs";
    }
  }

  TempDir dir_{TempDir::Where::kMemoryIfAvailable};
  sim::Workload workload_;
  size_t live_from_ = 0;
  std::unique_ptr<LedgerdProcess> ledgerd_;
};

TEST_F(ProjectionsProcessTest, RemoteEqualsInProcessAcrossKillsAndRestarts) {
  const uint64_t head = ledgerd_->LogHead();
  ASSERT_GT(head, 15000u);

  // Killed in the middle of its catch-up, then started again on its own
  // views: it resumes from its last written checkpoint.
  {
    auto first = StartProjections("views");
    bool seen_midway = false;
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (!seen_midway && absl::Now() < until) {
      for (const auto& p : List(first->target())) {
        seen_midway |= p.checkpoint() > 4096 && p.checkpoint() < head;
      }
    }
    first->Kill();
    ASSERT_TRUE(seen_midway) << "never saw the catch-up under way";
  }
  auto projections = StartProjections("views");
  ExpectSameAnswers(projections->target());
  for (const auto& p : List(projections->target())) {
    EXPECT_EQ(p.source(), ledgerd_->target());
    EXPECT_EQ(p.error(), "");
    EXPECT_EQ(p.lag(), 0u);
  }

  // Live: half of the rest of the workload over gRPC.
  const size_t half = live_from_ + (workload_.steps.size() - live_from_) / 2;
  auto channel = grpc::CreateChannel(ledgerd_->target(),
                                     grpc::InsecureChannelCredentials());
  absl::Status sent = sim::RunOverGrpc(workload_, live_from_, half, channel);
  ASSERT_TRUE(sent.ok()) << sent;
  ExpectSameAnswers(projections->target());

  // The ledger goes away: the projection process keeps answering from
  // what it has, says why it is not following, and carries on when the
  // ledger is back on the same address.
  const std::string address = ledgerd_->target();
  EXPECT_TRUE(HealthBecomes(*projections, true));
  ASSERT_EQ(ledgerd_->Stop(), 0);
  EXPECT_TRUE(SaysError(projections->target(), "UNAVAILABLE"))
      << "ListProjections did not say the ledger is away";
  EXPECT_TRUE(HealthBecomes(*projections, false))
      << "its QueryService stayed SERVING while the ledger was away";
  StartLedger(address);
  ASSERT_EQ(ledgerd_->target(), address);
  sent = sim::RunOverGrpc(
      workload_, half, workload_.steps.size(),
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(sent.ok()) << sent;
  ExpectSameAnswers(projections->target());
  for (const auto& p : List(projections->target())) {
    EXPECT_EQ(p.error(), "") << p.name();
  }
  EXPECT_TRUE(HealthBecomes(*projections, true));
  // And its log says so (written before its health turns).
  {
    std::ifstream log(dir_.Sub("w-views") + "/ledgerd.log");
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_THAT(text.str(), ::testing::HasSubstr("projections: following " +
                                                 address + " again"));
  }

  // Another (new, short) ledger behind the same address is refused for
  // good, not mixed in; the views keep answering from what they have.
  ASSERT_EQ(ledgerd_->Stop(), 0);
  std::filesystem::create_directories(dir_.Sub("other-w"));
  LedgerdProcess other(LEDGERD_PATH, dir_.Sub("other-w"), dir_.Sub("other"),
                       std::vector<std::string>{"--listen=" + address});
  ASSERT_EQ(other.target(), address);
  EXPECT_TRUE(SaysError(projections->target(), "not the same ledger"))
      << "the projections followed another ledger";
  EXPECT_TRUE(HealthBecomes(*projections, false));
}

TEST_F(ProjectionsProcessTest, RefusesTheLedgersOwnDirectory) {
  ASSERT_EQ(ledgerd_->Stop(), 0);
  // Started on a directory holding a log, it refuses and says why.
  const ProcessResult bad = testing::Run(
      {LEDGERD_PATH, "--listen=127.0.0.1:0", "--data_dir=" + dir_.Sub("ledger"),
       "--projections_only", "--ledger=127.0.0.1:1", "--insecure_no_auth"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("holds a ledger's log"));
  // And the flags go together.
  const ProcessResult alone = testing::Run(
      {LEDGERD_PATH, "--data_dir=" + dir_.Sub("x"), "--projections_only"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_THAT(alone.err, HasSubstr("--projections_only and --ledger"));
}

}  // namespace
}  // namespace ledger::testing
