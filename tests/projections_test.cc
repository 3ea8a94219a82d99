// Projections over a real store, fed by the complaint service's own
// commands: the queues for a hand-built set of cases, incremental equals
// rebuild, catching up in chunks equals following, a restart neither
// double-counts nor skips, as-of answers from the past without touching the
// live view, a month's station table and analysis. (A whole hand-built
// month: projections_month_test.cc.)
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/analysis_view.h"
#include "projections/queue_view.h"
#include "projections/runner.h"
#include "projections/scorecard_view.h"
#include "projections/station_view.h"
#include "projections/views.h"
#include "tests/projections_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;

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
  // Each complaint's state, besides the queues' index and counts.
  EXPECT_EQ(std::count_if(incremental.begin(), incremental.end(),
                          [](const auto& row) {
                            return absl::StartsWith(row.first, "c/");
                          }),
            40);

  runner_ = NewRunner();
  auto rebuilt_at = runner_->Rebuild(QueueView::kName);
  ASSERT_TRUE(rebuilt_at.ok()) << rebuilt_at.status();
  EXPECT_EQ(*rebuilt_at, store_->log_head().position_last);
  EXPECT_EQ(RowDifferences(Rows(), incremental), "");
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

// What a runner did to reach the end of the log: events it read in chunks
// (scanned) and one by one (followed), and how many each view skipped (an
// event folded twice does not apply).
struct Folded {
  uint64_t scanned = 0, followed = 0;
  std::map<std::string, uint64_t> skipped;
};

// A runner over `views` on the ledger's log, from where the views' rows
// stand to the end of the log, then stopped (its rows written).
Folded FoldToTheEnd(EventStore* store, SubscriptionHub* hub,
                    std::vector<std::unique_ptr<View>> views,
                    ProjectionRunner::Options options) {
  std::atomic<uint64_t> scanned{0}, followed{0};
  ProjectionRunner runner(
      &store->views(),
      std::make_unique<CountingLog>(LocalLog(store, hub), &scanned, &followed),
      std::move(views), options);
  EXPECT_TRUE(runner.Start().ok());
  EXPECT_TRUE(
      runner.WaitFor(store->log_head().position_last, absl::Seconds(30)));
  runner.Stop();
  Folded folded{scanned, followed, {}};
  for (const v1::ProjectionInfo& p : runner.List()) {
    folded.skipped[p.name()] = p.skipped();
  }
  return folded;
}

// Chunks of 7 while 10 or more events are left, then event by event.
ProjectionRunner::Options InChunks() {
  ProjectionRunner::Options chunks;
  chunks.catch_up_min_events = 10;
  chunks.catch_up_chunk_events = 7;
  return chunks;
}

TEST_F(ProjectionsTest, CatchingUpInChunksWritesWhatFollowingWrites) {
  for (int i = 0; i < 30; ++i) {
    const std::string id = Receive(i % 9 == 0);
    clock_->Advance(absl::Minutes(23));
    if (i % 4 != 3) Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
    if (i % 2 == 0) Reply(id);
    if (i % 6 == 0) Revisit(id);
  }
  const uint64_t head = store_->log_head().position_last;
  // Short: follows.
  Folded folded = FoldToTheEnd(store_.get(), hub_.get(), AllViews(),
                               ProjectionRunner::Options());
  EXPECT_EQ(folded.scanned, 0u);
  EXPECT_EQ(folded.followed, head);
  const std::map<std::string, std::string> following = AllViewRows();

  for (const auto& view : AllViews()) {
    ASSERT_TRUE(store_->views().DropView(view->name()).ok());
  }
  folded = FoldToTheEnd(store_.get(), hub_.get(), AllViews(), InChunks());
  // Chunks of 7 while 10 or more are left, then event by event.
  EXPECT_GT(folded.scanned, head - 10);
  EXPECT_EQ(folded.scanned + folded.followed, head);
  EXPECT_EQ(RowDifferences(AllViewRows(), following), "");
}

