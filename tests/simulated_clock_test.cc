// ledgerd --simulated_clock: ledger_sim --target (a real client process)
// sends months of traffic over the real API on the plan's clock; the clock
// only moves forward; without the flag the service is not there and the
// server's clock stamps the events.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/simulation_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

absl::Time Shanghai(int y, int m, int d) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return absl::FromCivil(absl::CivilDay(y, m, d), zone);
}

class SimulatedClockTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    ledgerd_ = std::make_unique<testing::LedgerdProcess>(
        LEDGERD_PATH, dir_.path(), dir_.Sub("data"), flags);
    ASSERT_FALSE(ledgerd_->target().empty()) << "ledgerd did not start";
    channel_ = grpc::CreateChannel(ledgerd_->target(),
                                   grpc::InsecureChannelCredentials());
  }

  // ledger_sim --target with 60 cases from March 2026 over two months.
  testing::ProcessResult Sim() {
    return testing::Run({LEDGER_SIM_PATH, "--target=" + ledgerd_->target(),
                         "--seed=5", "--cases=60", "--first_month=2026-03",
                         "--months=2"});
  }

  grpc::Status SetClock(int64_t time_us, v1::SetClockResponse* response) {
    auto stub = v1::SimulationService::NewStub(channel_);
    v1::SetClockRequest request;
    request.set_time_us(time_us);
    grpc::ClientContext context;
    return stub->SetClock(&context, request, response);
  }

  std::vector<v1::Event> Log() {
    auto stub = v1::Ledger::NewStub(channel_);
    std::vector<v1::Event> log;
    for (;;) {
      v1::ReadAllRequest request;
      request.set_from_position(log.size() + 1);
      request.set_limit(1000);
      v1::ReadAllResponse response;
      grpc::ClientContext context;
      grpc::Status s = stub->ReadAll(&context, request, &response);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok() || response.events().empty()) return log;
      for (const v1::Event& e : response.events()) log.push_back(e);
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::LedgerdProcess> ledgerd_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SimulatedClockTest, LedgerSimSendsMonthsOnThePlansClock) {
  Start({"--simulated_clock", "--start_time=2026-01-01T00:00:00+08:00"});
  const testing::ProcessResult sim = Sim();
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_THAT(sim.out, HasSubstr("on the plan's clock"));

  const std::vector<v1::Event> log = Log();
  ASSERT_GT(log.size(), 60u);
  int64_t first_intake_us = 0;
  for (size_t i = 1; i < log.size(); ++i) {
    ASSERT_LE(log[i - 1].recorded_time_us(), log[i].recorded_time_us())
        << "position " << log[i].position();
    if (first_intake_us == 0 &&
        log[i].event_type() == "ledger.v1.ComplaintReceived") {
      first_intake_us = log[i].recorded_time_us();
    }
  }
  // The plan's times: intakes from March, follow-ups into May; neither the
  // start time (1 January) nor the machine's clock.
  const absl::Time first_intake = absl::FromUnixMicros(first_intake_us);
  EXPECT_GE(first_intake, Shanghai(2026, 3, 1));
  EXPECT_LT(first_intake, Shanghai(2026, 3, 8));
  const absl::Time last = absl::FromUnixMicros(log.back().recorded_time_us());
  EXPECT_GE(last, Shanghai(2026, 4, 15));
  EXPECT_LT(last, Shanghai(2026, 6, 1));

  // March's station table counts March's complaints.
  auto queries = v1::QueryService::NewStub(channel_);
  v1::GetStationTableRequest request;
  request.mutable_month()->set_year(2026);
  request.mutable_month()->set_month(3);
  request.set_as_of_position(log.back().position());
  v1::GetStationTableResponse table;
  grpc::ClientContext context;
  ASSERT_TRUE(queries->GetStationTable(&context, request, &table).ok());
  EXPECT_GT(table.totals().complaints(), 5);

  // The clock moves forward only: the same plan again is refused at its
  // first step, with the log unchanged.
  v1::SetClockResponse response;
  grpc::Status back =
      SetClock(absl::ToUnixMicros(Shanghai(2026, 2, 1)), &response);
  EXPECT_EQ(back.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(back.error_message(), HasSubstr("only moves forward"));
  EXPECT_EQ(SetClock(0, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const testing::ProcessResult again = Sim();
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("only moves forward"));
  EXPECT_EQ(ledgerd_->LogHead(), log.back().position());
  ASSERT_TRUE(SetClock(log.back().recorded_time_us() + 1, &response).ok());
  EXPECT_EQ(response.time_us(), log.back().recorded_time_us() + 1);
}

TEST_F(SimulatedClockTest, WithoutTheFlagTheServersClockStampsTheEvents) {
  Start({});
  v1::SetClockResponse response;
  EXPECT_EQ(SetClock(1, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const absl::Time before = absl::Now();
  const testing::ProcessResult sim = Sim();
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_THAT(sim.out, HasSubstr("on the server's clock"));
  const std::vector<v1::Event> log = Log();
  ASSERT_FALSE(log.empty());
  EXPECT_GE(absl::FromUnixMicros(log.back().recorded_time_us()),
            before - absl::Seconds(1));
}

}  // namespace
}  // namespace ledger
