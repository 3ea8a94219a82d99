// A hand-built month of projections: December 2026, 40 cases through the
// complaint service's own commands, whose station table, monthly analysis,
// agent scorecards and queues are checked against figures counted by hand.
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/analysis_view.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "tests/projections_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;

// A hand-built month: December 2026, 40 cases (28 complaints) and one case
// of November, on the shipped calendar (no holidays in December). Every
// figure below is counted by hand from the table, not by the code under
// test; the comments show the counting.
class ProjectionsMonthTest : public ProjectionsTest {
 protected:
  // What happens to a case after its intake at T (a weekday, day shift).
  enum class Flow {
    kOpen,          // Nothing: never accepted.
    kClosed,        // On the spot at T+1', reply T+3', first revisit the
                    // next working day 10:00, head's sign-off 10:30.
    kClosedSecond,  // kClosed, and a month-end second revisit Dec 31 15:00.
    kLate,          // Internal study chosen the 2nd working day after
                    // intake 10:00 (late), reply 10:30 (late), revisit the
                    // next working day 10:00, sign-off 10:30.
    kReplied,       // On the spot, reply T+3'; no revisit yet.
    kRevisited,     // kClosed without the sign-off.
    kAssisted,      // Coordinated at T+1', assist request to the case's
                    // station at T+60' (day shift: before the 17:30 cut-off).
    kAssistedLate,  // Coordinated at T+1', assist request at 18:00 (late).
    kWaived,        // On the spot, reply T+3', head waives the revisit T+30',
                    // signs off T+40'.
    kGreen,         // Green channel, unclassified: paperwork pending.
    kEscalated,     // Head escalates to the GM at T+10'.
  };
  // The head's marks at T+20'.
  enum class Mark { kNone, kMalicious, kRepeatThenMalicious };
  struct Case {
    int day;  // Of the month.
    int hour;
    const char* agent;  // Answers the phone: the owner.
    const char* station;
    const char* phone;
    v1::InfoKind kind;
    v1::ComplaintCategory category;
    Flow flow;
    v1::Satisfaction satisfaction = v1::SATISFACTION_UNSPECIFIED;
    Mark mark = Mark::kNone;
  };

  static absl::CivilDay WorkingDaysAfter(absl::CivilDay day, int n) {
    while (n > 0) {
      ++day;
      const absl::Weekday w = absl::GetWeekday(day);
      if (w != absl::Weekday::saturday && w != absl::Weekday::sunday) --n;
    }
    return day;
  }

