// The views against an independent model: a seeded workload of 10,000 cases
// over three months (tools/sim/workload.h) goes through the real rules into
// a real store; the test recomputes the station tables and the monthly
// analyses from the plan alone, with the domain's rules written out plainly
// here (repeat = an earlier complaint of the same customer and category
// within 30 days; a malicious complaint counts as malicious, not repeat;
// ranks by ratio, equal ratios share; penalties not charged in the special
// period; the KPI formulas of the README), and the views must agree
// exactly, field by field.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/complaint_app.h"
#include "gtest/gtest.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/complaint/validation.h"
#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/runner.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "services/ledger_server.h"
#include "tests/test_util.h"
#include "tools/sim/in_process.h"
#include "tools/sim/workload.h"

namespace ledger::testing {
namespace {

using sim::PlannedCase;
using sim::Workload;

// What the model says about one case, beyond the plan.
struct Judged {
  const PlannedCase* c;
  absl::CivilMonth month;
  absl::CivilDay day;
  bool repeat = false;  // Repeat, not malicious.
  bool malicious = false;
};

std::vector<Judged> Judge(const Workload& w) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(w.time_zone, &zone));
  std::vector<Judged> out;
  // (phone, category) -> intake times of complaints, in order.
  std::map<std::pair<std::string, int>, std::vector<absl::Time>> seen;
  for (const PlannedCase& c : w.cases) {
    Judged j{&c, absl::CivilMonth(absl::ToCivilSecond(c.received, zone)),
             absl::CivilDay(absl::ToCivilSecond(c.received, zone))};
    if (c.kind == v1::INFO_KIND_COMPLAINT) {
      auto& earlier = seen[{c.phone, c.category}];
      bool repeat = false;
      for (absl::Time t : earlier) {
        if (c.received - t <= absl::Hours(24 * 30)) repeat = true;
      }
      earlier.push_back(c.received);
      j.malicious = repeat && c.malicious_if_repeat;
      j.repeat = repeat && !j.malicious;
    }
    out.push_back(j);
  }
  return out;
}

// KPI name -> {numerator, denominator} of `cases`, by the README's
// formulas.
std::map<std::string, std::pair<int64_t, int64_t>> ModelKpis(
    const std::vector<const Judged*>& cases) {
  std::map<std::string, std::pair<int64_t, int64_t>> kpi;
  auto count = [&kpi](const std::string& name, bool in, bool yes) {
    if (!in) return;
    ++kpi[name].second;
    kpi[name].first += yes;
  };
  for (const Judged* j : cases) {
    const PlannedCase& c = *j->c;
    const bool complaint = c.kind == v1::INFO_KIND_COMPLAINT;
    count("timely acceptance", true, !c.late);
    count("resolution", true, c.signed_off);
    count("satisfaction", c.revisited,
          c.satisfaction == v1::SATISFACTION_VERY_SATISFIED ||
              c.satisfaction == v1::SATISFACTION_SATISFIED);
    count("repeat rate", complaint, j->repeat || j->malicious);
    count(complaint ? "revisit rate, complaints"
          : c.kind == v1::INFO_KIND_REPAIR_REQUEST
              ? "revisit rate, repair requests"
              : "revisit rate, other kinds",
          true, c.revisited);
    count("month-end second revisit", complaint && c.signed_off,
          c.month_end_revisit);
    count("replies within deadline", true, !c.late);
    count("assist requests within cut-off",
          c.track == v1::HANDLING_TRACK_COORDINATED, !c.late);
    // Every call and chat with a wait counts, within the norm or not.
    count("phone answered within 10 s",
          c.channel == v1::CHANNEL_PHONE && c.wait_seconds.has_value(),
          c.wait_seconds.value_or(0) <= 10);
    count("chat answered within 3 min",
          c.channel == v1::CHANNEL_CHAT && c.wait_seconds.has_value(),
          c.wait_seconds.value_or(0) <= 180);
  }
  // Names whose denominator is 0 still exist: the view reports them n/a.
  for (const char* name :
       {"timely acceptance", "resolution", "satisfaction", "repeat rate",
        "revisit rate, complaints", "revisit rate, repair requests",
        "revisit rate, other kinds", "month-end second revisit",
        "replies within deadline", "assist requests within cut-off",
        "phone answered within 10 s", "chat answered within 3 min"}) {
    kpi.try_emplace(name);
  }
  return kpi;
}

class ProjectionsModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::WorkloadOptions plan;
    plan.seed = 20261123;
    plan.cases = 10000;
    workload_ = sim::PlanWorkload(plan);
    clock_ = std::make_shared<FakeClock>(workload_.steps.front().at);
    // The ledger as ledgerd assembles it (store, hub, complaint service,
    // projections in process), on the workload's clock.
    LedgerServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_.path();
    options.store.clock = clock_;
    options.complaints.clock = clock_;
    options.security.no_auth = true;  // In process: nobody calls it.
    // Far fewer rows in memory than cases: most are read back from the
    // store, evicted and read again as the workload goes.
    options.views.cached_cases = 64;
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    store_ = &server_->store();
    app_ = &server_->complaints();
    runner_ = &server_->projections();
  }

  TempDir dir_{TempDir::Where::kMemoryIfAvailable};
  Workload workload_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<LedgerServer> server_;
  EventStore* store_ = nullptr;
  ComplaintApp* app_ = nullptr;
  ProjectionRunner* runner_ = nullptr;
};

TEST_F(ProjectionsModelTest, TenThousandCasesMatchAnIndependentModel) {
  int refused = 0;
  const absl::Status ran = sim::RunInProcess(
      workload_, 0, workload_.steps.size(), app_, clock_.get(), &refused);
  ASSERT_TRUE(ran.ok()) << ran;
  const std::vector<Judged> judged = Judge(workload_);
  int marks_refused = 0, repeats = 0, malicious = 0;
  for (const Judged& j : judged) {
    marks_refused += j.c->malicious_if_repeat && !j.repeat && !j.malicious;
    repeats += j.repeat;
    malicious += j.malicious;
  }
  // The head's malicious mark is refused exactly where the model sees no
  // repeat; and the workload has enough of each to mean something.
  EXPECT_EQ(refused, marks_refused);
  EXPECT_GT(repeats, 100);
  EXPECT_GT(malicious, 30);
  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(60)));

  for (int m = 0; m < workload_.months; ++m) {
    const absl::CivilMonth month = workload_.first_month + m;
    SCOPED_TRACE(absl::StrCat("month ", absl::FormatCivilTime(month)));
    std::vector<const Judged*> cases;
    for (const Judged& j : judged) {
      if (j.month == month) cases.push_back(&j);
    }

    // Station table.
    v1::GetStationTableResponse table;
    ASSERT_TRUE(runner_
                    ->Read(StationView::kName,
                           [&](const View& v, uint64_t) {
                             auto t = static_cast<const StationView&>(v).Table(
                                 ToYearMonth(month));
                             if (t.ok()) table = *t;
                             return t.status();
                           })
                    .ok());
    ASSERT_EQ(table.stations_size(),
              static_cast<int>(workload_.stations.size()));
    std::map<std::string, double> ratio;
    for (const auto& s : workload_.stations) {
      int64_t complaints = 0;
      for (const Judged* j : cases) {
        complaints += j->c->station_id == s.station_id &&
                      j->c->kind == v1::INFO_KIND_COMPLAINT;
      }
      ratio[s.station_id] = static_cast<double>(complaints) * 10000.0 /
                            static_cast<double>(s.copies[m]);
    }
    int64_t total_complaints = 0, total_charged = 0, total_not_charged = 0;
    for (size_t i = 0; i < workload_.stations.size(); ++i) {
      const sim::StationPlan& s = workload_.stations[i];
      const v1::StationMonth& row = table.stations(static_cast<int>(i));
      SCOPED_TRACE(s.station_id);
      ASSERT_EQ(row.station_id(), s.station_id);
      int64_t complaints = 0, repeat = 0, mal = 0, charged = 0, not_charged = 0;
      std::map<int, int64_t> by_category;
      for (const Judged* j : cases) {
        if (j->c->station_id != s.station_id ||
            j->c->kind != v1::INFO_KIND_COMPLAINT) {
          continue;
        }
        ++complaints;
        ++by_category[j->c->category];
        repeat += j->repeat;
        mal += j->malicious;
        const int64_t amount = j->repeat      ? workload_.repeat_penalty
                               : j->malicious ? workload_.malicious_penalty
                                              : 0;
        const bool special = j->day >= workload_.special_first &&
                             j->day <= workload_.special_last;
        (special ? not_charged : charged) += amount;
      }
      EXPECT_EQ(row.complaints(), complaints);
      EXPECT_EQ(row.repeat(), repeat);
      EXPECT_EQ(row.malicious(), mal);
      EXPECT_EQ(row.copies(), s.copies[m]);
      EXPECT_EQ(row.ratio_per_10k(), ratio[s.station_id]);
      uint32_t rank = 1;
      for (const auto& [other, r] : ratio) rank += r < ratio[s.station_id];
      EXPECT_EQ(row.rank(), rank);
      EXPECT_EQ(row.penalty_charged().minor_units(), charged);
      EXPECT_EQ(row.penalty_not_charged().minor_units(), not_charged);
      std::map<int, int64_t> viewed;
      for (const auto& c : row.by_category()) {
        viewed[c.category()] = c.complaints();
      }
      EXPECT_EQ(viewed, by_category);
      total_complaints += complaints;
      total_charged += charged;
      total_not_charged += not_charged;
    }
    EXPECT_EQ(table.totals().complaints(), total_complaints);
    EXPECT_EQ(table.totals().penalty_charged().minor_units(), total_charged);
    EXPECT_EQ(table.totals().penalty_not_charged().minor_units(),
              total_not_charged);

    // Monthly analysis.
    v1::GetMonthlyAnalysisResponse analysis;
    ASSERT_TRUE(runner_
                    ->Read(AnalysisView::kName,
                           [&](const View& v, uint64_t) {
                             auto a =
                                 static_cast<const AnalysisView&>(v).Analysis(
                                     ToYearMonth(month), kAfterEveryMonth);
                             if (a.ok()) analysis = *a;
                             return a.status();
                           })
                    .ok());
    const v1::MonthFigures& f = analysis.month();
    EXPECT_EQ(f.cases(), static_cast<int64_t>(cases.size()));
    std::map<std::string, int64_t> kinds, channels, stations, categories;
    for (const Judged* j : cases) {
      const PlannedCase& c = *j->c;
      ++kinds[EnumLabel(c.kind)];
      ++channels[EnumLabel(c.channel)];
      ++stations[c.station_id];
      if (c.kind == v1::INFO_KIND_COMPLAINT)
        ++categories[EnumLabel(c.category)];
    }
    std::map<std::string, std::pair<int64_t, int64_t>> kpi = ModelKpis(cases);
    auto counts = [](const google::protobuf::RepeatedPtrField<v1::Count>& in) {
      std::map<std::string, int64_t> out;
      for (const auto& c : in) out[c.key()] = c.count();
      return out;
    };
    EXPECT_EQ(counts(f.by_kind()), kinds);
    EXPECT_EQ(counts(f.by_channel()), channels);
    EXPECT_EQ(counts(f.by_station()), stations);
    EXPECT_EQ(counts(f.by_category()), categories);
    ASSERT_EQ(f.kpis_size(), static_cast<int>(kpi.size()));
    for (const v1::Kpi& k : f.kpis()) {
      SCOPED_TRACE(k.name());
      ASSERT_TRUE(kpi.contains(k.name()));
      EXPECT_EQ(k.numerator(), kpi[k.name()].first);
      EXPECT_EQ(k.denominator(), kpi[k.name()].second);
      ASSERT_GT(kpi[k.name()].second, 0);  // Every KPI has data here.
      EXPECT_EQ(k.value(), static_cast<double>(kpi[k.name()].first) /
                               static_cast<double>(kpi[k.name()].second));
      EXPECT_EQ(k.pass(), k.at_least() ? k.value() >= k.target()
                                       : k.value() <= k.target());
    }

    // Each agent's KPIs: the same formulas over the cases they own (the
    // workload's owner took each case in and keeps it).
    for (int a = 1; a <= 8; ++a) {
      const std::string agent = absl::StrCat("a", a);
      SCOPED_TRACE(agent);
      std::vector<const Judged*> own;
      for (const Judged* j : cases) {
        if (j->c->owner == agent) own.push_back(j);
      }
      std::map<std::string, std::pair<int64_t, int64_t>> model = ModelKpis(own);
      v1::AgentScorecard card;
      ASSERT_TRUE(
          runner_
              ->Read(ScorecardView::kName,
                     [&](const View& v, uint64_t) {
                       auto c = static_cast<const ScorecardView&>(v).Scorecard(
                           agent, ToYearMonth(month), kAfterEveryMonth);
                       if (c.ok()) card = *c;
                       return c.status();
                     })
              .ok());
      EXPECT_EQ(card.cases_owned(), static_cast<int64_t>(own.size()));
      ASSERT_EQ(card.kpis_size(), 6);
      for (const v1::Kpi& k : card.kpis()) {
        SCOPED_TRACE(k.name());
        ASSERT_TRUE(model.contains(k.name()));
        EXPECT_EQ(k.numerator(), model[k.name()].first);
        EXPECT_EQ(k.denominator(), model[k.name()].second);
        EXPECT_FALSE(k.pending());
      }
    }
  }
}

