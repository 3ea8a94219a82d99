// Projections over a real store, fed by the complaint service's own
// commands: the queues for a hand-built set of cases, incremental equals
// rebuild, a restart neither double-counts nor skips, as-of answers from
// the past without touching the live view; and a hand-built month of 40
// cases whose station table, analysis, scorecards and queues are checked
// against figures counted by hand.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
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

// The ledger's own log, counting what it hands out by Scan (catching up)
// and by Follow (event by event).
class CountingLog final : public LogSource {
 public:
  CountingLog(std::unique_ptr<LogSource> log, std::atomic<uint64_t>* scanned,
              std::atomic<uint64_t>* followed)
      : log_(std::move(log)), scanned_(*scanned), followed_(*followed) {}

  std::string name() const override { return log_->name(); }
  absl::Status Follow(
      uint64_t from, const Sink& sink, const std::function<bool()>& stop,
      const std::function<void(const absl::Status&)>& on_error) override {
    return log_->Follow(
        from,
        [&](const v1::SubscribeResponse& r) {
          if (r.has_event()) ++followed_;
          return sink(r);
        },
        stop, on_error);
  }
  absl::Status Scan(
      uint64_t from, uint64_t to,
      const std::function<bool(const v1::Event&)>& visit) const override {
    return log_->Scan(from, to, [&](const v1::Event& e) {
      ++scanned_;
      return visit(e);
    });
  }
  absl::StatusOr<uint64_t> Head() const override { return log_->Head(); }

 private:
  const std::unique_ptr<LogSource> log_;
  std::atomic<uint64_t>& scanned_;
  std::atomic<uint64_t>& followed_;
};

