// The monthly station penalty table (docs/rules.md §11; 003 §7.2), each rule
// a named test over a real store, the service's own commands and the
// station view as the runner folds it: drawn up, signed by the general
// manager, published and sent to finance in that order; frozen once
// signed, later changes carried as adjustments on the next month's table;
// a special period's table signed and charging nothing; the export for
// finance as CSV and as an Excel workbook read back by openpyxl.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/station_view.h"
#include "services/penalty_export.h"
#include "tests/projections_fixture.h"
#include "tests/subprocess.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PenaltyTableTest : public ProjectionsTest {
 protected:
  PenaltyTableTest() {
    Do(build::Agent("gm1", {v1::ROLE_GENERAL_MANAGER}), "h1");
    Do(build::Agent("sh1", {v1::ROLE_STATION_HEAD}), "h1");
    v1::RegisterStation s1 = build::Station("s1", "Station s1");
    s1.mutable_station()->set_head_agent_id("sh1");
    Do(s1, "h1");
    PublishPenaltySchedule(2026, 10);
    runner_ = NewRunner();
  }

  // A complaint at station s1 received now, raised to `severity`.
  std::string AtStation(v1::Severity severity) {
    v1::ReceiveComplaint c =
        build::ComplaintIntake("", absl::StrCat("1350000", 1000 + ++phones_));
    c.set_station_id("s1");
    const std::string id = Do(c, "a17").complaint_id();
    if (severity == v1::SEVERITY_REPEAT || severity == v1::SEVERITY_MALICIOUS) {
      Raise(id, v1::SEVERITY_REPEAT);
    }
    if (severity == v1::SEVERITY_MALICIOUS) Raise(id, v1::SEVERITY_MALICIOUS);
    return id;
  }

  template <typename Command>
  absl::StatusOr<v1::CommandResult> Run(const v1::YearMonth& month,
                                        const std::string& actor,
                                        uint64_t drawn_position = 0) {
    Command c;
    *c.mutable_month() = month;
    if constexpr (std::is_same_v<Command, v1::SignPenaltyTable>) {
      c.set_drawn_position(drawn_position);
    }
    return app_->Execute(c, actor);
  }
  // Draws the month up as h1 and signs it as gm1.
  void DrawAndSign(const v1::YearMonth& month) {
    absl::StatusOr<v1::CommandResult> drawn =
        Run<v1::DrawUpPenaltyTable>(month, "h1");
    ASSERT_TRUE(drawn.ok()) << drawn.status();
    absl::StatusOr<v1::CommandResult> signed_table =
        Run<v1::SignPenaltyTable>(month, "gm1", drawn->events(0).position());
    ASSERT_TRUE(signed_table.ok()) << signed_table.status();
  }

  v1::GetPenaltyTableResponse Table(const v1::YearMonth& month) {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    return Ask<v1::GetPenaltyTableResponse, StationView>(
        StationView::kName,
        [&](const StationView& v) { return v.PenaltyTable(month); });
  }

  // "complaint:amount" (", not charged") of each line; adjustments as
  // "adjusts yyyy-mm complaint:amount @cause".
  static std::vector<std::string> Lines(const v1::GetPenaltyTableResponse& t) {
    std::vector<std::string> out;
    for (const v1::PenaltyLine& l : t.lines()) {
      out.push_back(absl::StrCat(l.complaint_id(), ":",
                                 l.amount().minor_units(),
                                 l.charged() ? "" : " not charged"));
    }
    for (const v1::PenaltyLine& l : t.adjustments()) {
      out.push_back(
          absl::StrCat("adjusts ", l.adjusts_month().year(), "-",
                       l.adjusts_month().month(), " ", l.complaint_id(), ":",
                       l.amount().minor_units(), " @", l.cause_position()));
    }
    return out;
  }

  const v1::YearMonth october_ = Month(2026, 10);
  int phones_ = 0;
};