  // Runs the cases' commands in time order; ids_[k] is case k's id.
  void Run(int month, const std::vector<Case>& cases) {
    struct Step {
      absl::Time at;
      int seq;
      std::function<void()> run;
    };
    std::vector<Step> steps;
    auto at = [&](absl::CivilMinute minute, std::function<void()> run) {
      steps.push_back(Step{Shanghai(minute.year(), minute.month(), minute.day(),
                                    minute.hour(), minute.minute()),
                           static_cast<int>(steps.size()), std::move(run)});
    };
    ids_.resize(ids_.size() + cases.size());
    const size_t first = ids_.size() - cases.size();
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case c = cases[i];
      std::string* id = &ids_[first + i];
      const absl::CivilMinute t(2026, month, c.day, c.hour, 0);
      const absl::CivilDay day(t);
      auto next_day = [&](int n, int hh, int mm) {
        const absl::CivilDay d = WorkingDaysAfter(day, n);
        return absl::CivilMinute(d.year(), d.month(), d.day(), hh, mm);
      };
      at(t, [this, c, id] { *id = Intake(c); });
      auto track = [&](absl::CivilMinute when, v1::HandlingTrack track) {
        at(when, [this, c, id, track] {
          v1::ChooseTrack command;
          command.set_complaint_id(*id);
          command.set_track(track);
          Do(command, c.agent);
        });
      };
      auto reply = [&](absl::CivilMinute when) {
        at(when, [this, c, id] {
          v1::Reply command;
          command.set_complaint_id(*id);
          command.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
          command.set_reply("done");
          Do(command, c.agent);
        });
      };
      auto revisit = [&](absl::CivilMinute when, v1::RevisitKind kind) {
        at(when, [this, c, id, kind] {
          v1::RecordRevisit command;
          command.set_complaint_id(*id);
          command.set_kind(kind);
          command.set_satisfaction(kind == v1::REVISIT_KIND_FIRST
                                       ? c.satisfaction
                                       : v1::SATISFACTION_SATISFIED);
          command.set_resolved(true);
          Do(command, c.agent);
        });
      };
      auto sign_off = [&](absl::CivilMinute when) {
        at(when, [this, c, id] {
          v1::SignOff command;
          command.set_complaint_id(*id);
          command.set_record_complete(true);
          if (c.satisfaction == v1::SATISFACTION_DISSATISFIED ||
              c.satisfaction == v1::SATISFACTION_VERY_DISSATISFIED) {
            // Resolved, the customer unhappy: the head's override.
            command.set_override_reason("resolved as the rules provide");
          }
          Do(command, "h1");
        });
      };
      auto assist = [&](absl::CivilMinute when) {
        at(when, [this, c, id] {
          v1::RequestAssist command;
          command.set_complaint_id(*id);
          command.add_targets()->set_station_id(c.station);
          command.set_request("check the meter");
          Do(command, c.agent);
        });
      };
      if (c.mark != Mark::kNone) {
        at(t + 20, [this, c, id] {
          if (c.mark == Mark::kRepeatThenMalicious) {
            Raise(*id, v1::SEVERITY_REPEAT);
          }
          Raise(*id, v1::SEVERITY_MALICIOUS);
        });
      }
      switch (c.flow) {
        case Flow::kOpen:
        case Flow::kGreen:
          break;
        case Flow::kClosed:
        case Flow::kClosedSecond:
        case Flow::kRevisited:
          track(t + 1, v1::HANDLING_TRACK_ON_THE_SPOT);
          reply(t + 3);
          revisit(next_day(1, 10, 0), v1::REVISIT_KIND_FIRST);
          if (c.flow != Flow::kRevisited) sign_off(next_day(1, 10, 30));
          if (c.flow == Flow::kClosedSecond) {
            revisit(absl::CivilMinute(2026, 12, 31, 15, 0),
                    v1::REVISIT_KIND_MONTH_END_SECOND);
          }
          break;
        case Flow::kLate:
          track(next_day(2, 10, 0), v1::HANDLING_TRACK_INTERNAL_STUDY);
          reply(next_day(2, 10, 30));
          revisit(next_day(3, 10, 0), v1::REVISIT_KIND_FIRST);
          sign_off(next_day(3, 10, 30));
          break;
        case Flow::kReplied:
          track(t + 1, v1::HANDLING_TRACK_ON_THE_SPOT);
          reply(t + 3);
          break;
        case Flow::kAssisted:
          track(t + 1, v1::HANDLING_TRACK_COORDINATED);
          assist(t + 60);
          break;
        case Flow::kAssistedLate:
          track(t + 1, v1::HANDLING_TRACK_COORDINATED);
          assist(absl::CivilMinute(day.year(), day.month(), day.day(), 18, 0));
          break;
        case Flow::kWaived:
          track(t + 1, v1::HANDLING_TRACK_ON_THE_SPOT);
          reply(t + 3);
          at(t + 30, [this, id] {
            v1::WaiveRevisit command;
            command.set_complaint_id(*id);
            command.set_reason("an inquiry answered on the phone");
            Do(command, "h1");
          });
          sign_off(t + 40);
          break;
        case Flow::kEscalated:
          at(t + 10, [this, id] {
            v1::EscalateToGm command;
            command.set_complaint_id(*id);
            command.set_proposal("a goodwill credit");
            Do(command, "h1");
          });
          break;
      }
    }
    std::sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
    });
    for (const Step& step : steps) {
      clock_->Set(step.at);
      step.run();
    }
  }

  std::string Intake(const Case& c) {
    v1::ReceiveComplaint command;
    command.set_channel(v1::CHANNEL_PHONE);
    command.mutable_customer()->set_phone(c.phone);
    command.set_content("no water since this morning");
    command.set_station_id(c.station);
    if (c.flow == Flow::kGreen) {
      command.set_green_channel(true);
    } else {
      command.mutable_classification()->set_kind(c.kind);
      command.mutable_classification()->set_category(c.category);
      command.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    }
    return Do(command, c.agent).complaint_id();
  }

  // "id:what@due" of case k (1-based, as in the table).
  std::string Item(int k, const std::string& what, int64_t due_us) const {
    return absl::StrCat(ids_[k], ":", what, "@", due_us);
  }

  // Each test of the month starts from it, built afresh.
  void SetUp() override {
    BuildDecember();
    december_.set_year(2026);
    december_.set_month(12);
  }

  // The month below, through the complaint service, folded by the runner.
  void BuildDecember() {
    runner_ = NewRunner();
    RegisterStations({"s2", "s3", "s4"});
    // s4 records no volume: in the table, unranked.
    RecordVolumes(2026, 12, {{"s1", 40000}, {"s2", 20000}, {"s3", 10000}});
    PublishPenaltySchedule(2026, 12);
    // Thursday 24 and Friday 25 December.
    DeclareSpecialPeriod(2026, 12, 24, 25, "year-end storms");

    using F = Flow;
    constexpr auto C = v1::INFO_KIND_COMPLAINT;
    constexpr auto SQ = v1::COMPLAINT_CATEGORY_SERVICE_QUALITY;
    constexpr auto SA = v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE;
    constexpr auto PQ = v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY;
    constexpr auto TP = v1::COMPLAINT_CATEGORY_TRANSACTION_PROCESS;
    constexpr auto NONE = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
    constexpr auto VS = v1::SATISFACTION_VERY_SATISFIED;
    constexpr auto S = v1::SATISFACTION_SATISFIED;
    constexpr auto BS = v1::SATISFACTION_BASICALLY_SATISFIED;
    constexpr auto D = v1::SATISFACTION_DISSATISFIED;
    constexpr auto VD = v1::SATISFACTION_VERY_DISSATISFIED;
    // November: Friday 27th, closed; its customer calls again on 2 December.
    Run(11, {{27, 10, "a17", "s1", "13700000000", C, SQ, F::kClosed, S}});
    Run(12,
        {
            // The 28 complaints.
            {1, 10, "a17", "s1", "13700000001", C, SQ, F::kClosedSecond, VS},
            {1, 11, "a17", "s1", "13700000002", C, SA, F::kClosed, S},
            {1, 14, "a18", "s2", "13700000003", C, PQ, F::kClosedSecond, S},
            // 4: repeat of the November case (same phone and category).
            {2, 10, "a17", "s1", "13700000000", C, SQ, F::kClosed, S},
            {2, 11, "a17", "s2", "13700000005", C, SQ, F::kClosed, BS},
            {3, 10, "a18", "s3", "13700000006", C, TP, F::kClosedSecond, VS},
            {3, 11, "a17", "s1", "13700000007", C, SQ, F::kLate, D},
            {4, 10, "a17", "s2", "13700000008", C, SA, F::kLate, VD},
            {7, 10, "a18", "s1", "13700000009", C, PQ, F::kClosed, S},
            // 10: repeat of 1.
            {7, 11, "a17", "s1", "13700000001", C, SQ, F::kClosed, S},
            {8, 10, "a17", "s2", "13700000011", C, TP, F::kClosedSecond, S},
            {8, 11, "a18", "s4", "13700000012", C, SQ, F::kClosed, VS},
            {9, 10, "a17", "s3", "13700000013", C, SA, F::kClosed, D},
            // 14: 3's customer, another category: not a repeat.
            {9, 11, "a17", "s2", "13700000003", C, SA, F::kClosed, S},
            {10, 10, "a18", "s2", "13700000015", C, PQ, F::kRevisited, S},
            {11, 10, "a17", "s2", "13700000016", C, SQ, F::kClosed, S},
            // 17: repeat of 5; the head marks it malicious.
            {14, 10, "a17", "s2", "13700000005", C, SQ, F::kClosed, S,
             Mark::kMalicious},
            {14, 11, "a17", "", "13700000018", C, SQ, F::kClosed, S},
            {15, 10, "a18", "", "13700000019", C, PQ, F::kOpen},
            {16, 10, "a17", "s1", "13700000020", C, TP, F::kAssisted},
            {17, 10, "a17", "s3", "13700000021", C, SQ, F::kAssistedLate},
            {18, 10, "a18", "s1", "13700000022", C, SA, F::kReplied},
            {21, 10, "a17", "s1", "13700000023", C, SQ, F::kOpen},
            // 24: repeat of 7, in the special period.
            {24, 10, "a17", "s2", "13700000007", C, SQ, F::kClosed, S},
            // 25: marked repeat, then malicious, in the special period.
            {25,
             10,
             "a18",
             "s1",
             "13700000025",
             C,
             PQ,
             F::kOpen,
             {},
             Mark::kRepeatThenMalicious},
            {28, 10, "a17", "s3", "13700000026", C, SA, F::kReplied},
            {29, 10, "a17", "s1", "13700000027", C, SQ, F::kReplied},
            // 28: revisited on the 29th. (A reply on the 30th would be
            // refused: its revisit deadline falls in 2027, which the shipped
            // calendar does not cover.)
            {28, 11, "a18", "s2", "13700000028", C, TP, F::kRevisited, VS},
            // 29-40: the other kinds.
            {1, 15, "a17", "", "13700000029", v1::INFO_KIND_INQUIRY, NONE,
             F::kWaived},
            {2, 15, "a17", "", "13700000030", v1::INFO_KIND_INQUIRY, NONE,
             F::kClosed, S},
            {7, 15, "a18", "", "13700000031", v1::INFO_KIND_INQUIRY, NONE,
             F::kWaived},
            {8, 15, "a17", "", "13700000032", v1::INFO_KIND_INQUIRY, NONE,
             F::kOpen},
            {9, 15, "a17", "", "13700000033", v1::INFO_KIND_SUGGESTION, NONE,
             F::kClosed, BS},
            {10, 15, "a17", "s1", "13700000034", v1::INFO_KIND_REPAIR_REQUEST,
             NONE, F::kAssisted},
            {11, 15, "a18", "s2", "13700000035", v1::INFO_KIND_REPAIR_REQUEST,
             NONE, F::kClosed, S},
            {14, 15, "a17", "s3", "13700000036", v1::INFO_KIND_REPAIR_REQUEST,
             NONE, F::kWaived},
            {15, 15, "a17", "s1", "13700000037", v1::INFO_KIND_REPAIR_REQUEST,
             NONE, F::kLate, VS},
            {16, 15, "a17", "", "13700000038", v1::INFO_KIND_UNSPECIFIED, NONE,
             F::kGreen},
            {17, 15, "a18", "", "13700000039", v1::INFO_KIND_UNSPECIFIED, NONE,
             F::kGreen},
            {21, 15, "a17", "", "13700000040", v1::INFO_KIND_INQUIRY, NONE,
             F::kEscalated},
        });
    ASSERT_TRUE(
        runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  }

  v1::YearMonth december_;

  std::vector<std::string> ids_;  // ids_[0]: the November case.
};