TEST_F(ProjectionsTest, CatchingUpInChunksWritesWhatFollowingWrites) {
  for (int i = 0; i < 30; ++i) {
    const std::string id = Receive(i % 9 == 0);
    clock_->Advance(absl::Minutes(23));
    if (i % 4 != 3) Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
    if (i % 2 == 0) Reply(id);
    if (i % 6 == 0) Revisit(id);
  }
  const uint64_t head = store_->log_head().position_last;
  auto all_rows = [&] {
    std::map<std::string, std::string> rows;
    for (const auto& view : AllViews()) {
      EXPECT_TRUE(store_
                      ->ScanView(view->name(),
                                 [&](absl::string_view k, absl::string_view v) {
                                   rows.emplace(
                                       absl::StrCat(view->name(), "/", k), v);
                                   return true;
                                 })
                      .ok());
      rows[absl::StrCat(view->name(), " checkpoint")] =
          absl::StrCat(*store_->ViewCheckpoint(view->name()));
    }
    return rows;
  };
  auto run = [&](ProjectionRunner::Options options, uint64_t* scanned,
                 uint64_t* followed) {
    std::atomic<uint64_t> s{0}, f{0};
    ProjectionRunner runner(store_.get(),
                            std::make_unique<CountingLog>(
                                LocalLog(store_.get(), hub_.get()), &s, &f),
                            AllViews(), options);
    EXPECT_TRUE(runner.Start().ok());
    EXPECT_TRUE(runner.WaitFor(head, absl::Seconds(30)));
    runner.Stop();
    *scanned = s;
    *followed = f;
  };
  uint64_t scanned = 0, followed = 0;
  run(ProjectionRunner::Options(), &scanned, &followed);  // Short: follows.
  EXPECT_EQ(scanned, 0u);
  EXPECT_EQ(followed, head);
  const std::map<std::string, std::string> following = all_rows();

  for (const auto& view : AllViews()) {
    ASSERT_TRUE(store_->DropView(view->name()).ok());
  }
  ProjectionRunner::Options chunks;
  chunks.catch_up_min_events = 10;
  chunks.catch_up_chunk_events = 7;
  run(chunks, &scanned, &followed);
  // Chunks of 7 while 10 or more are left, then event by event.
  EXPECT_GT(scanned, head - 10);
  EXPECT_EQ(scanned + followed, head);
  EXPECT_EQ(all_rows(), following);
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

// A hand-built month: December 2026, 40 cases (28 complaints) and one case
// of November, on the shipped calendar (no holidays in December). Every
// figure below is counted by hand from the table, not by the code under
// test; the comments show the counting.
class HandBuiltMonthTest : public ProjectionsTest {
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
        at(when, [this, id] {
          v1::SignOff command;
          command.set_complaint_id(*id);
          command.set_record_complete(true);
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

  void Raise(const std::string& id, v1::Severity severity) {
    v1::RaiseSeverity command;
    command.set_complaint_id(id);
    command.set_severity(severity);
    command.set_reason("the head's review");
    Do(command, "h1");
  }

  template <typename Response, typename ViewType, typename Method>
  Response Ask(const char* view_name, Method method) {
    Response out;
    absl::Status s = runner_->Read(view_name, [&](const View& view, uint64_t) {
      auto r = method(static_cast<const ViewType&>(view));
      if (!r.ok()) return r.status();
      out = *r;
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // "id:what@due" of case k (1-based, as in the table).
  std::string Item(int k, const std::string& what, int64_t due_us) const {
    return absl::StrCat(ids_[k], ":", what, "@", due_us);
  }

  std::vector<std::string> ids_;  // ids_[0]: the November case.
};

TEST_F(HandBuiltMonthTest, StationTableAnalysisScorecardsAndQueues) {
  runner_ = NewRunner();
  for (const char* id : {"s2", "s3", "s4"}) {
    v1::RegisterStation station;
    station.mutable_station()->set_station_id(id);
    station.mutable_station()->set_name(absl::StrCat("Station ", id));
    Do(station, "h1");
  }
  // s4 records no volume: in the table, unranked.
  for (const auto& [id, copies] :
       {std::pair{"s1", 40000}, std::pair{"s2", 20000},
        std::pair{"s3", 10000}}) {
    v1::RecordStationVolume volume;
    volume.mutable_volume()->set_station_id(id);
    volume.mutable_volume()->mutable_month()->set_year(2026);
    volume.mutable_volume()->mutable_month()->set_month(12);
    volume.mutable_volume()->set_copies(copies);
    Do(volume, "h1");
  }
  v1::PublishPenaltySchedule schedule;
  schedule.mutable_schedule()->mutable_effective_from()->set_year(2026);
  schedule.mutable_schedule()->mutable_effective_from()->set_month(12);
  for (const auto& [severity, fen] :
       {std::pair{v1::SEVERITY_REPEAT, 20000},
        std::pair{v1::SEVERITY_MALICIOUS, 50000}}) {
    v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
    rate->set_severity(severity);
    rate->mutable_amount_per_complaint()->set_currency_code("CNY");
    rate->mutable_amount_per_complaint()->set_minor_units(fen);
  }
  Do(schedule, "h1");
  v1::DeclareSpecialPeriod special;  // Thursday 24 and Friday 25 December.
  special.mutable_period()->mutable_first_day()->set_year(2026);
  special.mutable_period()->mutable_first_day()->set_month(12);
  special.mutable_period()->mutable_first_day()->set_day(24);
  special.mutable_period()->mutable_last_day()->set_year(2026);
  special.mutable_period()->mutable_last_day()->set_month(12);
  special.mutable_period()->mutable_last_day()->set_day(25);
  special.mutable_period()->set_reason("year-end storms");
  Do(special, "h1");

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
  Run(12, {
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
              {16, 15, "a17", "", "13700000038", v1::INFO_KIND_UNSPECIFIED,
               NONE, F::kGreen},
              {17, 15, "a18", "", "13700000039", v1::INFO_KIND_UNSPECIFIED,
               NONE, F::kGreen},
              {21, 15, "a17", "", "13700000040", v1::INFO_KIND_INQUIRY, NONE,
               F::kEscalated},
          });
  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));

  v1::YearMonth december;
  december.set_year(2026);
  december.set_month(12);

  // Station table: complaints with a station (26 of 28; 18 and 19 have
  // none). Repeat/malicious by the highest severity; penalties by the day
  // received, 24-25 December not charged.
  const auto table = Ask<v1::GetStationTableResponse, StationView>(
      StationView::kName,
      [&](const StationView& v) { return v.Table(december); });
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

  // The analysis of the 40 cases of December.
  const auto analysis = Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
      AnalysisView::kName,
      [&](const AnalysisView& v) { return v.Analysis(december); });
  const v1::MonthFigures& m = analysis.month();
  EXPECT_EQ(m.cases(), 40);
  auto counts = [](const auto& list) {
    std::vector<std::string> out;
    for (const auto& c : list)
      out.push_back(absl::StrCat(c.key(), "=", c.count()));
    return out;
  };
  EXPECT_THAT(counts(m.by_kind()),
              ElementsAre("complaint=28", "inquiry=5", "repair request=4",
                          "suggestion=1", "unclassified=2"));
  // SQ: s1 6, s2 4, s3 1, s4 1, 18; SA: 2+2+2; PQ: 2+2, 19; TP: 1+2+1.
  EXPECT_THAT(counts(m.by_category()),
              ElementsAre("product quality=5", "service attitude=6",
                          "service quality=13", "transaction process=4"));
  EXPECT_THAT(counts(m.by_channel()), ElementsAre("phone=40"));
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

  // a17 owns 1 2 4 5 7 8 10 11 13 14 16 17 18 20 21 23 24 26 27 (19
  // complaints) and 29 30 32 33 34 36 37 38 40: 28. Repeats 4 10 17 24.
  // Replied to all but 20 21 23 32 34 38 40: 21; late 7 8 37. First
  // revisits: 1 2 4 5 7 8 10 11 13 14 16 17 18 24 30 33 37 = 17, all on the
  // next working day (due the 2nd); not (very) satisfied 5 7 8 13 33.
  const auto card = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName,
      [&](const ScorecardView& v) { return v.Scorecard("a17", december); });
  EXPECT_EQ(card.cases_owned(), 28);
  EXPECT_EQ(card.repeat_cases(), 4);
  EXPECT_EQ(card.replies(), 21);
  EXPECT_EQ(card.replies_on_time(), 18);
  EXPECT_EQ(card.revisits(), 17);
  EXPECT_EQ(card.revisits_on_time(), 17);
  EXPECT_EQ(card.revisits_satisfied(), 12);
  // a18: 3 6 9 12 15 19 22 25 28 31 35 39; repeat 25.
  const auto card18 = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName,
      [&](const ScorecardView& v) { return v.Scorecard("a18", december); });
  EXPECT_EQ(card18.cases_owned(), 12);
  EXPECT_EQ(card18.repeat_cases(), 1);

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