// A catch-up writes each view with its own checkpoint in a batch of its
// own (two at a time), so a crash between two writes leaves the views at
// different positions; so does a view rebuilt or added. Those behind
// first catch up with the furthest, in chunks, each from its own
// checkpoint: the rows end as if every view had been folded once.
TEST_F(ProjectionsTest, ViewsLeftAtDifferentPositionsEachResumeAfterTheirOwn) {
  std::vector<std::string> ids;
  for (int i = 0; i < 24; ++i) {
    ids.push_back(Receive(i % 5 == 0));
    clock_->Advance(absl::Minutes(31));
    if (i % 3 == 1) continue;
    Track(ids.back(), v1::HANDLING_TRACK_ON_THE_SPOT);
    if (i % 2 == 0) Reply(ids.back());
  }
  const uint64_t first = store_->log_head().position_last;
  auto run = [&](std::vector<std::unique_ptr<View>> views,
                 ProjectionRunner::Options options) {
    return FoldToTheEnd(store_.get(), hub_.get(), std::move(views), options);
  };
  const ProjectionRunner::Options one_by_one;  // Short stretches.
  const ProjectionRunner::Options chunks = InChunks();
  const std::map<std::string, uint64_t> none = {{QueueView::kName, 0},
                                                {StationView::kName, 0},
                                                {AnalysisView::kName, 0},
                                                {ScorecardView::kName, 0}};
  ASSERT_EQ(run(AllViews(), one_by_one).skipped, none);  // All at `first`.
  for (int i = 0; i < 24; i += 2) {
    if (i % 3 != 1) Revisit(ids[i]);  // The cases replied to.
  }
  const uint64_t head = store_->log_head().position_last;
  ASSERT_GT(head, first);
  // As if the queue view's write of the next catch-up reached the disk and
  // the others' did not.
  std::vector<std::unique_ptr<View>> queue_only;
  queue_only.push_back(std::make_unique<QueueView>(ViewOptions()));
  run(std::move(queue_only), one_by_one);
  ASSERT_EQ(*store_->views().ViewCheckpoint(QueueView::kName), head);
  ASSERT_EQ(*store_->views().ViewCheckpoint(StationView::kName), first);
  Folded resume = run(AllViews(), one_by_one);
  EXPECT_EQ(resume.skipped, none);
  EXPECT_EQ(resume.scanned, head - first);  // However short the stretch.
  EXPECT_EQ(resume.followed, 0u);
  const std::map<std::string, std::string> resumed = AllViewRows();
  EXPECT_EQ(resumed.at("queues checkpoint"), absl::StrCat(head));
  EXPECT_EQ(resumed.at("analysis checkpoint"), absl::StrCat(head));

  // Three views from nothing beside the queue view at the end: the three
  // catch up in chunks of 7, the queue view reads nothing again.
  for (const auto& view : AllViews()) {
    if (view->name() == QueueView::kName) continue;
    ASSERT_TRUE(store_->views().DropView(view->name()).ok());
  }
  resume = run(AllViews(), chunks);
  EXPECT_EQ(resume.skipped, none);
  EXPECT_EQ(resume.scanned, head);
  EXPECT_EQ(resume.followed, 0u);
  EXPECT_EQ(RowDifferences(AllViewRows(), resumed), "");

  for (const auto& view : AllViews()) {
    ASSERT_TRUE(store_->views().DropView(view->name()).ok());
  }
  EXPECT_EQ(run(AllViews(), one_by_one).skipped, none);  // Once, from 1.
  EXPECT_EQ(RowDifferences(resumed, AllViewRows()), "");
}

