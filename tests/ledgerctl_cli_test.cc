// ledgerctl's command line for people (tools/ledgerctl/cli.h): reading
// flags, settings from the environment and profiles, help, CSV cells that
// a spreadsheet cannot run, and text widths by display columns.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/v1/reference_events.pb.h"
#include "tests/test_util.h"
#include "tools/ledgerctl/cli.h"
#include "tools/ledgerctl/ledgerctl.h"
#include "tools/ledgerctl/text_width.h"
#include "tools/ledgerctl/timeline.h"
#include "tools/progress.h"

namespace ledger::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<CommandLine> Parse(std::vector<std::string> args) {
  return ParseCommandLine(args);
}

TEST(LedgerctlCliTest, FlagsStandAnywhereAndBooleansNeverTakeTheNextWord) {
  absl::StatusOr<CommandLine> line =
      Parse({"--format=json", "read", "complaint-1", "--backward", "--limit",
             "2", "--from-revision=4"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->command, "read");
  EXPECT_THAT(line->operands, ElementsAre("complaint-1"));
  EXPECT_EQ(line->Get("backward"), "true");
  EXPECT_EQ(line->Get("limit"), "2");
  EXPECT_EQ(line->Get("from_revision"), "4");
  EXPECT_EQ(line->Get("format"), "json");

  // A boolean before a word: the word is an operand, not its value.
  line = Parse({"tail", "--follow", "extra"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->Get("follow"), "true");
  EXPECT_THAT(line->operands, ElementsAre("extra"));
  EXPECT_EQ(Parse({"tail", "--follow=maybe"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // "--green-channel yes" would take "yes" for the complaint's id.
  EXPECT_THAT(Parse({"receive", "--green-channel", "yes"}).status().message(),
              HasSubstr("--green-channel takes no value; write "
                        "--green-channel=yes"));

  // A flag that takes a value takes the next word, "--" and all.
  line = Parse({"receive", "--content", "--dashes first", "--green-channel",
                "--channel", "email"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->Get("content"), "--dashes first");
  EXPECT_EQ(line->Get("green_channel"), "true");
  EXPECT_EQ(line->Get("channel"), "email");
  // Any field path of the command's message, e.g. --kind for classify.
  EXPECT_TRUE(Parse({"classify", "c-1", "--kind", "inquiry"}).ok());
}

TEST(LedgerctlCliTest, UsageErrorsSayWhatIsWrong) {
  absl::Status s = Parse({"frobnicate"}).status();
  EXPECT_THAT(s.message(), HasSubstr("unknown command \"frobnicate\""));
  s = Parse({"queue", "overdue", "--bogus", "1"}).status();
  EXPECT_THAT(s.message(), HasSubstr("queue: unknown flag --bogus"));
  s = Parse({"stations"}).status();
  EXPECT_THAT(s.message(), HasSubstr("--month YYYY-MM is required"));
  s = Parse({"log", "--limit"}).status();
  EXPECT_THAT(s.message(), HasSubstr("--limit needs a value"));
  // A flag of another command, before the command.
  s = Parse({"--owner", "a1", "stations", "--month", "2026-11"}).status();
  EXPECT_THAT(s.message(), HasSubstr("stations: unknown flag --owner"));

  EXPECT_THAT(ParseMonthFlag("month", "2026-1x").status().message(),
              HasSubstr("is not a month YYYY-MM"));
  EXPECT_FALSE(ParseMonthFlag("month", "2026-13").ok());
  EXPECT_FALSE(ParseMonthFlag("month", "2026-1").ok());
  EXPECT_EQ(ParseMonthFlag("month", "2026-02").value(),
            (std::pair<int, int>{2026, 2}));
}

TEST(LedgerctlCliTest, TimesAreReadInTheSitesZoneInISO8601) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::Time nine =
      absl::FromCivil(absl::CivilMinute(2026, 12, 1, 9, 0), shanghai);
  for (const char* text :
       {"2026-12-01 09:00", "2026-12-01T09:00", "2026-12-01T09:00:00",
        "2026-12-01T01:00:00Z", "2026-12-01T09:00:00+08:00"}) {
    absl::StatusOr<absl::Time> t = ParseTimeFlag("now", text, shanghai);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status();
    EXPECT_EQ(*t, nine) << text;
  }
  EXPECT_THAT(ParseTimeFlag("now", "tomorrow", shanghai).status().message(),
              HasSubstr("YYYY-MM-DDTHH:MM"));
}

TEST(LedgerctlCliTest, SettingsComeFromFlagsThenEnvironmentThenProfile) {
  testing::TempDir dir;
  const std::string config = dir.Sub("config");
  std::ofstream(config) << "# ledgerctl\n[default]\ntarget = 10.0.0.1:1\n"
                           "as = h1\n\n[prod]\ntarget = ledger.example:443\n"
                           "format = csv\n";
  std::map<std::string, std::string> env = {{"LEDGERCTL_CONFIG", config}};
  auto environ = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto settings = [&](std::vector<std::string> args) {
    args.push_back("config");
    return ResolveSettings(*Parse(args), environ);
  };
  auto s = settings({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->at("target").value, "10.0.0.1:1");
  EXPECT_EQ(s->at("target").source, config + ":3 [default]");
  EXPECT_EQ(s->at("as").value, "h1");
  EXPECT_EQ(s->at("format").source, "default");

  env["LEDGER_TARGET"] = "10.0.0.2:2";
  s = settings({});
  EXPECT_EQ(s->at("target").value, "10.0.0.2:2");
  EXPECT_EQ(s->at("target").source, "$LEDGER_TARGET");
  s = settings({"--target", "10.0.0.3:3"});
  EXPECT_EQ(s->at("target").value, "10.0.0.3:3");

  env.erase("LEDGER_TARGET");
  env["LEDGER_PROFILE"] = "prod";
  s = settings({});
  EXPECT_EQ(s->at("target").value, "ledger.example:443");
  EXPECT_EQ(s->at("format").value, "csv");
  EXPECT_EQ(s->count("as"), 0u);  // prod names nobody

  EXPECT_THAT(settings({"--profile", "staging"}).status().message(),
              HasSubstr("profile staging is not in " + config));
  std::ofstream(config) << "[default]\ntarget 10.0.0.1:1\n";
  EXPECT_THAT(settings({}).status().message(),
              HasSubstr(config + ":2: expected NAME = VALUE"));
}

TEST(LedgerctlCliTest, HelpGoesToStandardOutputAndDescribesEveryFlag) {
  auto run = [](std::vector<std::string> args, std::string* out,
                std::string* err) {
    std::ostringstream o, e;
    const int code =
        Main(args, o, e, [](const char*) -> const char* { return nullptr; });
    *out = o.str();
    *err = e.str();
    return code;
  };
  std::string out, err;
  EXPECT_EQ(run({"help"}, &out, &err), kExitOk);
  EXPECT_THAT(out, HasSubstr("find"));
  EXPECT_THAT(out, HasSubstr("list agents|stations|departments"));
  EXPECT_EQ(err, "");
  EXPECT_EQ(run({"--help"}, &out, &err), kExitOk);
  EXPECT_THAT(out, HasSubstr("Queues and reports:"));

  EXPECT_EQ(run({"help", "dispatch"}, &out, &err), kExitOk);
  EXPECT_THAT(out, HasSubstr("--targets station:ID|department:ID"));
  EXPECT_THAT(out, HasSubstr("(required) (repeatable)"));
  EXPECT_EQ(run({"queue", "--help"}, &out, &err), kExitOk);
  EXPECT_THAT(out, HasSubstr("--owner AGENT"));
  // Every flag of every command has a line of description.
  for (const CommandHelp& c : AllCommands()) {
    for (const FlagHelp& f : c.flags) {
      EXPECT_FALSE(f.help.empty()) << c.name << " --" << f.name;
    }
  }

  EXPECT_EQ(run({"frob"}, &out, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("unknown command \"frob\""));
  EXPECT_EQ(run({}, &out, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("usage: ledgerctl COMMAND"));
  EXPECT_EQ(run({"verify", "--format", "csv"}, &out, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--format csv is not available here"));
  EXPECT_EQ(run({"version"}, &out, &err), kExitOk);
  EXPECT_THAT(out, HasSubstr("ledgerctl "));
}

TEST(LedgerctlCliTest, DetailsShowEveryKindOfField) {
  // Integers that are not repeated (a month's year, points) printed the
  // way repeated ones are (this aborted ledgerctl once).
  v1::AssessmentPointsEntered entered;
  entered.set_agent_id("a17");
  entered.mutable_month()->set_year(2026);
  entered.mutable_month()->set_month(11);
  entered.set_part(v1::ASSESSMENT_PART_TEAMWORK);
  entered.set_points_tenths(-5);
  entered.set_reason("two shifts");
  EXPECT_EQ(Details(entered, absl::UTCTimeZone()),
            "agent_id=a17 month={year=2026 month=11} part=teamwork "
            "points_tenths=-5 reason=\"two shifts\"");
}

TEST(LedgerctlCliTest, CsvCellsAreQuotedAndNeverFormulas) {
  EXPECT_EQ(CsvCell("East station"), "East station");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvCell("+86 138"), "'+86 138");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  Options options;
  options.csv_bom = true;
  std::ostringstream out;
  StartCsv(options, out);
  EXPECT_EQ(out.str(), "\xEF\xBB\xBF");
}

TEST(LedgerctlCliTest, WidthsAreDisplayColumnsAndCutsKeepCharactersWhole) {
  EXPECT_EQ(DisplayWidth("East"), 4u);
  EXPECT_EQ(DisplayWidth("东城配送站"), 10u);
  EXPECT_EQ(PadRight("东城", 6), "东城  ");
  EXPECT_EQ(Fit("东城配送站", 6), "东城\u2026 ");  // 2+2+1 columns, padded
  EXPECT_EQ(DisplayWidth(Fit("东城配送站", 6)), 6u);
  EXPECT_EQ(Truncate("abcdef", 4), "abc\u2026");
  EXPECT_EQ(Truncate("abc", 4), "abc");
  // Never half a character: every cut of a Chinese text is valid UTF-8.
  const std::string text = "纸张连续三天被淋湿";
  for (size_t w = 0; w < 20; ++w) {
    const std::string cut = Truncate(text, w);
    EXPECT_LE(DisplayWidth(cut), w);
    EXPECT_EQ(cut.size() % 3, 0u) << w;  // whole 3-byte characters
  }
}

TEST(LedgerctlCliTest, ProgressSaysCountRateAndTimeLeft) {
  EXPECT_EQ(Progress::Line("ledger_sim: steps", 50000, 200000,
                           absl::Seconds(10), /*bar=*/true),
            "ledger_sim: steps  [######..................]  50,000 / 200,000  "
            "25%  5,000/s  30s left");
  EXPECT_EQ(Progress::Line("verify", 1234567, 1234567, absl::Seconds(125),
                           /*bar=*/false),
            "verify  1,234,567 / 1,234,567  100%  9,876/s  in 2m05s");
  EXPECT_EQ(Progress::Line("tail", 7, 0, absl::Seconds(0), false), "tail  7");
}

}  // namespace
}  // namespace ledger::ctl
