// Projections over a real store, fed by the complaint service's own
// commands: the queues for a hand-built set of cases, incremental equals
// rebuild, a restart neither double-counts nor skips, as-of answers from
// the past without touching the live view.
#include <map>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/runner.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "projections/views.h"
#include "services/complaint_app.h"
#include "tests/test_util.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;

absl::Time Shanghai(int y, int m, int d, int hh, int mm) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), zone);
}
int64_t Us(int y, int m, int d, int hh, int mm) {
  return absl::ToUnixMicros(Shanghai(y, m, d, hh, mm));
}

class ProjectionsTest : public ::testing::Test {
 protected:
  ProjectionsTest()
      : clock_(std::make_shared<FakeClock>(Shanghai(2026, 11, 18, 10, 0))) {
    hub_ = std::make_unique<SubscriptionHub>(0);
    EventStoreOptions options;
    options.clock = clock_;
    SubscriptionHub* hub = hub_.get();
    options.on_commit = [hub](const EventBatch& b) { hub->Publish(b); };
    store_ = *EventStore::Open(dir_.path(), options);
    hub_->Reset(store_->log_head().position_last);
    ComplaintAppOptions app_options;
    app_options.clock = clock_;
    app_ = *ComplaintApp::Create(store_.get(), app_options);
    for (const auto& [id, role] :
         {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
          std::pair{"a17", v1::ROLE_AGENT}, std::pair{"a18", v1::ROLE_AGENT}}) {
      v1::RegisterAgent agent;
      agent.mutable_agent()->set_agent_id(id);
      agent.mutable_agent()->set_display_name(id);
      agent.mutable_agent()->add_roles(role);
      agent.mutable_agent()->set_active(true);
      Do(agent, "h1");
    }
    v1::RegisterStation station;
    station.mutable_station()->set_station_id("s1");
    station.mutable_station()->set_name("s1");
    Do(station, "h1");
  }
  ~ProjectionsTest() override {
    if (runner_) runner_->Stop();
    hub_->Close();
  }

  std::unique_ptr<ProjectionRunner> NewRunner() {
    auto runner = std::make_unique<ProjectionRunner>(
        store_.get(), LocalLog(store_.get(), hub_.get()), AllViews());
    EXPECT_TRUE(runner->Start().ok());
    return runner;
  }

  template <typename Command>
  v1::ComplaintState Do(const Command& command, const std::string& actor) {
    auto result = app_->Execute(command, actor);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->state() : v1::ComplaintState();
  }

  std::string Receive(bool green = false) {
    v1::ReceiveComplaint c;
    c.set_channel(v1::CHANNEL_PHONE);
    c.mutable_customer()->set_phone(absl::StrCat("1390000", 1000 + ++n_));
    c.set_content("x");
    c.set_green_channel(green);
    if (!green) {
      c.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
      c.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    }
    return Do(c, "a17").complaint_id();
  }
  void Track(const std::string& id, v1::HandlingTrack t) {
    v1::ChooseTrack c;
    c.set_complaint_id(id);
    c.set_track(t);
    Do(c, "a17");
  }
  void Reply(const std::string& id) {
    v1::Reply c;
    c.set_complaint_id(id);
    c.set_outcome(v1::REPLY_OUTCOME_RESOLVED);
    c.set_reply("ok");
    Do(c, "a17");
  }
  void Revisit(const std::string& id) {
    v1::RecordRevisit c;
    c.set_complaint_id(id);
    c.set_satisfaction(v1::SATISFACTION_SATISFIED);
    c.set_resolved(true);
    Do(c, "a17");
  }