// Pages follow each other by key ("k..." tokens, one seek each) or, as
// tokens before views v2 did, by offset: the same entries either way, and
// a token that is neither is refused.
TEST_F(ProjectionsTest, KeyTokensAndOffsetsPageAlike) {
  runner_ = NewRunner();
  for (int i = 0; i < 23; ++i) {
    const std::string id = Receive();
    clock_->Advance(absl::Minutes(7 + i % 5));
    if (i % 4 != 0) Track(id, v1::HANDLING_TRACK_ON_THE_SPOT);
  }
  v1::GetQueueRequest request = Kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
  request.set_owner_agent_id("a17");
  request.set_page_size(1000);
  const std::vector<std::string> whole = Queue(request, 0);
  ASSERT_EQ(whole.size(), 23u);
  runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
  auto page = [&](v1::GetQueueRequest r) {
    absl::StatusOr<v1::GetQueueResponse> answer;
    EXPECT_TRUE(runner_
                    ->Read(QueueView::kName,
                           [&](const View& view, uint64_t) {
                             answer = static_cast<const QueueView&>(view).Query(
                                 r, 0);
                             return absl::OkStatus();
                           })
                    .ok());
    return answer;
  };
  std::vector<std::string> by_key, by_offset;
  request.set_page_size(4);
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<v1::GetQueueResponse> a = page(request);
    ASSERT_TRUE(a.ok()) << a.status();
    for (const auto& item : a->items()) by_key.push_back(item.complaint_id());
    EXPECT_EQ(a->total(), 23u);
    if (a->next_page_token().empty()) break;
    EXPECT_EQ(a->next_page_token()[0], 'k');
    request.set_page_token(a->next_page_token());
  }
  for (uint64_t offset = 0; offset < 23; offset += 4) {
    request.set_page_token(absl::StrCat(offset));
    absl::StatusOr<v1::GetQueueResponse> a = page(request);
    ASSERT_TRUE(a.ok()) << a.status();
    for (const auto& item : a->items())
      by_offset.push_back(item.complaint_id());
  }
  std::vector<std::string> ids;
  for (const std::string& entry : whole) ids.push_back(entry.substr(0, 11));
  EXPECT_EQ(by_key, ids);
  EXPECT_EQ(by_offset, ids);
  for (const char* bad : {"kzz", "k0", "x12", "k"}) {
    request.set_page_token(bad);
    EXPECT_EQ(page(request).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }

  // A filter a queue is not kept by is refused, not ignored.
  for (v1::QueueKind kind :
       {v1::QUEUE_KIND_OVERDUE, v1::QUEUE_KIND_REVISITS_DUE,
        v1::QUEUE_KIND_ASSISTS_PENDING, v1::QUEUE_KIND_IMPORTANT}) {
    v1::GetQueueRequest by_owner = Kind(kind);
    by_owner.set_owner_agent_id("a17");
    absl::StatusOr<v1::GetQueueResponse> refused = page(by_owner);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument)
        << v1::QueueKind_Name(kind);
    EXPECT_THAT(std::string(refused.status().message()),
                ::testing::HasSubstr("open-by-owner queue only"));
  }
  v1::GetQueueRequest by_station = Kind(v1::QUEUE_KIND_OVERDUE);
  by_station.set_station_id("s1");
  EXPECT_EQ(page(by_station).status().code(),
            absl::StatusCode::kInvalidArgument);
  by_station = Kind(v1::QUEUE_KIND_ASSISTS_PENDING);
  by_station.set_station_id("s1");
  EXPECT_TRUE(page(by_station).ok());
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
  RegisterStations({"s2", "s3"});
  RecordVolumes(2026, 11, {{"s1", 20000}, {"s2", 10000}});
  PublishPenaltySchedule(2026, 11);
  DeclareSpecialPeriod(2026, 11, 20, 22, "typhoon");

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
  Raise(bad, v1::SEVERITY_REPEAT);
  Raise(bad, v1::SEVERITY_MALICIOUS);
  complaint("s3", "13500000006", INFO_KIND_COMPLAINT,
            COMPLAINT_CATEGORY_SERVICE_QUALITY);
  // Saturday 21 November, in the special period: a repeat shown, not charged.
  clock_->Set(Shanghai(2026, 11, 21, 10, 0));
  const std::string special_case =
      complaint("s2", "13500000007", INFO_KIND_COMPLAINT,
                COMPLAINT_CATEGORY_TRANSACTION_PROCESS);
  Raise(special_case, v1::SEVERITY_REPEAT);

  ASSERT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  const auto table = Ask<v1::GetStationTableResponse, StationView>(
      StationView::kName,
      [&](const StationView& v) { return v.Table(november); });
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
  const auto analysis = Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
      AnalysisView::kName, [&](const AnalysisView& v) {
        return v.Analysis(november, kAfterEveryMonth);
      });
  const v1::MonthFigures& m = analysis.month();
  EXPECT_EQ(m.cases(), 5);
  EXPECT_THAT(Counts(m.by_kind()),
              ElementsAre("complaint=3", "inquiry=1", "repair request=1"));
  EXPECT_THAT(Counts(m.by_category()),
              ElementsAre("service attitude=1", "service quality=2"));
  EXPECT_THAT(Counts(m.by_channel()), ElementsAre("phone=5"));
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
  const auto card = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName, [&](const ScorecardView& v) {
        return v.Scorecard("a17", november, kAfterEveryMonth);
      });
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
                .Analysis(november, kAfterEveryMonth)
                ->SerializeAsString(),
            analysis.SerializeAsString());
  ASSERT_TRUE(runner_
                  ->Read(AnalysisView::kName,
                         [&](const View& view, uint64_t) {
                           EXPECT_EQ(static_cast<const AnalysisView&>(view)
                                         .Analysis(november, kAfterEveryMonth)
                                         ->SerializeAsString(),
                                     analysis.SerializeAsString());
                           return absl::OkStatus();
                         })
                  .ok());
}

