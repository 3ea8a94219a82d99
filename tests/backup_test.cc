// Backup and restore against real processes: a ledgerd taking commands from
// ledger_sim while `ledgerctl backup` copies it; a second ledgerd started
// with --restore_from serves the same log and the same answers as of the
// backup's end, and verifies.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

class BackupTest : public ::testing::Test {
 protected:
  testing::ProcessResult Ctl(const std::string& target,
                             std::vector<std::string> args) {
    args.insert(args.begin(), {LEDGERCTL_PATH, "--target=" + target});
    return testing::Run(args);
  }
  testing::ProcessResult Sim(const std::string& target, int seed) {
    return testing::Run({LEDGER_SIM_PATH, "--target=" + target,
                         absl::StrCat("--seed=", seed), "--cases=80",
                         "--first_month=2026-09", "--months=2"});
  }
  // Every event of `target` up to `last`, serialized.
  std::vector<std::string> Events(const std::string& target, uint64_t last) {
    auto stub = v1::Ledger::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    std::vector<std::string> events;
    v1::ReadAllRequest request;
    request.set_from_position(1);
    request.set_limit(256);
    while (request.from_position() <= last) {
      grpc::ClientContext context;
      v1::ReadAllResponse page;
      grpc::Status s = stub->ReadAll(&context, request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok() || page.events().empty()) break;
      for (const v1::Event& e : page.events()) {
        if (e.position() <= last) events.push_back(e.SerializeAsString());
      }
      request.set_from_position(page.events().rbegin()->position() + 1);
    }
    return events;
  }

  testing::TempDir dir_;
};

TEST_F(BackupTest, ACopyTakenWhileCommandsArriveRestoresToTheSameLedger) {
  const std::string backups = dir_.Sub("backups");
  testing::LedgerdProcess ledger(
      LEDGERD_PATH, dir_.path(), dir_.Sub("data"),
      {"--backup_dir=" + backups, "--publish_shipped_calendar=true"});
  ASSERT_FALSE(ledger.target().empty()) << "ledgerd did not start";
  ASSERT_EQ(Sim(ledger.target(), 1).exit_code, 0);

  // A second simulation runs while the backup is taken: writes go on.
  const pid_t sim = testing::Spawn(
      {LEDGER_SIM_PATH, "--target=" + ledger.target(), "--seed=2", "--cases=80",
       "--first_month=2026-10", "--months=1"});
  testing::ProcessResult backup =
      Ctl(ledger.target(), {"--format=json", "backup", "nightly-1"});
  ASSERT_EQ(testing::WaitFor(sim), 0);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // {"path":"…","position_last":N,"hash_last":"…","events_verified":N}
  const std::string& json = backup.out;
  const size_t at = json.find("\"position_last\":");
  ASSERT_NE(at, std::string::npos) << json;
  const uint64_t position = std::stoull(json.substr(at + 16));
  EXPECT_THAT(json, HasSubstr(absl::StrCat("\"events_verified\":", position)));
  EXPECT_THAT(json, HasSubstr("\"path\":\"" + backups + "/nightly-1\""));
  ASSERT_GT(position, 0u);
  ASSERT_LE(position, ledger.LogHead());

  // The name is taken now; names are names, not paths.
  testing::ProcessResult again = Ctl(ledger.target(), {"backup", "nightly-1"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("ALREADY_EXISTS"));
  testing::ProcessResult path =
      Ctl(ledger.target(), {"backup", "../elsewhere"});
  EXPECT_NE(path.exit_code, 0);
  EXPECT_THAT(path.err, HasSubstr("INVALID_ARGUMENT"));
  for (const std::string& bad :
       std::vector<std::string>{"..", std::string(65, 'x')}) {
    testing::ProcessResult refused = Ctl(ledger.target(), {"backup", bad});
    EXPECT_EQ(refused.exit_code, 1) << bad;
    EXPECT_THAT(refused.err, HasSubstr("INVALID_ARGUMENT: name")) << bad;
  }

  // Restored: the same events up to the backup's end, no more; it verifies.
  std::filesystem::create_directories(dir_.Sub("w2"));
  testing::LedgerdProcess restored(
      LEDGERD_PATH, dir_.Sub("w2"), dir_.Sub("restored"),
      {"--restore_from=" + backups + "/nightly-1"});
  ASSERT_FALSE(restored.target().empty()) << "the restored ledgerd";
  EXPECT_EQ(restored.LogHead(), position);
  EXPECT_EQ(Events(restored.target(), position),
            Events(ledger.target(), position));
  testing::ProcessResult verified = Ctl(restored.target(), {"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out,
              HasSubstr(absl::StrCat("chain OK: ", position, " events")));

  // The same answers as of the backup's end.
  ASSERT_TRUE(ledger.WaitForProjections(ledger.LogHead()));
  ASSERT_TRUE(restored.WaitForProjections(position));
  const std::string as_of = absl::StrCat("--as_of=", position);
  for (const std::vector<std::string>& query :
       std::vector<std::vector<std::string>>{
           {"stations", "--month=2026-09", as_of},
           {"analysis", "--month=2026-10", as_of},
           {"queue", "revisits-due", as_of},
           {"queue", "open-by-owner", "--owner=a1", as_of}}) {
    testing::ProcessResult a = Ctl(ledger.target(), query);
    testing::ProcessResult b = Ctl(restored.target(), query);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, b.out) << query[0];
  }

  // The restored ledger takes commands on from there, and was started
  // without --backup_dir: it refuses backups.
  EXPECT_EQ(Sim(restored.target(), 3).exit_code, 0);
  EXPECT_GT(restored.LogHead(), position);
  testing::ProcessResult off = Ctl(restored.target(), {"backup", "b"});
  EXPECT_NE(off.exit_code, 0);
  EXPECT_THAT(off.err, HasSubstr("without --backup_dir"));
}

TEST_F(BackupTest, ARestoreNeverOverwritesALedger) {
  testing::ProcessResult no_backup =
      testing::Run({LEDGERD_PATH, "--data_dir=" + dir_.Sub("a"),
                    "--insecure_no_auth", "--restore_from=" + dir_.path()});
  EXPECT_EQ(no_backup.exit_code, 2);
  EXPECT_THAT(no_backup.err, HasSubstr("is not a backup of a ledger"));

  const std::string backups = dir_.Sub("backups");
  {
    testing::LedgerdProcess ledger(LEDGERD_PATH, dir_.path(), dir_.Sub("data"),
                                   {"--backup_dir=" + backups});
    ASSERT_FALSE(ledger.target().empty());
    ASSERT_EQ(Ctl(ledger.target(), {"backup", "b"}).exit_code, 0);
  }
  // Into the ledger it came from: refused, nothing touched.
  testing::ProcessResult onto =
      testing::Run({LEDGERD_PATH, "--data_dir=" + dir_.Sub("data"),
                    "--insecure_no_auth", "--restore_from=" + backups + "/b"});
  EXPECT_EQ(onto.exit_code, 2);
  EXPECT_THAT(onto.err, HasSubstr("is not empty"));
}

}  // namespace
}  // namespace ledger