  // The queue as "id:what@due" strings, with `now`.
  std::vector<std::string> Queue(v1::GetQueueRequest request, int64_t now_us) {
    std::vector<std::string> out;
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    absl::Status s =
        runner_->Read(QueueView::kName, [&](const View& view, uint64_t) {
          auto r = static_cast<const QueueView&>(view).Query(request, now_us);
          if (!r.ok()) return r.status();
          for (const auto& item : r->items()) {
            out.push_back(absl::StrCat(item.complaint_id(), ":",
                                       item.due_what(), "@", item.due_us(),
                                       item.overdue() ? "!" : ""));
          }
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  static v1::GetQueueRequest Kind(v1::QueueKind kind) {
    v1::GetQueueRequest r;
    r.set_kind(kind);
    return r;
  }

  std::map<std::string, std::string> Rows() {
    std::map<std::string, std::string> rows;
    EXPECT_TRUE(store_
                    ->ScanView(QueueView::kName,
                               [&](absl::string_view k, absl::string_view v) {
                                 rows.emplace(k, v);
                                 return true;
                               })
                    .ok());
    return rows;
  }

  TempDir dir_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<SubscriptionHub> hub_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintApp> app_;
  std::unique_ptr<ProjectionRunner> runner_;
  int n_ = 0;
};

TEST_F(ProjectionsTest, QueuesOfAHandBuiltSetOfCases) {
  runner_ = NewRunner();
  // Wednesday 2026-11-18 10:00.
  const std::string coordinated = Receive();  // 000001
  Track(coordinated, v1::HANDLING_TRACK_COORDINATED);
  v1::RequestAssist assist;
  assist.set_complaint_id(coordinated);
  assist.add_targets()->set_station_id("s1");
  assist.set_request("check");
  Do(assist, "a17");
  const std::string replied = Receive();  // 000002
  Track(replied, v1::HANDLING_TRACK_ON_THE_SPOT);
  Reply(replied);
  const std::string revisited = Receive();  // 000003
  Track(revisited, v1::HANDLING_TRACK_ON_THE_SPOT);
  Reply(revisited);
  Revisit(revisited);
  const std::string green = Receive(/*green=*/true);  // 000004
  const std::string escalated = Receive();            // 000005
  v1::EscalateToGm escalate;
  escalate.set_complaint_id(escalated);
  escalate.set_proposal("refund");
  Do(escalate, "h1");
  const std::string closed = Receive();  // 000006
  Track(closed, v1::HANDLING_TRACK_ON_THE_SPOT);
  Reply(closed);
  Revisit(closed);
  v1::SignOff sign;
  sign.set_complaint_id(closed);
  sign.set_record_complete(true);
  Do(sign, "h1");

  const int64_t friday_close = Us(2026, 11, 20, 17, 30);
  const int64_t thursday_close = Us(2026, 11, 19, 17, 30);
  auto owner = Kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  owner.set_owner_agent_id("a17");
  const int64_t now = Us(2026, 11, 18, 12, 0);
  // The closed case is in no queue; each open one once, at its most urgent
  // deadline; those without one last.
  EXPECT_THAT(Queue(owner, now),
              ElementsAre(absl::StrCat(green, ":paperwork@", thursday_close),
                          absl::StrCat(coordinated, ":reply@", friday_close),
                          absl::StrCat(replied, ":revisit@", friday_close),
                          absl::StrCat(revisited, ":sign-off@0"),
                          absl::StrCat(escalated, ":GM decision@0")));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_REVISITS_DUE), now),
              ElementsAre(absl::StrCat(replied, ":revisit@", friday_close)));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_SIGN_OFFS_WAITING), now),
              ElementsAre(absl::StrCat(revisited, ":sign-off@0")));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_PAPERWORK_PENDING), now),
              ElementsAre(absl::StrCat(green, ":paperwork@", thursday_close)));
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_ESCALATIONS_WAITING), now),
              ElementsAre(absl::StrCat(escalated, ":GM decision@0")));
  auto assists = Kind(v1::QUEUE_KIND_ASSISTS_PENDING);
  assists.set_station_id("s1");
  EXPECT_THAT(Queue(assists, now),
              ElementsAre(absl::StrCat(
                  coordinated, ":assist A1 from station:s1@", friday_close)));
  // Overdue is a question about a moment: Friday 18:00 everything dated
  // Thursday and Friday is late.
  EXPECT_THAT(
      Queue(Kind(v1::QUEUE_KIND_OVERDUE), Us(2026, 11, 20, 18, 0)),
      ElementsAre(absl::StrCat(green, ":paperwork@", thursday_close, "!"),
                  absl::StrCat(coordinated, ":assist A1 from station:s1@",
                               friday_close, "!"),
                  absl::StrCat(coordinated, ":reply@", friday_close, "!"),
                  absl::StrCat(replied, ":revisit@", friday_close, "!")));
  EXPECT_TRUE(Queue(Kind(v1::QUEUE_KIND_OVERDUE), now).empty());
}

