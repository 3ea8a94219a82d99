// The fixture of the projection tests: a real store in a temporary
// directory, a subscription hub, the complaint service's own app on a fake
// clock (Asia/Shanghai, Wednesday 2026-11-18 10:00), agents h1 (centre
// head), a17 and a18, station s1; commands as the service runs them and
// the views as the runner folds them.
#ifndef LEDGER_TESTS_PROJECTIONS_FIXTURE_H_
#define LEDGER_TESTS_PROJECTIONS_FIXTURE_H_

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "app/complaint_app.h"
#include "gtest/gtest.h"
#include "ledger/complaint/builders.h"
#include "projections/log_source.h"
#include "projections/queue_view.h"
#include "projections/runner.h"
#include "projections/views.h"
#include "tests/test_util.h"

namespace ledger::testing {

inline absl::Time Shanghai(int y, int m, int d, int hh, int mm) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), zone);
}
inline int64_t Us(int y, int m, int d, int hh, int mm) {
  return absl::ToUnixMicros(Shanghai(y, m, d, hh, mm));
}
inline v1::YearMonth Month(int year, int month) {
  v1::YearMonth m;
  m.set_year(year);
  m.set_month(month);
  return m;
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
      Do(build::Agent(id, {role}), "h1");
    }
    Do(build::Station("s1"), "h1");
  }
  ~ProjectionsTest() override {
    if (runner_) runner_->Stop();
    hub_->Close();
  }

  std::unique_ptr<ProjectionRunner> NewRunner() {
    // A cache of 4 rows per view: nearly every case is read back from the
    // store.
    ViewOptions views;
    views.cached_cases = 4;
    auto runner = std::make_unique<ProjectionRunner>(
        &store_->views(), LocalLog(store_.get(), hub_.get()), AllViews(views));
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

  // Reference data for a month's station table: stations named
  // "Station <id>", copies handled in a month, the penalty schedule in
  // force from a month (repeat 200.00, malicious 500.00 CNY), a special
  // period of days of a month.
  void RegisterStations(std::initializer_list<const char*> ids) {
    for (const char* id : ids) {
      v1::RegisterStation station;
      station.mutable_station()->set_station_id(id);
      station.mutable_station()->set_name(absl::StrCat("Station ", id));
      Do(station, "h1");
    }
  }
  void RecordVolumes(
      int year, int month,
      std::initializer_list<std::pair<const char*, int64_t>> copies) {
    for (const auto& [id, n] : copies) {
      v1::RecordStationVolume volume;
      volume.mutable_volume()->set_station_id(id);
      volume.mutable_volume()->mutable_month()->set_year(year);
      volume.mutable_volume()->mutable_month()->set_month(month);
      volume.mutable_volume()->set_copies(n);
      Do(volume, "h1");
    }
  }
  void PublishPenaltySchedule(int year, int month) {
    v1::PublishPenaltySchedule schedule;
    schedule.mutable_schedule()->mutable_effective_from()->set_year(year);
    schedule.mutable_schedule()->mutable_effective_from()->set_month(month);
    for (const auto& [severity, fen] :
         {std::pair{v1::SEVERITY_REPEAT, 20000},
          std::pair{v1::SEVERITY_MALICIOUS, 50000}}) {
      v1::PenaltyRate* rate = schedule.mutable_schedule()->add_rates();
      rate->set_severity(severity);
      rate->mutable_amount_per_complaint()->set_currency_code("CNY");
      rate->mutable_amount_per_complaint()->set_minor_units(fen);
    }
    Do(schedule, "h1");
  }
  void DeclareSpecialPeriod(int year, int month, int first_day, int last_day,
                            const std::string& reason) {
    v1::DeclareSpecialPeriod special;
    v1::Date* first = special.mutable_period()->mutable_first_day();
    first->set_year(year);
    first->set_month(month);
    first->set_day(first_day);
    *special.mutable_period()->mutable_last_day() = *first;
    special.mutable_period()->mutable_last_day()->set_day(last_day);
    special.mutable_period()->set_reason(reason);
    Do(special, "h1");
  }

  // The centre head raises a complaint's severity.
  void Raise(const std::string& id, v1::Severity severity) {
    v1::RaiseSeverity command;
    command.set_complaint_id(id);
    command.set_severity(severity);
    command.set_reason("the head's review");
    Do(command, "h1");
  }

  // "key=count" of each count of an analysis list (by kind, category...).
  template <typename List>
  static std::vector<std::string> Counts(const List& list) {
    std::vector<std::string> out;
    for (const auto& c : list) {
      out.push_back(absl::StrCat(c.key(), "=", c.count()));
    }
    return out;
  }

  // `method` of the live view `view_name` (a ViewType), which must answer.
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

  // Rows that differ between `a` and `b`, by key (at most 10 named).
  static std::string RowDifferences(
      const std::map<std::string, std::string>& a,
      const std::map<std::string, std::string>& b) {
    std::string out;
    int n = 0;
    auto note = [&](const std::string& key, const char* what) {
      if (n++ < 10) absl::StrAppend(&out, key, ": ", what, "\n");
    };
    for (const auto& [k, v] : a) {
      auto it = b.find(k);
      if (it == b.end())
        note(k, "only in the first");
      else if (it->second != v)
        note(k, "differs");
    }
    for (const auto& [k, v] : b) {
      if (!a.contains(k)) note(k, "only in the second");
    }
    if (n > 10) absl::StrAppend(&out, n - 10, " more\n");
    return out;
  }

  std::map<std::string, std::string> Rows() {
    std::map<std::string, std::string> rows;
    EXPECT_TRUE(store_->views()
                    .ScanView(QueueView::kName,
                              [&](absl::string_view k, absl::string_view v) {
                                rows.emplace(k, v);
                                return true;
                              })
                    .ok());
    return rows;
  }

  // Every view's rows, keyed "<view>/<key>", and each view's checkpoint
  // as "<view> checkpoint".
  std::map<std::string, std::string> AllViewRows() {
    std::map<std::string, std::string> rows;
    for (const auto& view : AllViews()) {
      EXPECT_TRUE(store_->views()
                      .ScanView(view->name(),
                                [&](absl::string_view k, absl::string_view v) {
                                  rows.emplace(
                                      absl::StrCat(view->name(), "/", k), v);
                                  return true;
                                })
                      .ok());
      rows[absl::StrCat(view->name(), " checkpoint")] =
          absl::StrCat(*store_->views().ViewCheckpoint(view->name()));
    }
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

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_PROJECTIONS_FIXTURE_H_
