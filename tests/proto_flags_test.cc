// ledgerctl's flag parser (tools/ledgerctl/proto_flags.h): every field of
// every command is a flag, values parse as the header says, and a bad name
// or value is INVALID_ARGUMENT naming it.
#include "tools/ledgerctl/proto_flags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/v1/commands.pb.h"

namespace ledger::ctl {
namespace {

using ::testing::HasSubstr;

absl::TimeZone Shanghai() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return zone;
}

TEST(ProtoFlagsTest, SetsFieldsByNameNestedAndInTheContext) {
  v1::ReceiveComplaint c;
  const absl::TimeZone zone = Shanghai();
  ASSERT_TRUE(SetFlag("content", "No paper today", zone, &c).ok());
  ASSERT_TRUE(SetFlag("customer-phone", "13800138000", zone, &c).ok());
  ASSERT_TRUE(SetFlag("command-id", "desk-1/7", zone, &c).ok());
  ASSERT_TRUE(SetFlag("green-channel", "", zone, &c).ok());
  ASSERT_TRUE(SetFlag("channel", "phone", zone, &c).ok());
  EXPECT_EQ(c.content(), "No paper today");
  EXPECT_EQ(c.customer().phone(), "13800138000");
  EXPECT_EQ(c.context().command_id(), "desk-1/7");
  EXPECT_TRUE(c.green_channel());
  EXPECT_EQ(c.channel(), v1::CHANNEL_PHONE);
}

TEST(ProtoFlagsTest, EnumsRepeatedFieldsAndStructuredValues) {
  const absl::TimeZone zone = Shanghai();
  v1::RequestAssist assist;
  ASSERT_TRUE(SetFlag("targets", "station:s1", zone, &assist).ok());
  ASSERT_TRUE(SetFlag("targets", "department:eng", zone, &assist).ok());
  ASSERT_EQ(assist.targets_size(), 2);
  EXPECT_EQ(assist.targets(0).station_id(), "s1");
  EXPECT_EQ(assist.targets(1).department_id(), "eng");

  v1::RegisterAgent agent;
  ASSERT_TRUE(SetFlag("roles", "agent,clerk", zone, &agent).ok());
  ASSERT_EQ(agent.agent().roles_size(), 2);
  EXPECT_EQ(agent.agent().roles(0), v1::ROLE_AGENT);
  EXPECT_EQ(agent.agent().roles(1), v1::ROLE_CLERK);
  ASSERT_TRUE(SetFlag("roles", "ROLE_CENTRE_HEAD", zone, &agent).ok());
  EXPECT_EQ(agent.agent().roles(2), v1::ROLE_CENTRE_HEAD);

  v1::RecordStationVolume volume;
  ASSERT_TRUE(SetFlag("month", "2026-11", zone, &volume).ok());
  EXPECT_EQ(volume.volume().month().year(), 2026);
  EXPECT_EQ(volume.volume().month().month(), 11);
}

TEST(ProtoFlagsTest, TimesInTheZoneInRfc3339OrMicroseconds) {
  const absl::TimeZone zone = Shanghai();
  v1::AnswerAssist c;
  ASSERT_TRUE(SetFlag("promised-due-us", "2026-11-18 10:00", zone, &c).ok());
  const int64_t local = c.promised_due_us();
  EXPECT_EQ(local, absl::ToUnixMicros(absl::FromCivil(
                       absl::CivilMinute(2026, 11, 18, 10, 0), zone)));
  ASSERT_TRUE(
      SetFlag("promised-due-us", "2026-11-18T02:00:00Z", zone, &c).ok());
  EXPECT_EQ(c.promised_due_us(), local);
  ASSERT_TRUE(SetFlag("promised-due-us", "12345", zone, &c).ok());
  EXPECT_EQ(c.promised_due_us(), 12345);
}

TEST(ProtoFlagsTest, BadNamesAndValuesAreInvalidArgumentNamingThem) {
  const absl::TimeZone zone = Shanghai();
  v1::ReceiveComplaint c;
  absl::Status unknown = SetFlag("colour", "red", zone, &c);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("colour"));
  absl::Status bad_enum = SetFlag("channel", "pigeon", zone, &c);
  EXPECT_EQ(bad_enum.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_enum.message(), HasSubstr("pigeon"));
  absl::Status bad_bool = SetFlag("green-channel", "perhaps", zone, &c);
  EXPECT_EQ(bad_bool.code(), absl::StatusCode::kInvalidArgument);
  v1::AnswerAssist answer;
  absl::Status bad_time = SetFlag("promised-due-us", "tomorrow", zone, &answer);
  EXPECT_EQ(bad_time.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_time.message(), HasSubstr("tomorrow"));
  v1::RequestAssist assist;
  absl::Status bad_target = SetFlag("targets", "moon:1", zone, &assist);
  EXPECT_EQ(bad_target.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_target.message(), HasSubstr("moon:1"));
}

}  // namespace
}  // namespace ledger::ctl