// The queue index is brought up to date in bulk; in between, queries merge
// the complaints changed since. Folded with and without settling, every
// queue, page and total must be the same, at several points of the log.
TEST_F(ProjectionsModelTest, QueuesAreExactBetweenIndexUpdates) {
  const size_t steps = workload_.steps.size() / 4;
  ASSERT_TRUE(sim::RunInProcess(workload_, 0, steps, app_, clock_.get()).ok());
  QueueView settled, unsettled;
  uint64_t compared = 0;
  auto compare = [&](int64_t now_us) {
    for (int kind = v1::QueueKind_MIN + 1; kind <= v1::QueueKind_MAX; ++kind) {
      v1::GetQueueRequest r;
      r.set_kind(static_cast<v1::QueueKind>(kind));
      if (kind == v1::QUEUE_KIND_OPEN_BY_OWNER) r.set_owner_agent_id("a3");
      if (kind == v1::QUEUE_KIND_ASSISTS_PENDING) r.set_station_id("s2");
      r.set_page_size(40);
      for (int page = 0; page < 3; ++page) {
        auto a = settled.Query(r, now_us);
        auto b = unsettled.Query(r, now_us);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString())
            << "kind " << kind << " page " << page;
        compared += a->items_size();
        r.set_page_token(a->next_page_token());
        if (r.page_token().empty()) break;
      }
    }
    // The overdue total is counted, not walked: it must be what paging
    // through the whole queue finds.
    for (QueueView* view : {&settled, &unsettled}) {
      v1::GetQueueRequest r;
      r.set_kind(v1::QUEUE_KIND_OVERDUE);
      r.set_page_size(1000);
      uint64_t seen = 0, total = 0;
      do {
        auto page = view->Query(r, now_us);
        ASSERT_TRUE(page.ok());
        for (const auto& item : page->items()) {
          EXPECT_TRUE(item.overdue());
          ++seen;
        }
        total = page->total();
        r.set_page_token(page->next_page_token());
      } while (!r.page_token().empty());
      EXPECT_EQ(seen, total);
    }
  };
  uint64_t n = 0;
  ViewChanges ignored;
  ASSERT_TRUE(store_
                  ->ScanAll(1, store_->log_head().position_last,
                            [&](const v1::Event& e) {
                              settled.Apply(e);
                              unsettled.Apply(e);
                              settled.TakeChanges(&ignored);
                              if (++n % 2000 == 0) {
                                compare(e.recorded_time_us());
                                unsettled.TakeChanges(&ignored);
                              }
                              return true;
                            })
                  .ok());
  compare(absl::ToUnixMicros(clock_->Now()));
  EXPECT_GT(compared, 1000u);
}

}  // namespace
}  // namespace ledger::testing