TEST_F(ProjectionsTest, IncrementalEqualsRebuildAndRestartDoesNotDoubleCount) {
  runner_ = NewRunner();
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(Receive(i % 7 == 0));
    clock_->Advance(absl::Minutes(17));
    if (i % 3 != 2) Track(ids.back(), v1::HANDLING_TRACK_ON_THE_SPOT);
    if (i % 3 == 0) Reply(ids.back());
  }
  // Stop half way through the work, write more, start a new runner.
  runner_->Stop();
  runner_.reset();
  for (int i = 0; i < 40; i += 3) {
    if (i % 7 != 0) Revisit(ids[i]);
  }
  runner_ = NewRunner();
  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  runner_->Stop();  // Writes the rows.
  const std::map<std::string, std::string> incremental = Rows();
  EXPECT_EQ(incremental.size(), 40u);

  runner_ = NewRunner();
  auto rebuilt_at = runner_->Rebuild(QueueView::kName);
  ASSERT_TRUE(rebuilt_at.ok()) << rebuilt_at.status();
  EXPECT_EQ(*rebuilt_at, store_->log_head().position_last);
  EXPECT_EQ(Rows(), incremental);
}

TEST_F(ProjectionsTest, AsOfAnswersFromThePastAndLeavesTheLiveViewAlone) {
  runner_ = NewRunner();
  const std::string a = Receive();
  Track(a, v1::HANDLING_TRACK_ON_THE_SPOT);
  const uint64_t then = store_->log_head().position_last;
  auto request = Kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  request.set_owner_agent_id("a17");
  const std::vector<std::string> before = Queue(request, 0);
  ASSERT_EQ(before.size(), 1u);
  Reply(a);
  Receive();
  auto past = runner_->AsOf(QueueView::kName, then);
  ASSERT_TRUE(past.ok()) << past.status();
  auto answered = static_cast<const QueueView&>(**past).Query(request, 0);
  ASSERT_TRUE(answered.ok());
  std::vector<std::string> past_items;
  for (const auto& item : answered->items()) {
    past_items.push_back(absl::StrCat(item.complaint_id(), ":", item.due_what(),
                                      "@", item.due_us()));
  }
  EXPECT_EQ(past_items, before);
  // The live view has moved on: a is waiting for its revisit, b is new.
  EXPECT_EQ(Queue(request, 0).size(), 2u);
  EXPECT_EQ(runner_->AsOf(QueueView::kName, then + 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProjectionsTest, StationTableOfAHandBuiltMonth) {
  runner_ = NewRunner();
  for (const char* id : {"s2", "s3"}) {
    v1::RegisterStation station;
    station.mutable_station()->set_station_id(id);
    station.mutable_station()->set_name(absl::StrCat("Station ", id));
    Do(station, "h1");
  }
  for (const auto& [id, copies] :
       {std::pair{"s1", 20000}, std::pair{"s2", 10000}}) {
    v1::RecordStationVolume volume;
    volume.mutable_volume()->set_station_id(id);
    volume.mutable_volume()->mutable_month()->set_year(2026);
    volume.mutable_volume()->mutable_month()->set_month(11);
    volume.mutable_volume()->set_copies(copies);
    Do(volume, "h1");
  }
  v1::PublishPenaltySchedule schedule;
  schedule.mutable_schedule()->mutable_effective_from()->set_year(2026);
  schedule.mutable_schedule()->mutable_effective_from()->set_month(11);
  for (const auto& [severity, fen] :
       {std::pair{v1::SEVERITY_REPEAT, 20000},
        std::pair{v1::SEVERITY_MALICIOUS, 50000}}) {
    v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
    rate->set_severity(severity);
    rate->mutable_amount_per_complaint()->set_currency_code("CNY");
    rate->mutable_amount_per_complaint()->set_minor_units(fen);
  }
  Do(schedule, "h1");
  v1::DeclareSpecialPeriod special;
  special.mutable_period()->mutable_first_day()->set_year(2026);
  special.mutable_period()->mutable_first_day()->set_month(11);
  special.mutable_period()->mutable_first_day()->set_day(20);
  special.mutable_period()->mutable_last_day()->set_year(2026);
  special.mutable_period()->mutable_last_day()->set_month(11);
  special.mutable_period()->mutable_last_day()->set_day(22);
  special.mutable_period()->set_reason("typhoon");
  Do(special, "h1");

  auto complaint = [&](const std::string& station, const std::string& phone,
                       v1::InfoKind kind, v1::ComplaintCategory category) {
    v1::ReceiveComplaint c;
    c.set_channel(v1::CHANNEL_PHONE);
    c.mutable_customer()->set_phone(phone);
    c.set_content("x");
    c.set_station_id(station);
    c.mutable_classification()->set_kind(kind);
    c.mutable_classification()->set_category(category);
    c.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    return Do(c, "a17").complaint_id();
  };
  auto raise = [&](const std::string& id, v1::Severity severity) {
    v1::RaiseSeverity c;
    c.set_complaint_id(id);
    c.set_severity(severity);
    c.set_reason("as found");
    Do(c, "h1");
  };
  using v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY;
  using v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE;
  using v1::COMPLAINT_CATEGORY_SERVICE_QUALITY;
  using v1::COMPLAINT_CATEGORY_TRANSACTION_PROCESS;
  using v1::INFO_KIND_COMPLAINT;
  // Wednesday 18 November.
  complaint("s1", "13500000001", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_QUALITY);
  complaint("s1", "13500000002", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  // The first customer again: a repeat at intake (200.00 charged).
  complaint("s1", "13500000001", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_QUALITY);
  // An inquiry, and a complaint without a station: not in the table.
  complaint("s1", "13500000003", v1::INFO_KIND_INQUIRY,
            v1::COMPLAINT_CATEGORY_UNSPECIFIED);
  complaint("", "13500000004", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_QUALITY);
  // Malicious at s2 (500.00 charged).
  const std::string bad = complaint("s2", "13500000005", INFO_KIND_COMPLAINT,
                                    COMPLAINT_CATEGORY_PRODUCT_QUALITY);
  raise(bad, v1::SEVERITY_REPEAT);
  raise(bad, v1::SEVERITY_MALICIOUS);
  complaint("s3", "13500000006", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_QUALITY);
  // Saturday 21 November, in the special period: a repeat shown, not charged.
  clock_->Set(Shanghai(2026, 11, 21, 10, 0));
  const std::string special_case =
      complaint("s2", "13500000007", INFO_KIND_COMPLAINT,
                COMPLAINT_CATEGORY_TRANSACTION_PROCESS);
  raise(special_case, v1::SEVERITY_REPEAT);

  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  v1::GetStationTableResponse table;
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  ASSERT_TRUE(runner_
                  ->Read(StationView::kName,
                         [&](const View& view, uint64_t) {
                           auto t = static_cast<const StationView&>(view).Table(
                               november);
                           if (!t.ok()) return t.status();
                           table = *t;
                           return absl::OkStatus();
                         })
                  .ok());
  ASSERT_EQ(table.stations_size(), 3);
  const v1::StationMonth& s1 = table.stations(0);
  const v1::StationMonth& s2 = table.stations(1);
  const v1::StationMonth& s3 = table.stations(2);
  EXPECT_EQ(s1.station_id(), "s1");
  EXPECT_EQ(s1.complaints(), 3);
  ASSERT_EQ(s1.by_category_size(), 2);
  EXPECT_EQ(s1.by_category(0).category(), COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  EXPECT_EQ(s1.by_category(0).complaints(), 1);
  EXPECT_EQ(s1.by_category(1).category(), COMPLAINT_CATEGORY_SERVICE_QUALITY);
  EXPECT_EQ(s1.by_category(1).complaints(), 2);
  EXPECT_EQ(s1.repeat(), 1);
  EXPECT_EQ(s1.malicious(), 0);
  EXPECT_EQ(s1.copies(), 20000);
  EXPECT_DOUBLE_EQ(s1.ratio_per_10k(), 1.5);
  EXPECT_EQ(s1.rank(), 1u);
  EXPECT_EQ(s1.penalty_charged().minor_units(), 20000);
  EXPECT_EQ(s1.penalty_charged().currency_code(), "CNY");
  EXPECT_EQ(s1.penalty_not_charged().minor_units(), 0);

  EXPECT_EQ(s2.name(), "Station s2");
  EXPECT_EQ(s2.complaints(), 2);
  EXPECT_EQ(s2.repeat(), 1);
  EXPECT_EQ(s2.malicious(), 1);
  EXPECT_DOUBLE_EQ(s2.ratio_per_10k(), 2.0);
  EXPECT_EQ(s2.rank(), 2u);
  EXPECT_EQ(s2.penalty_charged().minor_units(), 50000);
  EXPECT_EQ(s2.penalty_not_charged().minor_units(), 20000);

  EXPECT_EQ(s3.complaints(), 1);
  EXPECT_EQ(s3.copies(), 0);
  EXPECT_EQ(s3.rank(), 0u);  // No volume recorded: unranked.

  EXPECT_EQ(table.totals().complaints(), 6);
  EXPECT_EQ(table.totals().repeat(), 2);
  EXPECT_EQ(table.totals().malicious(), 1);
  EXPECT_EQ(table.totals().copies(), 30000);
  EXPECT_DOUBLE_EQ(table.totals().ratio_per_10k(), 2.0);
  EXPECT_EQ(table.totals().penalty_charged().minor_units(), 70000);
  EXPECT_EQ(table.totals().penalty_not_charged().minor_units(), 20000);

  // The same table from a restart (rows and checkpoint) and from a replay.
  runner_->Stop();
  runner_ = NewRunner();
  auto replayed =
      runner_->AsOf(StationView::kName, store_->log_head().position_last);
  ASSERT_TRUE(replayed.ok());
  auto again = static_cast<const StationView&>(**replayed).Table(november);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), table.SerializeAsString());
  ASSERT_TRUE(
      runner_
          ->Read(StationView::kName,
                 [&](const View& view, uint64_t) {
                   auto t =
                       static_cast<const StationView&>(view).Table(november);
                   EXPECT_EQ(t->SerializeAsString(), table.SerializeAsString());
                   return absl::OkStatus();
                 })
          .ok());
  v1::YearMonth december = november;
  december.set_month(12);
  auto empty = static_cast<const StationView&>(**replayed).Table(december);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->totals().complaints(), 0);
}

TEST_F(ProjectionsTest, MonthlyAnalysisOfAHandBuiltMonth) {
  runner_ = NewRunner();
  auto receive = [&](const std::string& phone, v1::InfoKind kind,
                     v1::ComplaintCategory category) {
    v1::ReceiveComplaint c;
    c.set_channel(v1::CHANNEL_PHONE);
    c.mutable_customer()->set_phone(phone);
    c.set_content("x");
    c.mutable_classification()->set_kind(kind);
    c.mutable_classification()->set_category(category);
    c.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    return Do(c, "a17").complaint_id();
  };
  auto revisit = [&](const std::string& id, v1::Satisfaction satisfaction,
                     bool resolved, v1::RevisitKind kind) {
    v1::RecordRevisit c;
    c.set_complaint_id(id);
    c.set_kind(kind);
    c.set_satisfaction(satisfaction);
    c.set_resolved(resolved);
    Do(c, "a17");
  };
  // Wednesday 18 November, 10:00.
  const std::string a = receive("13600000001", v1::INFO_KIND_COMPLAINT,
                                v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  Track(a, v1::HANDLING_TRACK_INTERNAL_STUDY);
  Reply(a);
  revisit(a, v1::SATISFACTION_VERY_SATISFIED, true, v1::REVISIT_KIND_FIRST);
  v1::SignOff sign;
  sign.set_complaint_id(a);
  sign.set_record_complete(true);
  Do(sign, "h1");
  revisit(a, v1::SATISFACTION_SATISFIED, true,
          v1::REVISIT_KIND_MONTH_END_SECOND);
  const std::string b = receive("13600000002", v1::INFO_KIND_COMPLAINT,
                                v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  const std::string c = receive("13600000003", v1::INFO_KIND_REPAIR_REQUEST,
                                v1::COMPLAINT_CATEGORY_UNSPECIFIED);
  Track(c, v1::HANDLING_TRACK_COORDINATED);
  receive("13600000004", v1::INFO_KIND_INQUIRY,
          v1::COMPLAINT_CATEGORY_UNSPECIFIED);
  const std::string e =
      receive("13600000001", v1::INFO_KIND_COMPLAINT,
              v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);  // Repeat.
  Track(e, v1::HANDLING_TRACK_ON_THE_SPOT);
  // Wednesday 18:00: c's assist request, after the 17:30 cut-off.
  clock_->Set(Shanghai(2026, 11, 18, 18, 0));
  v1::RequestAssist assist;
  assist.set_complaint_id(c);
  assist.add_targets()->set_station_id("s1");
  assist.set_request("check");
  Do(assist, "a17");
  // Friday 18:00: b is accepted a day late, answered late, revisited unhappy.
  clock_->Set(Shanghai(2026, 11, 20, 18, 0));
  Track(b, v1::HANDLING_TRACK_ON_THE_SPOT);
  Reply(b);
  revisit(b, v1::SATISFACTION_VERY_DISSATISFIED, false, v1::REVISIT_KIND_FIRST);

  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  v1::GetMonthlyAnalysisResponse analysis;
  ASSERT_TRUE(runner_
                  ->Read(AnalysisView::kName,
                         [&](const View& view, uint64_t) {
                           auto r =
                               static_cast<const AnalysisView&>(view).Analysis(
                                   november);
                           if (!r.ok()) return r.status();
                           analysis = *r;
                           return absl::OkStatus();
                         })
                  .ok());
  const v1::MonthFigures& m = analysis.month();
  EXPECT_EQ(m.cases(), 5);
  auto counts = [](const auto& list) {
    std::vector<std::string> out;
    for (const auto& c : list)
      out.push_back(absl::StrCat(c.key(), "=", c.count()));
    return out;
  };
  EXPECT_THAT(counts(m.by_kind()),
              ElementsAre("complaint=3", "inquiry=1", "repair request=1"));
  EXPECT_THAT(counts(m.by_category()),
              ElementsAre("service attitude=1", "service quality=2"));
  EXPECT_THAT(counts(m.by_channel()), ElementsAre("phone=5"));
  std::map<std::string, v1::Kpi> kpi;
  for (const auto& k : m.kpis()) kpi[k.name()] = k;
  auto fraction = [&kpi](const std::string& name) {
    const v1::Kpi& k = kpi[name];
    return absl::StrCat(k.numerator(), "/", k.denominator(),
                        k.no_data() ? " n/a"
                        : k.pass()  ? " pass"
                                    : " FAIL");
  };
  EXPECT_EQ(fraction("timely acceptance"), "3/5 FAIL");  // b late, d never.
  EXPECT_EQ(fraction("resolution"), "1/5 FAIL");
  EXPECT_EQ(fraction("satisfaction"), "1/2 FAIL");
  EXPECT_EQ(fraction("repeat rate"), "1/3 FAIL");
  EXPECT_EQ(fraction("revisit rate, complaints"), "2/3 FAIL");
  EXPECT_EQ(fraction("revisit rate, repair requests"), "0/1 FAIL");
  EXPECT_EQ(fraction("revisit rate, other kinds"), "0/1 FAIL");
  EXPECT_EQ(fraction("month-end second revisit"), "1/1 pass");
  EXPECT_EQ(fraction("replies within deadline"), "1/2 FAIL");
  EXPECT_EQ(fraction("assist requests within cut-off"), "0/1 FAIL");
  EXPECT_DOUBLE_EQ(kpi["timely acceptance"].value(), 0.6);
  EXPECT_EQ(analysis.previous_month().cases(), 0);
  EXPECT_TRUE(analysis.previous_month().kpis(0).no_data());
  EXPECT_EQ(analysis.same_month_last_year().month().year(), 2025);

  // a17 owns all five, e a repeat; a17 replied to a (on time) and b
  // (late), revisited a (on time, very satisfied) and b (on time, very
  // dissatisfied); the month-end revisit does not count.
  v1::AgentScorecard card;
  ASSERT_TRUE(
      runner_
          ->Read(ScorecardView::kName,
                 [&](const View& view, uint64_t) {
                   auto r = static_cast<const ScorecardView&>(view).Scorecard(
                       "a17", november);
                   if (!r.ok()) return r.status();
                   card = *r;
                   return absl::OkStatus();
                 })
          .ok());
  EXPECT_EQ(card.cases_owned(), 5);
  EXPECT_EQ(card.repeat_cases(), 1);
  EXPECT_EQ(card.replies(), 2);
  EXPECT_EQ(card.replies_on_time(), 1);
  EXPECT_EQ(card.revisits(), 2);
  EXPECT_EQ(card.revisits_on_time(), 2);
  EXPECT_EQ(card.revisits_satisfied(), 1);
  EXPECT_DOUBLE_EQ(card.satisfaction_rate(), 0.5);

  // A restart and an as-of replay give the same analysis.
  runner_->Stop();
  runner_ = NewRunner();
  auto replayed =
      runner_->AsOf(AnalysisView::kName, store_->log_head().position_last);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(static_cast<const AnalysisView&>(**replayed)
                .Analysis(november)
                ->SerializeAsString(),
            analysis.SerializeAsString());
  ASSERT_TRUE(runner_
                  ->Read(AnalysisView::kName,
                         [&](const View& view, uint64_t) {
                           EXPECT_EQ(static_cast<const AnalysisView&>(view)
                                         .Analysis(november)
                                         ->SerializeAsString(),
                                     analysis.SerializeAsString());
                           return absl::OkStatus();
                         })
                  .ok());
}

}  // namespace
}  // namespace ledger::testing