TEST_F(ProjectionsMonthTest,
       StationTableRanksChargesAndSparesTheSpecialPeriod) {
  // Station table: complaints with a station (26 of 28; 18 and 19 have
  // none). Repeat/malicious by the highest severity; penalties by the day
  // received, 24-25 December not charged.
  const auto table = Ask<v1::GetStationTableResponse, StationView>(
      StationView::kName,
      [&](const StationView& v) { return v.Table(december_); });
  ASSERT_EQ(table.stations_size(), 4);
  auto row = [](const v1::StationMonth& s) {
    std::vector<std::string> categories;
    for (const auto& c : s.by_category()) {
      categories.push_back(absl::StrCat(
          v1::ComplaintCategory_Name(c.category()), "=", c.complaints()));
    }
    return absl::StrCat(s.station_id(), " complaints ", s.complaints(), " [",
                        absl::StrJoin(categories, " "), "] repeat ", s.repeat(),
                        " malicious ", s.malicious(), " copies ", s.copies(),
                        " rank ", s.rank(), " charged ",
                        s.penalty_charged().minor_units(), " not charged ",
                        s.penalty_not_charged().minor_units());
  };
  // s1: 1 2 4 7 9 10 20 22 23 25 27. SA 2 22; SQ 1 4 7 10 23 27; PQ 9 25;
  // TP 20 (categories in the enum's order). Repeat 4, 10 (charged); malicious
  // 25 (25 Dec, not charged). 11 / 4 = 2.75 per 10,000: the lowest, rank 1.
  EXPECT_EQ(row(table.stations(0)),
            "s1 complaints 11 [COMPLAINT_CATEGORY_SERVICE_ATTITUDE=2 "
            "COMPLAINT_CATEGORY_SERVICE_QUALITY=6 "
            "COMPLAINT_CATEGORY_PRODUCT_QUALITY=2 "
            "COMPLAINT_CATEGORY_TRANSACTION_PROCESS=1] repeat 2 malicious 1 "
            "copies 40000 rank 1 charged 40000 not charged 50000");
  EXPECT_DOUBLE_EQ(table.stations(0).ratio_per_10k(), 2.75);
  // s2: 3 5 8 11 14 15 16 17 24 28. SA 8 14; SQ 5 16 17 24; PQ 3 15;
  // TP 11 28. Malicious 17 (charged), repeat 24 (24 Dec, not charged).
  // 10 / 2 = 5.0: rank 3.
  EXPECT_EQ(row(table.stations(1)),
            "s2 complaints 10 [COMPLAINT_CATEGORY_SERVICE_ATTITUDE=2 "
            "COMPLAINT_CATEGORY_SERVICE_QUALITY=4 "
            "COMPLAINT_CATEGORY_PRODUCT_QUALITY=2 "
            "COMPLAINT_CATEGORY_TRANSACTION_PROCESS=2] repeat 1 malicious 1 "
            "copies 20000 rank 3 charged 50000 not charged 20000");
  EXPECT_DOUBLE_EQ(table.stations(1).ratio_per_10k(), 5.0);
  // s3: 13 26 (SA), 21 (SQ), 6 (TP). 4 / 1 = 4.0: rank 2.
  EXPECT_EQ(row(table.stations(2)),
            "s3 complaints 4 [COMPLAINT_CATEGORY_SERVICE_ATTITUDE=2 "
            "COMPLAINT_CATEGORY_SERVICE_QUALITY=1 "
            "COMPLAINT_CATEGORY_TRANSACTION_PROCESS=1] repeat 0 malicious 0 "
            "copies 10000 rank 2 charged 0 not charged 0");
  EXPECT_EQ(row(table.stations(3)),
            "s4 complaints 1 [COMPLAINT_CATEGORY_SERVICE_QUALITY=1] repeat 0 "
            "malicious 0 copies 0 rank 0 charged 0 not charged 0");
  EXPECT_EQ(table.totals().complaints(), 26);
  EXPECT_EQ(table.totals().repeat(), 3);
  EXPECT_EQ(table.totals().malicious(), 2);
  EXPECT_EQ(table.totals().copies(), 70000);
  EXPECT_DOUBLE_EQ(table.totals().ratio_per_10k(), 26.0 / 7.0);
  EXPECT_EQ(table.totals().penalty_charged().minor_units(), 90000);
  EXPECT_EQ(table.totals().penalty_not_charged().minor_units(), 70000);
}