TEST_F(PenaltyTableTest, PenaltyTableLifecycleInOrder) {
  clock_->Set(Shanghai(2026, 10, 14, 10, 0));
  const std::string repeat = AtStation(v1::SEVERITY_REPEAT);
  AtStation(v1::SEVERITY_GENERAL);  // Not in the table.
  // Nothing before the draw; no draw before the month ends.
  EXPECT_EQ(Run<v1::SignPenaltyTable>(october_, "gm1", 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Run<v1::PublishPenaltyTable>(october_, "h1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status early = Run<v1::DrawUpPenaltyTable>(october_, "h1").status();
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.message(), HasSubstr("has not ended"));

  clock_->Set(Shanghai(2026, 11, 2, 9, 0));
  absl::StatusOr<v1::CommandResult> first =
      Run<v1::DrawUpPenaltyTable>(october_, "h1");
  ASSERT_TRUE(first.ok()) << first.status();
  // Drawn again before signing: the new draw is the one in force.
  absl::StatusOr<v1::CommandResult> second =
      Run<v1::DrawUpPenaltyTable>(october_, "h1");
  ASSERT_TRUE(second.ok()) << second.status();
  const uint64_t drawn = second->events(0).position();
  EXPECT_EQ(Table(october_).drawn_position(), drawn);
  // Signed by the general manager only, naming the draw in force.
  EXPECT_EQ(Run<v1::SignPenaltyTable>(october_, "h1", drawn).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::Status stale =
      Run<v1::SignPenaltyTable>(october_, "gm1", first->events(0).position())
          .status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.message(), HasSubstr("not the draw in force"));
  // Sent before it is published: refused.
  ASSERT_TRUE(Run<v1::SignPenaltyTable>(october_, "gm1", drawn).ok());
  absl::Status unpublished =
      Run<v1::SendPenaltyTableToFinance>(october_, "h1").status();
  EXPECT_EQ(unpublished.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unpublished.message(), HasSubstr("is signed"));
  ASSERT_TRUE(Run<v1::PublishPenaltyTable>(october_, "h1").ok());
  ASSERT_TRUE(Run<v1::SendPenaltyTableToFinance>(october_, "h1").ok());
  // Signed: never drawn again.
  EXPECT_EQ(Run<v1::DrawUpPenaltyTable>(october_, "h1").status().code(),
            absl::StatusCode::kFailedPrecondition);

  const v1::GetPenaltyTableResponse table = Table(october_);
  EXPECT_EQ(table.state(), v1::PENALTY_TABLE_STATE_SENT_TO_FINANCE);
  EXPECT_EQ(table.drawn_by_agent_id(), "h1");
  EXPECT_EQ(table.signed_by_agent_id(), "gm1");
  EXPECT_THAT(Lines(table), ElementsAre(repeat + ":20000"));
  EXPECT_EQ(table.lines(0).station_head_agent_id(), "sh1");
  EXPECT_EQ(table.total_charged().minor_units(), 20000);
  EXPECT_EQ(table.schedule_effective_from().month(), 10);
}

TEST_F(PenaltyTableTest, TablesAreDrawnUpInMonthOrderEachSignedFirst) {
  clock_->Set(Shanghai(2026, 12, 1, 9, 0));
  absl::StatusOr<v1::CommandResult> october =
      Run<v1::DrawUpPenaltyTable>(october_, "h1");
  ASSERT_TRUE(october.ok()) << october.status();
  // November waits for October's signature.
  absl::Status waits =
      Run<v1::DrawUpPenaltyTable>(Month(2026, 11), "h1").status();
  EXPECT_EQ(waits.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(waits.message(), HasSubstr("2026-10 is not signed"));
  ASSERT_TRUE(
      Run<v1::SignPenaltyTable>(october_, "gm1", october->events(0).position())
          .ok());
  ASSERT_TRUE(Run<v1::DrawUpPenaltyTable>(Month(2026, 11), "h1").ok());
  // No month before the latest drawn.
  absl::Status earlier =
      Run<v1::DrawUpPenaltyTable>(Month(2026, 9), "h1").status();
  EXPECT_EQ(earlier.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(earlier.message(), HasSubstr("in month order"));
}

TEST_F(PenaltyTableTest, TheOneWhoDrewATableCannotSignIt) {
  Do(build::Agent("both", {v1::ROLE_CENTRE_HEAD, v1::ROLE_GENERAL_MANAGER}),
     "h1");
  clock_->Set(Shanghai(2026, 11, 2, 9, 0));
  absl::StatusOr<v1::CommandResult> drawn =
      Run<v1::DrawUpPenaltyTable>(october_, "both");
  ASSERT_TRUE(drawn.ok()) << drawn.status();
  absl::Status own =
      Run<v1::SignPenaltyTable>(october_, "both", drawn->events(0).position())
          .status();
  EXPECT_EQ(own.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(own.message(), HasSubstr("cannot also sign"));
}

TEST_F(PenaltyTableTest,
       SignedTableUnchangedByLateReclassificationAdjustsNextMonth) {
  clock_->Set(Shanghai(2026, 10, 14, 10, 0));
  const std::string reclassified = AtStation(v1::SEVERITY_REPEAT);
  const std::string raised = AtStation(v1::SEVERITY_REPEAT);
  clock_->Set(Shanghai(2026, 11, 2, 9, 0));
  DrawAndSign(october_);
  const v1::GetPenaltyTableResponse signed_october = Table(october_);
  EXPECT_THAT(Lines(signed_october),
              ElementsAre(reclassified + ":20000", raised + ":20000"));

  // Late: one is an inquiry after all, the other turns out malicious; and
  // a November repeat.
  clock_->Set(Shanghai(2026, 11, 18, 10, 0));
  v1::Classify inquiry;
  inquiry.set_complaint_id(reclassified);
  inquiry.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
  inquiry.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  const uint64_t reclassified_at =
      app_->Execute(inquiry, "h1")->events(0).position();
  v1::RaiseSeverity malicious;
  malicious.set_complaint_id(raised);
  malicious.set_severity(v1::SEVERITY_MALICIOUS);
  malicious.set_reason("the head's review");
  const uint64_t raised_at =
      app_->Execute(malicious, "h1")->events(0).position();
  const std::string november_repeat = AtStation(v1::SEVERITY_REPEAT);

  // October's signed table is as it was signed.
  EXPECT_EQ(Table(october_).SerializeAsString(),
            signed_october.SerializeAsString());
  // November's carries the changes, each traced to its event, priced at
  // October's schedule.
  clock_->Set(Shanghai(2026, 12, 1, 9, 0));
  DrawAndSign(Month(2026, 11));
  const v1::GetPenaltyTableResponse november = Table(Month(2026, 11));
  EXPECT_THAT(Lines(november),
              ElementsAre(november_repeat + ":20000",
                          absl::StrCat("adjusts 2026-10 ", reclassified,
                                       ":-20000 @", reclassified_at),
                          absl::StrCat("adjusts 2026-10 ", raised, ":30000 @",
                                       raised_at)));
  EXPECT_EQ(november.total_charged().minor_units(), 20000 - 20000 + 30000);
  // Carried once: December's table adjusts nothing more.
  clock_->Set(Shanghai(2027, 1, 4, 9, 0));
  ASSERT_TRUE(Run<v1::DrawUpPenaltyTable>(Month(2026, 12), "h1").ok());
  EXPECT_THAT(Lines(Table(Month(2026, 12))), ElementsAre());
}

TEST_F(PenaltyTableTest, SpecialPeriodTableSignedChargesNothing) {
  DeclareSpecialPeriod(2026, 10, 1, 31, "national congress");
  clock_->Set(Shanghai(2026, 10, 14, 10, 0));
  const std::string repeat = AtStation(v1::SEVERITY_REPEAT);
  const std::string bad = AtStation(v1::SEVERITY_MALICIOUS);
  clock_->Set(Shanghai(2026, 11, 2, 9, 0));
  DrawAndSign(october_);
  const v1::GetPenaltyTableResponse table = Table(october_);
  EXPECT_EQ(table.state(), v1::PENALTY_TABLE_STATE_SIGNED);
  EXPECT_THAT(Lines(table), ElementsAre(repeat + ":20000 not charged",
                                        bad + ":50000 not charged"));
  EXPECT_EQ(table.total_charged().minor_units(), 0);
  EXPECT_EQ(table.total_not_charged().minor_units(), 70000);
}

TEST_F(PenaltyTableTest, PenaltyExportCsvAndXlsxMatchTable) {
  clock_->Set(Shanghai(2026, 10, 14, 10, 0));
  const std::string repeat = AtStation(v1::SEVERITY_REPEAT);
  const std::string bad = AtStation(v1::SEVERITY_MALICIOUS);
  clock_->Set(Shanghai(2026, 11, 2, 9, 0));
  ASSERT_TRUE(Run<v1::DrawUpPenaltyTable>(october_, "h1").ok());
  // Finance gets signed tables only.
  EXPECT_EQ(ExportPenaltyTable(Table(october_), v1::EXPORT_FORMAT_CSV)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Run<v1::SignPenaltyTable>(october_, "gm1",
                                        Table(october_).drawn_position())
                  .ok());
  const v1::GetPenaltyTableResponse table = Table(october_);
  absl::StatusOr<v1::ExportPenaltyTableResponse> csv =
      ExportPenaltyTable(table, v1::EXPORT_FORMAT_CSV);
  ASSERT_TRUE(csv.ok()) << csv.status();
  const std::vector<std::string> want = {
      "kind,station,station name,station head,complaint,severity,amount "
      "(CNY),charged,adjusts month,cause position,schedule from",
      absl::StrCat("line,s1,Station s1,sh1,", repeat, ",repeat,200.00,yes,,",
                   table.lines(0).cause_position(), ",2026-10"),
      absl::StrCat("line,s1,Station s1,sh1,", bad, ",malicious,500.00,yes,,",
                   table.lines(1).cause_position(), ",2026-10"),
      "total charged,,,,,,700.00,yes,,,2026-10",
      "total not charged,,,,,,0.00,no (special period),,,2026-10"};
  std::vector<std::string> got =
      absl::StrSplit(csv->content(), "\r\n", absl::SkipEmpty());
  EXPECT_EQ(got, want);
  EXPECT_EQ(csv->file_name(), absl::StrCat("penalties-2026-10-drawn-at-",
                                           table.drawn_position(), ".csv"));

  // The workbook, read back by openpyxl: the same cells.
  absl::StatusOr<v1::ExportPenaltyTableResponse> xlsx =
      ExportPenaltyTable(table, v1::EXPORT_FORMAT_XLSX);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  const std::string book = absl::StrCat(dir_.path(), "/penalties.xlsx");
  std::ofstream(book, std::ios::binary) << xlsx->content();
  ProcessResult read =
      testing::Run({"/usr/bin/python3", "-c",
                    "import sys, openpyxl\n"
                    "sheet = openpyxl.load_workbook(sys.argv[1]).active\n"
                    "for row in sheet.iter_rows(min_row=4, values_only=True):\n"
                    "    print(','.join('' if v is None else ('%.2f' % v if "
                    "isinstance(v, (int, float)) else str(v)) for v in row))\n",
                    book});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  std::vector<std::string> rows =
      absl::StrSplit(read.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 5u) << read.out;
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(rows[i], want[i]);
  EXPECT_EQ(rows[3], "total charged,,,,,,700.00,,,,");
  EXPECT_EQ(rows[4], "total not charged,,,,,,0.00,,,,");
}

}  // namespace
}  // namespace ledger::testing