TEST_F(ProjectionsTest, AMonthsStationTableFollowsItsComplaintsAndReference) {
  // The view keeps a month's table while its complaints and the reference
  // data are unchanged: each change of either must show at the next
  // question.
  runner_ = NewRunner();
  RegisterStations({"s2"});
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  auto s1 = [&] {
    EXPECT_TRUE(
        runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
    const auto table = Ask<v1::GetStationTableResponse, StationView>(
        StationView::kName,
        [&](const StationView& v) { return v.Table(november); });
    for (const auto& row : table.stations()) {
      if (row.station_id() == "s1") {
        return absl::StrCat(row.complaints(), " complaints, ", row.repeat(),
                            " repeat, ", row.copies(), " copies");
      }
    }
    return std::string("no s1");
  };
  v1::ReceiveComplaint c;
  c.set_channel(v1::CHANNEL_PHONE);
  c.mutable_customer()->set_phone("13500000001");
  c.set_content("x");
  c.set_station_id("s1");
  c.mutable_classification()->set_kind(v1::INFO_KIND_COMPLAINT);
  c.mutable_classification()->set_category(
      v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  c.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  const std::string first = Do(c, "a17").complaint_id();
  EXPECT_EQ(s1(), "1 complaints, 0 repeat, 0 copies");
  Raise(first, v1::SEVERITY_REPEAT);
  EXPECT_EQ(s1(), "1 complaints, 1 repeat, 0 copies");
  RecordVolumes(2026, 11, {{"s1", 20000}});
  EXPECT_EQ(s1(), "1 complaints, 1 repeat, 20000 copies");
  c.mutable_customer()->set_phone("13500000002");
  Do(c, "a17");
  EXPECT_EQ(s1(), "2 complaints, 1 repeat, 20000 copies");
}

TEST_F(ProjectionsTest, AMonthsAnalysisFollowsEveryChangeOfItsCases) {
  // The view keeps a month's figures while its cases are unchanged: each
  // change of one of them must show at the next question.
  runner_ = NewRunner();
  v1::YearMonth november;
  november.set_year(2026);
  november.set_month(11);
  auto ask = [&] {
    EXPECT_TRUE(
        runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
    return Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
               AnalysisView::kName,
               [&](const AnalysisView& v) {
                 return v.Analysis(november, kAfterEveryMonth);
               })
        .month();
  };
  auto satisfaction = [](const v1::MonthFigures& f) {
    for (const auto& k : f.kpis()) {
      if (k.name() == "satisfaction") {
        return absl::StrCat(k.numerator(), "/", k.denominator());
      }
    }
    return std::string("none");
  };
  v1::ReceiveComplaint receive;
  receive.set_channel(v1::CHANNEL_PHONE);
  receive.mutable_customer()->set_phone("13600000001");
  receive.set_content("x");
  receive.mutable_classification()->set_kind(v1::INFO_KIND_COMPLAINT);
  receive.mutable_classification()->set_category(
      v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  receive.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  const std::string a = Do(receive, "a17").complaint_id();
  EXPECT_EQ(ask().cases(), 1);
  EXPECT_EQ(satisfaction(ask()), "0/0");
  Track(a, v1::HANDLING_TRACK_INTERNAL_STUDY);
  Reply(a);
  v1::RecordRevisit revisit;
  revisit.set_complaint_id(a);
  revisit.set_kind(v1::REVISIT_KIND_FIRST);
  revisit.set_satisfaction(v1::SATISFACTION_VERY_SATISFIED);
  revisit.set_resolved(true);
  Do(revisit, "a17");
  EXPECT_EQ(satisfaction(ask()), "1/1");
  receive.mutable_customer()->set_phone("13600000002");
  Do(receive, "a17");
  const v1::MonthFigures now = ask();
  EXPECT_EQ(now.cases(), 2);
  EXPECT_EQ(satisfaction(now), "1/1");
  // The scorecard view keeps a month's cases per owner likewise.
  auto owned = [&] {
    const auto card = Ask<v1::AgentScorecard, ScorecardView>(
        ScorecardView::kName, [&](const ScorecardView& v) {
          return v.Scorecard("a17", november, kAfterEveryMonth);
        });
    return absl::StrCat(card.cases_owned(), " owned, ", card.repeat_cases(),
                        " repeat");
  };
  EXPECT_EQ(owned(), "2 owned, 0 repeat");
  Raise(a, v1::SEVERITY_REPEAT);
  EXPECT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  EXPECT_EQ(owned(), "2 owned, 1 repeat");
  receive.mutable_customer()->set_phone("13600000003");
  Do(receive, "a17");
  EXPECT_TRUE(
      runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30)));
  EXPECT_EQ(owned(), "3 owned, 1 repeat");
}

}  // namespace
}  // namespace ledger::testing