TEST_F(ProjectionsMonthTest, AMonthStillRunningHasPendingKpisAndAnEmptyOneNA) {
  // On 15 December the month's KPIs are the month so far: none passes or
  // fails. December 2025 had no case: its figures are "no data", not 0%.
  const auto running = Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
      AnalysisView::kName, [&](const AnalysisView& v) {
        return v.Analysis(december_, Us(2026, 12, 15, 12, 0));
      });
  ASSERT_GT(running.month().kpis_size(), 0);
  for (const v1::Kpi& k : running.month().kpis()) {
    SCOPED_TRACE(k.name());
    EXPECT_TRUE(k.pending());
    EXPECT_FALSE(k.pass());
    EXPECT_TRUE(k.same_month_last_year_no_data());
    EXPECT_EQ(k.same_month_last_year_value(), 0);
  }
  EXPECT_FALSE(running.previous_month().kpis(0).pending());
  // At midnight on 1 January (Asia/Shanghai) December is over.
  const auto ended = Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
      AnalysisView::kName, [&](const AnalysisView& v) {
        return v.Analysis(december_, Us(2027, 1, 1, 0, 0));
      });
  int passed = 0;
  for (const v1::Kpi& k : ended.month().kpis()) {
    EXPECT_FALSE(k.pending()) << k.name();
    passed += k.pass();
  }
  EXPECT_GT(passed, 0);
}

