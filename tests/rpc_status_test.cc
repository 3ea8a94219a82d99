// The one conversion between absl::Status and grpc::Status (rpc/status.h).
#include "rpc/status.h"

#include "gtest/gtest.h"
#include "ledger/store/errors.h"

namespace ledger {
namespace {

TEST(RpcStatusTest, EveryCodeAndMessageCrossesBothWays) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code),
                              code == 0 ? "" : "what went wrong");
    const grpc::Status converted = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    EXPECT_EQ(converted.error_message(), std::string(status.message()));
    EXPECT_EQ(FromGrpcStatus(converted), status);
  }
}

TEST(RpcStatusTest, ADataLossWithAPositionKeepsItsCodeAndMessage) {
  const absl::Status broken = DataLossAt(42, "the record does not parse");
  ASSERT_EQ(BrokenPosition(broken), 42u);
  // The position goes in trailing metadata too (checked end to end in
  // GrpcEndToEndTest.VerifyReportsTheBrokenPositionOnlineAndOffline).
  grpc::ServerContext context;
  const grpc::Status converted = ToGrpcStatus(broken, &context);
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_NE(converted.error_message().find("does not parse"),
            std::string::npos);
}

}  // namespace
}  // namespace ledger
