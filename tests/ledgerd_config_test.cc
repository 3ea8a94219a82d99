// ledgerd's configuration file (--config, services/config_file.h), the
// sample that documents it (tools/ledgerd.conf) and the systemd unit
// (tools/ledgerd.service), against the real ledgerd binary.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/store/limits.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// The value of --name in `ledgerd --print_config`'s output.
std::string Printed(const std::string& config, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(config, '\n')) {
    const std::string prefix = absl::StrCat("--", name, "=");
    if (absl::StartsWith(line, prefix)) {
      return std::string(line.substr(prefix.size()));
    }
  }
  return "<missing>";
}

TEST(LedgerdConfigTest, TheShippedSampleIsEveryFlagWithItsDefault) {
  const testing::ProcessResult printed =
      testing::Run({LEDGERD_PATH, "--print_config"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  // The sample is the defaults, every flag line commented out.
  std::string expected;
  for (absl::string_view line : absl::StrSplit(printed.out, '\n')) {
    absl::StrAppend(&expected, absl::StartsWith(line, "--") ? "# " : "", line,
                    "\n");
  }
  expected.pop_back();
  EXPECT_EQ(ReadFile(absl::StrCat(LEDGER_SOURCE_DIR, "/tools/ledgerd.conf")),
            expected)
      << "tools/ledgerd.conf is not ledgerd's flags as they are now; "
         "regenerate it: build/services/ledgerd --print_config | "
         "sed 's/^--/# --/' > tools/ledgerd.conf";
  for (const char* flag : {"--listen=", "--data_dir=", "--jwks=",
                           "--view_cache_cases=", "--tls_cert="}) {
    EXPECT_THAT(printed.out, HasSubstr(flag));
  }
}

TEST(LedgerdConfigTest, TheFileSetsFlagsAndTheCommandLineWins) {
  testing::TempDir dir;
  const std::string config = dir.Sub("ledgerd.conf");
  WriteFile(config,
            "# a site's settings\n"
            "--view_cache_cases=7\n"
            "\n"
            "  --repeat_window_days=45  \n"
            "--noprojections\n");
  testing::ProcessResult from_file =
      testing::Run({LEDGERD_PATH, "--config", config, "--print_config"});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(Printed(from_file.out, "view_cache_cases"), "7");
  EXPECT_EQ(Printed(from_file.out, "repeat_window_days"), "45");
  EXPECT_EQ(Printed(from_file.out, "projections"), "false");
  // The command line's value wins, before --config or after it.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {LEDGERD_PATH, "--view_cache_cases=9", "--config=" + config,
            "--print_config"},
           {LEDGERD_PATH, "--config=" + config, "--view_cache_cases=9",
            "--print_config"}}) {
    testing::ProcessResult both = testing::Run(args);
    ASSERT_EQ(both.exit_code, 0) << both.err;
    EXPECT_EQ(Printed(both.out, "view_cache_cases"), "9");
    EXPECT_EQ(Printed(both.out, "repeat_window_days"), "45");
  }

  // A server started with it: the file's --listen is not one it could
  // serve on; the command line's (LedgerdProcess's port 0) wins.
  WriteFile(config,
            "--listen=256.0.0.1:1\n"
            "--publish_shipped_calendar=false\n");
  testing::LedgerdProcess ledgerd(LEDGERD_PATH, dir.path(), dir.Sub("data"),
                                  {"--config=" + config});
  EXPECT_FALSE(ledgerd.target().empty()) << "ledgerd did not start";
}