TEST_F(ProjectionsMonthTest, MonthlyAnalysisCountsAndKpis) {
  // The analysis of the 40 cases of December.
  const auto analysis = Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
      AnalysisView::kName, [&](const AnalysisView& v) {
        return v.Analysis(december_, kAfterEveryMonth);
      });
  const v1::MonthFigures& m = analysis.month();
  EXPECT_EQ(m.cases(), 40);
  EXPECT_THAT(Counts(m.by_kind()),
              ElementsAre("complaint=28", "inquiry=5", "repair request=4",
                          "suggestion=1", "unclassified=2"));
  // SQ: s1 6, s2 4, s3 1, s4 1, 18; SA: 2+2+2; PQ: 2+2, 19; TP: 1+2+1.
  EXPECT_THAT(Counts(m.by_category()),
              ElementsAre("product quality=5", "service attitude=6",
                          "service quality=13", "transaction process=4"));
  EXPECT_THAT(Counts(m.by_channel()), ElementsAre("phone=40"));
  std::map<std::string, std::string> kpis;
  for (const auto& k : m.kpis()) {
    kpis[k.name()] = absl::StrCat(k.numerator(), "/", k.denominator(),
                                  k.no_data() ? " n/a"
                                  : k.pass()  ? " pass"
                                              : " FAIL");
  }
  // Accepted in time: all but the late (7 8 37), the never accepted (19 23
  // 25 32) and the green cases never replied to (38 39): 40 - 9.
  EXPECT_EQ(kpis["timely acceptance"], "31/40 FAIL");
  // Signed off: kClosed 2 4 5 9 10 12 13 14 16 17 18 24 30 33 35,
  // kClosedSecond 1 3 6 11, kLate 7 8 37, kWaived 29 31 36: 25.
  EXPECT_EQ(kpis["resolution"], "25/40 FAIL");
  // Revisited: those 22 less the 3 waived, plus kRevisited 15 28: 24. Not
  // (very) satisfied: 5 13 33 (basically, dissatisfied), 7 8 (late ones).
  EXPECT_EQ(kpis["satisfaction"], "19/24 FAIL");
  // Repeat or malicious complaints: 4 10 17 24 25.
  EXPECT_EQ(kpis["repeat rate"], "5/28 FAIL");
  // Complaints revisited: 20 of the 24 (not 30 33 35 37).
  EXPECT_EQ(kpis["revisit rate, complaints"], "20/28 FAIL");
  EXPECT_EQ(kpis["revisit rate, repair requests"], "2/4 pass");  // 35 37.
  // Inquiries 29-32 and 40, suggestion 33, green 38 39; revisited 30 33.
  EXPECT_EQ(kpis["revisit rate, other kinds"], "2/8 pass");
  // Complaints closed: 12 + 4 + 2 (7 8); a second revisit: 1 3 6 11.
  EXPECT_EQ(kpis["month-end second revisit"], "4/18 FAIL");
  // Replied: all but kOpen (19 23 25 32), kAssisted* (20 21 34), kGreen
  // (38 39), kEscalated (40): 30; late: 7 8 37.
  EXPECT_EQ(kpis["replies within deadline"], "27/30 FAIL");
  // 20 and 34 at T+60', 21 at 18:00.
  EXPECT_EQ(kpis["assist requests within cut-off"], "2/3 FAIL");
  EXPECT_EQ(analysis.previous_month().cases(), 1);  // The 27 November case.
}

TEST_F(ProjectionsMonthTest, AgentScorecards) {
  // a17 owns 1 2 4 5 7 8 10 11 13 14 16 17 18 20 21 23 24 26 27 (19
  // complaints) and 29 30 32 33 34 36 37 38 40: 28. Repeats 4 10 17 24.
  // Replied to all but 20 21 23 32 34 38 40: 21; late 7 8 37. First
  // revisits: 1 2 4 5 7 8 10 11 13 14 16 17 18 24 30 33 37 = 17, all on the
  // next working day (due the 2nd); not (very) satisfied 5 7 8 13 33.
  const auto card = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName, [&](const ScorecardView& v) {
        return v.Scorecard("a17", december_, kAfterEveryMonth);
      });
  EXPECT_EQ(card.cases_owned(), 28);
  EXPECT_EQ(card.repeat_cases(), 4);
  EXPECT_EQ(card.replies(), 21);
  EXPECT_EQ(card.replies_on_time(), 18);
  EXPECT_EQ(card.revisits(), 17);
  EXPECT_EQ(card.revisits_on_time(), 17);
  EXPECT_EQ(card.revisits_satisfied(), 12);
  // a18: 3 6 9 12 15 19 22 25 28 31 35 39; repeat 25.
  const auto card18 = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName, [&](const ScorecardView& v) {
        return v.Scorecard("a18", december_, kAfterEveryMonth);
      });
  EXPECT_EQ(card18.cases_owned(), 12);
  EXPECT_EQ(card18.repeat_cases(), 1);
  EXPECT_EQ(card18.display_name(), "a18");
  // An agent never registered has no scorecard (not a card of zeros).
  absl::Status unknown =
      runner_->Read(ScorecardView::kName, [&](const View& view, uint64_t) {
        return static_cast<const ScorecardView&>(view)
            .Scorecard("x9", december_, kAfterEveryMonth)
            .status();
      });
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(),
              ::testing::HasSubstr("x9 was never registered"));
}