TEST(LedgerdConfigTest, ABadFileIsRefusedNamingItsLine) {
  testing::TempDir dir;
  const std::string config = dir.Sub("ledgerd.conf");
  WriteFile(config, "--listen=127.0.0.1:0\nprojections=false\n");
  testing::ProcessResult bad =
      testing::Run({LEDGERD_PATH, "--config=" + config});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr(config + ":2: \"projections=false\" is not "
                                          "a flag"));

  WriteFile(config, "--config=/etc/other.conf\n");
  bad = testing::Run({LEDGERD_PATH, "--config=" + config});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr(config + ":1: a configuration file names "
                                          "no other"));

  bad = testing::Run({LEDGERD_PATH, "--config=" + dir.Sub("missing.conf")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("cannot read " + dir.Sub("missing.conf")));

  bad = testing::Run({LEDGERD_PATH, "--config"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--config needs a file"));

  // A flag the file names that ledgerd does not have: abseil refuses it.
  WriteFile(config, "--no_such_flag=1\n");
  bad = testing::Run({LEDGERD_PATH, "--config=" + config});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("no_such_flag"));
}

// --log_format=json: every line ledgerd writes is a JSON object with a time,
// a level and a message; a refused call is one of them, with the request id
// the client sent, the RPC, the status and the latency.
TEST(LedgerdConfigTest, JsonLogLinesNameRefusedCalls) {
  testing::TempDir dir;
  testing::LedgerdProcess ledgerd(
      LEDGERD_PATH, dir.path(), dir.Sub("data"),
      {"--log_format=json", "--publish_shipped_calendar=false"});
  ASSERT_FALSE(ledgerd.target().empty()) << "ledgerd did not start";
  {
    auto stub = v1::QueryService::NewStub(grpc::CreateChannel(
        ledgerd.target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "req-42");
    v1::GetQueueRequest request;  // No kind: refused.
    v1::GetQueueResponse response;
    EXPECT_EQ(stub->GetQueue(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    // The caller is told the id its refusal is logged under.
    auto id = context.GetServerTrailingMetadata().find("x-request-id");
    ASSERT_NE(id, context.GetServerTrailingMetadata().end());
    EXPECT_EQ(std::string(id->second.data(), id->second.size()), "req-42");
  }
  {
    // Without one of its own, ledgerctl shows the id ledgerd made up.
    testing::ProcessResult refused =
        testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd.target(), "queue",
                      "overdue", "--owner", "a1"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.err,
                ::testing::ContainsRegex("\\[request [0-9a-f]+-[0-9]+\\]"));
  }
  EXPECT_EQ(ledgerd.Stop(), 0);

  std::istringstream log(ReadFile(dir.Sub("ledgerd.log")));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(log, line);) {
    if (line.empty()) continue;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(parsed.contains("time") && parsed.contains("level") &&
                parsed.contains("msg"))
        << line;
    lines.push_back(std::move(parsed));
  }
  auto find = [&](const std::function<bool(const nlohmann::json&)>& match) {
    for (const nlohmann::json& line : lines) {
      if (match(line)) return line;
    }
    return nlohmann::json();
  };
  const nlohmann::json refused = find([](const nlohmann::json& line) {
    return line.value("request_id", "") == "req-42";
  });
  ASSERT_FALSE(refused.is_null()) << "no line for request req-42";
  EXPECT_EQ(refused["msg"], "call refused");
  EXPECT_EQ(refused["rpc"], "/ledger.v1.QueryService/GetQueue");
  EXPECT_EQ(refused["code"], "INVALID_ARGUMENT");
  EXPECT_TRUE(refused["latency_ms"].is_number());
  EXPECT_THAT(refused["error"].get<std::string>(), HasSubstr("kind"));
  for (const char* said : {"serving on port", "stopped cleanly"}) {
    EXPECT_FALSE(find([said](const nlohmann::json& line) {
                   return line["msg"].get<std::string>().find(said) !=
                          std::string::npos;
                 }).is_null())
        << said;
  }
}

// The unit as shipped, its ExecStart pointed at this build's ledgerd:
// systemd-analyze finds no error and no unknown setting.
// The niceness of `pid`'s thread named `name` (/proc/PID/task/*/stat's
// 19th field), waiting up to a minute for the thread to exist; -100 when
// it never does.
int NicenessOfThread(pid_t pid, const std::string& name) {
  for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
    const std::string tasks = absl::StrCat("/proc/", pid, "/task");
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream comm(task.path() / "comm");
      std::string thread;
      std::getline(comm, thread);
      if (thread != name) continue;
      std::ifstream in(task.path() / "stat");
      const std::string stat((std::istreambuf_iterator<char>(in)), {});
      // After "PID (COMM) ", from field 3 (the state) on.
      const std::vector<std::string> fields =
          absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
      int niceness = -100;
      EXPECT_TRUE(fields.size() > 16 && absl::SimpleAtoi(fields[16], &niceness))
          << stat;
      return niceness;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return -100;
}

// The projection thread yields the CPU to the commands by default, and
// runs at the niceness asked for; an impossible one is refused.
TEST(LedgerdConfigTest, TheProjectionThreadRunsAtItsNiceness) {
  for (const auto& [flags, expected] :
       {std::pair{std::vector<std::string>{}, kProjectionNiceness},
        std::pair{std::vector<std::string>{"--projection_niceness=0"}, 0},
        std::pair{std::vector<std::string>{"--projection_niceness=5"}, 5}}) {
    testing::TempDir dir;
    testing::LedgerdProcess ledgerd(LEDGERD_PATH, dir.path(), dir.Sub("data"),
                                    flags);
    ASSERT_FALSE(ledgerd.target().empty());
    EXPECT_EQ(NicenessOfThread(ledgerd.pid(), "ledger-project"), expected)
        << absl::StrJoin(flags, " ");
    // The commands' threads keep the process's.
    EXPECT_EQ(NicenessOfThread(ledgerd.pid(), "ledger-writer"), 0);
  }
  testing::TempDir dir;
  const testing::ProcessResult refused =
      testing::Run({LEDGERD_PATH, "--data_dir", dir.Sub("data"),
                    "--insecure_no_auth", "--projection_niceness=20"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, ::testing::HasSubstr(
                               "--projection_niceness must be from 0 to 19"));
}

// Memory sizes that cannot work are refused at start, naming the flag.
TEST(LedgerdConfigTest, ImpossibleMemorySizesAreRefused) {
  for (const auto& [flag, message] :
       {std::pair{"--stream_head_cache=0",
                  "--stream_head_cache must be at least 1"},
        std::pair{"--rocksdb_block_cache_mb=0",
                  "--rocksdb_block_cache_mb must be from 1 to 1048576"},
        std::pair{"--rocksdb_memtable_mb=0",
                  "--rocksdb_memtable_mb must be from 1 to 1048576"}}) {
    testing::TempDir dir;
    const testing::ProcessResult refused =
        testing::Run({LEDGERD_PATH, "--data_dir", dir.Sub("data"),
                      "--insecure_no_auth", flag});
    EXPECT_EQ(refused.exit_code, 2) << flag;
    EXPECT_THAT(refused.err, HasSubstr(message)) << flag;
  }
}

TEST(LedgerdConfigTest, TheSystemdUnitVerifies) {
  testing::TempDir dir;
  std::string unit =
      ReadFile(absl::StrCat(LEDGER_SOURCE_DIR, "/tools/ledgerd.service"));
  const std::string installed = "/usr/local/bin/ledgerd";
  const size_t at = unit.find("ExecStart=" + installed);
  ASSERT_NE(at, std::string::npos);
  unit.replace(at + std::string("ExecStart=").size(), installed.size(),
               std::filesystem::absolute(LEDGERD_PATH).string());
  const std::string path = dir.Sub("ledgerd.service");
  WriteFile(path, unit);
  testing::ProcessResult verified =
      testing::Run({"/usr/bin/systemd-analyze", "verify", path});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.out + verified.err, "");
}

}  // namespace
}  // namespace ledger