TEST_F(ProjectionsMonthTest, QueuesAtTheEndOfTheMonth) {
  // Queues at the end of the month.
  const int64_t now = Us(2026, 12, 31, 17, 0);
  auto close = [](int day) { return Us(2026, 12, day, 17, 30); };
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_REVISITS_DUE), now),
              ElementsAre(Item(22, "revisit", close(22)) + "!",
                          Item(26, "revisit", close(30)) + "!",
                          Item(27, "revisit", close(31))));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_SIGN_OFFS_WAITING), now),
              ElementsAre(Item(15, "sign-off", 0), Item(28, "sign-off", 0)));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_PAPERWORK_PENDING), now),
              ElementsAre(Item(38, "paperwork", close(17)) + "!",
                          Item(39, "paperwork", close(18)) + "!"));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_ESCALATIONS_WAITING), now),
              ElementsAre(Item(40, "GM decision", 0)));
  // Each open case once, at its most urgent deadline; those without one
  // last, by id (ids are numbered in order of intake). Coordinated: reply
  // by the 2nd working day.
  auto owner = Kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  owner.set_owner_agent_id("a17");
  EXPECT_THAT(
      Queue(owner, now),
      ElementsAre(Item(34, "reply", close(14)) + "!",
                  Item(38, "paperwork", close(17)) + "!",
                  Item(20, "reply", close(18)) + "!",
                  Item(21, "reply", close(21)) + "!",
                  Item(26, "revisit", close(30)) + "!",
                  Item(27, "revisit", close(31)), Item(32, "choose a track", 0),
                  Item(23, "choose a track", 0), Item(40, "GM decision", 0)));
  owner.set_owner_agent_id("a18");
  EXPECT_THAT(
      Queue(owner, now),
      ElementsAre(Item(39, "paperwork", close(18)) + "!",
                  Item(22, "revisit", close(22)) + "!", Item(15, "sign-off", 0),
                  Item(19, "choose a track", 0), Item(25, "choose a track", 0),
                  Item(28, "sign-off", 0)));
  auto assists = Kind(v1::QUEUE_KIND_ASSISTS_PENDING);
  assists.set_station_id("s1");
  std::vector<std::string> s1_assists = Queue(assists, now);
  ASSERT_EQ(s1_assists.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(s1_assists[0], ids_[34] + ":assist "));
  EXPECT_TRUE(absl::StartsWith(s1_assists[1], ids_[20] + ":assist "));
  assists.set_station_id("s3");
  EXPECT_EQ(Queue(assists, now).size(), 1u);
  // Overdue at 17:00 on the 31st: every deadline above but 27's revisit
  // (17:30), and the three assist requests: 7 + 3.
  EXPECT_EQ(Queue(Kind(v1::QUEUE_KIND_OVERDUE), now).size(), 10u);
  EXPECT_EQ(
      Queue(Kind(v1::QUEUE_KIND_OVERDUE), now + int64_t{3600} * 1000000).size(),
      11u);
}

}  // namespace
}  // namespace ledger::testing
