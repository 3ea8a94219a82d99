// The regulations beyond the lifecycle (docs/rules.md §6, §12, §13), each a
// named test over a real store, the complaint service's own commands and the
// views as the runner folds them: the service norms (a call answered within
// 10 s, a chat within 3 minutes), the head's override to sign off a case the
// customer was left dissatisfied with, each agent's KPIs, and the month-end
// second revisit sample over the customer types.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/analysis_view.h"
#include "projections/scorecard_view.h"
#include "tests/projections_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RegulationsTest : public ProjectionsTest {
 protected:
  RegulationsTest() { Do(build::Agent("a19", {v1::ROLE_AGENT}), "h1"); }

  // An intake by `agent` on `channel`, with the customer's wait when given.
  v1::ReceiveComplaint IntakeOn(v1::Channel channel,
                                std::optional<uint32_t> wait) {
    v1::ReceiveComplaint c =
        build::ComplaintIntake("", absl::StrCat("1370000", 1000 + ++phones_));
    c.set_channel(channel);
    if (channel == v1::CHANNEL_CHAT) c.mutable_customer()->set_email("c@x.cn");
    if (wait.has_value()) c.set_wait_seconds(*wait);
    return c;
  }
  std::string Take(const std::string& agent, v1::Channel channel,
                   std::optional<uint32_t> wait) {
    return Do(IntakeOn(channel, wait), agent).complaint_id();
  }

  // "name=numerator/denominator" of each KPI named in `names`, "n/a" when
  // there is no data.
  static std::vector<std::string> Figures(
      const google::protobuf::RepeatedPtrField<v1::Kpi>& kpis,
      const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const std::string& name : names) {
      for (const v1::Kpi& k : kpis) {
        if (k.name() != name) continue;
        out.push_back(k.no_data() ? absl::StrCat(name, "=n/a")
                                  : absl::StrCat(name, "=", k.numerator(), "/",
                                                 k.denominator(),
                                                 k.pass() ? " pass" : " fail"));
      }
    }
    return out;
  }

  v1::MonthFigures November() {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    return Ask<v1::GetMonthlyAnalysisResponse, AnalysisView>(
               AnalysisView::kName,
               [&](const AnalysisView& v) {
                 return v.Analysis(november_, kAfterEveryMonth);
               })
        .month();
  }
  v1::AgentScorecard Card(const std::string& agent) {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    return Ask<v1::AgentScorecard, ScorecardView>(
        ScorecardView::kName, [&](const ScorecardView& v) {
          return v.Scorecard(agent, november_, kAfterEveryMonth);
        });
  }

  // Received by a17, answered, revisited with `satisfaction`, resolved.
  std::string Revisited(v1::Satisfaction satisfaction) {
    const std::string id = Take("a17", v1::CHANNEL_PHONE, std::nullopt);
    Do(build::Track(id, v1::HANDLING_TRACK_ON_THE_SPOT), "a17");
    Do(build::ReplyTo(id), "a17");
    Do(build::Revisit(id, /*resolved=*/true, satisfaction), "a17");
    return id;
  }
  absl::Status SignOff(const std::string& id, const std::string& reason) {
    v1::SignOff c = build::SignOffOf(id);
    c.set_override_reason(reason);
    return app_->Execute(c, "h1").status();
  }
  v1::ComplaintView View(const std::string& id) {
    absl::StatusOr<v1::ComplaintView> view = app_->Get(id);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : v1::ComplaintView();
  }
  v1::ComplaintState State(const std::string& id) { return View(id).state(); }

  const std::vector<std::string> kNorms = {"phone answered within 10 s",
                                           "chat answered within 3 min"};
  v1::YearMonth november_ = Month(2026, 11);
  int phones_ = 0;
};

TEST_F(RegulationsTest, ServiceNormsTenSecondsThreeMinutesOnHandBuiltMonth) {
  runner_ = NewRunner();
  // a17: calls answered after 10 s (in), 11 s (out), 0 s (in), one call
  // whose wait was not reported. a18: a call after 10 s; chats after 180 s
  // (in), 181 s (out), 0 s (in).
  Take("a17", v1::CHANNEL_PHONE, 10);
  Take("a17", v1::CHANNEL_PHONE, 11);
  Take("a17", v1::CHANNEL_PHONE, 0);
  Take("a17", v1::CHANNEL_PHONE, std::nullopt);
  Take("a18", v1::CHANNEL_PHONE, 10);
  Take("a18", v1::CHANNEL_CHAT, 180);
  Take("a18", v1::CHANNEL_CHAT, 181);
  Take("a18", v1::CHANNEL_CHAT, 0);
  // The centre: calls 3 of 4 with a wait; chats 2 of 3. Against the
  // ledger's target of every one, both fail.
  EXPECT_THAT(Figures(November().kpis(), kNorms),
              ElementsAre("phone answered within 10 s=3/4 fail",
                          "chat answered within 3 min=2/3 fail"));
  // Each agent's: the calls and chats they took in.
  EXPECT_THAT(Figures(Card("a17").kpis(), kNorms),
              ElementsAre("phone answered within 10 s=2/3 fail",
                          "chat answered within 3 min=n/a"));
  EXPECT_THAT(Figures(Card("a18").kpis(), kNorms),
              ElementsAre("phone answered within 10 s=1/1 pass",
                          "chat answered within 3 min=2/3 fail"));
  // The wait is on the intake event, as reported.
  const v1::ComplaintView chat = View(Take("a19", v1::CHANNEL_CHAT, 42));
  v1::ComplaintReceived received;
  ASSERT_TRUE(received.ParseFromString(chat.timeline(0).payload()));
  EXPECT_EQ(received.wait_seconds(), 42u);
  EXPECT_THAT(Figures(Card("a19").kpis(), kNorms),
              ElementsAre("phone answered within 10 s=n/a",
                          "chat answered within 3 min=1/1 pass"));
}

TEST_F(RegulationsTest, ServiceNormsNoWaitIsNa) {
  runner_ = NewRunner();
  Take("a17", v1::CHANNEL_PHONE, std::nullopt);
  Take("a17", v1::CHANNEL_CHAT, std::nullopt);
  Take("a17", v1::CHANNEL_EMAIL, std::nullopt);
  const v1::MonthFigures month = November();
  EXPECT_THAT(Figures(month.kpis(), kNorms),
              ElementsAre("phone answered within 10 s=n/a",
                          "chat answered within 3 min=n/a"));
  for (const v1::Kpi& k : month.kpis()) {
    if (k.no_data()) {
      EXPECT_FALSE(k.pass()) << k.name();
    }
  }
  EXPECT_THAT(Figures(Card("a17").kpis(), kNorms),
              ElementsAre("phone answered within 10 s=n/a",
                          "chat answered within 3 min=n/a"));
}

TEST_F(RegulationsTest, WaitOnEmailRefused) {
  const uint64_t head = store_->log_head().position_last;
  for (v1::Channel channel :
       {v1::CHANNEL_EMAIL, v1::CHANNEL_ONLINE_PLATFORM, v1::CHANNEL_VISIT}) {
    auto result = app_->Execute(IntakeOn(channel, 5), "a17");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(),
                HasSubstr("wait_seconds applies to phone and chat intake "
                          "only"));
  }
  auto day_and_more = app_->Execute(IntakeOn(v1::CHANNEL_PHONE, 86401), "a17");
  EXPECT_EQ(day_and_more.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(day_and_more.status().message(),
              HasSubstr("wait_seconds 86401 is more than a day"));
  // Nothing was appended.
  EXPECT_EQ(store_->log_head().position_last, head);
  // A whole day is accepted.
  EXPECT_TRUE(app_->Execute(IntakeOn(v1::CHANNEL_PHONE, 86400), "a17").ok());
}

TEST_F(RegulationsTest, DissatisfiedButResolvedRevisitBlocksSignOff) {
  runner_ = NewRunner();
  const std::string id = Revisited(v1::SATISFACTION_DISSATISFIED);
  EXPECT_TRUE(State(id).dissatisfied_but_resolved());
  const absl::Status refused = SignOff(id, "");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(),
              HasSubstr("found it resolved but the customer dissatisfied"));
  EXPECT_EQ(State(id).stage(), v1::STAGE_REVISITED);
  // The head's sign-off queue says why it waits.
  EXPECT_THAT(Queue(Kind(v1::QUEUE_KIND_SIGN_OFFS_WAITING), kAfterEveryMonth),
              ElementsAre(absl::StrCat(
                  id, ":sign-off (customer dissatisfied: override)@0")));
  // Very dissatisfied alike.
  const std::string very = Revisited(v1::SATISFACTION_VERY_DISSATISFIED);
  EXPECT_EQ(SignOff(very, "").code(), absl::StatusCode::kFailedPrecondition);
  // Basically satisfied is not dissatisfied: signed off without a word, and
  // an override where none is needed is refused.
  const std::string basically = Revisited(v1::SATISFACTION_BASICALLY_SATISFIED);
  EXPECT_FALSE(State(basically).dissatisfied_but_resolved());
  const absl::Status needless = SignOff(basically, "because");
  EXPECT_EQ(needless.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(needless.message(), HasSubstr("override_reason applies only"));
  EXPECT_TRUE(SignOff(basically, "").ok());
}

TEST_F(RegulationsTest, HeadOverrideWithReasonSignsOff) {
  const std::string id = Revisited(v1::SATISFACTION_DISSATISFIED);
  const std::string reason =
      "delivered as promised; the customer asks for compensation the rules "
      "do not provide";
  v1::SignOff c = build::SignOffOf(id);
  c.set_override_reason(reason);
  auto result = app_->Execute(c, "h1");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->state().stage(), v1::STAGE_CLOSED);
  // The reason is on the SignedOff event, for the audit.
  const v1::ComplaintView view = View(id);
  v1::SignedOff signed_off;
  ASSERT_TRUE(signed_off.ParseFromString(
      view.timeline(view.timeline_size() - 1).payload()));
  EXPECT_EQ(signed_off.override_reason(), reason);
  EXPECT_EQ(signed_off.signed_by_agent_id(), "h1");
}

TEST_F(RegulationsTest, ReopenClearsDissatisfiedFlag) {
  const std::string id = Revisited(v1::SATISFACTION_VERY_DISSATISFIED);
  v1::Reopen reopen;
  reopen.set_complaint_id(id);
  reopen.set_reason("the customer is not satisfied: handle it again");
  Do(reopen, "a17");
  EXPECT_FALSE(State(id).dissatisfied_but_resolved());
  // Handled again: a track, a reply.
  Do(build::Track(id, v1::HANDLING_TRACK_INTERNAL_STUDY), "a17");
  Do(build::ReplyTo(id), "a17");
  // A later revisit decides: satisfied now, so a plain sign-off.
  Do(build::Revisit(id, /*resolved=*/true, v1::SATISFACTION_SATISFIED), "a17");
  EXPECT_FALSE(State(id).dissatisfied_but_resolved());
  EXPECT_TRUE(SignOff(id, "").ok());
}

TEST_F(RegulationsTest, AgentKpisAreTheCentresFormulasOverTheirCases) {
  runner_ = NewRunner();
  // a17 owns two complaints: one accepted, answered, revisited satisfied
  // and signed off; one left untouched. a18 owns one, raised to repeat.
  const std::string done = Revisited(v1::SATISFACTION_SATISFIED);
  ASSERT_TRUE(SignOff(done, "").ok());
  Take("a17", v1::CHANNEL_PHONE, std::nullopt);
  const std::string repeat = Take("a18", v1::CHANNEL_PHONE, std::nullopt);
  Raise(repeat, v1::SEVERITY_REPEAT);
  const std::vector<std::string> four = {"timely acceptance", "resolution",
                                         "satisfaction", "repeat rate"};
  const v1::AgentScorecard a17 = Card("a17");
  EXPECT_EQ(a17.cases_owned(), 2);
  EXPECT_THAT(Figures(a17.kpis(), four),
              ElementsAre("timely acceptance=1/2 fail", "resolution=1/2 fail",
                          "satisfaction=1/1 pass", "repeat rate=0/2 pass"));
  EXPECT_THAT(Figures(Card("a18").kpis(), four),
              ElementsAre("timely acceptance=0/1 fail", "resolution=0/1 fail",
                          "satisfaction=n/a", "repeat rate=1/1 fail"));
  // The centre's figures are the same formulas over all three.
  EXPECT_THAT(Figures(November().kpis(), four),
              ElementsAre("timely acceptance=1/3 fail", "resolution=1/3 fail",
                          "satisfaction=1/1 pass", "repeat rate=1/3 fail"));
  // Before the month ends, an agent's KPIs are pending.
  runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
  const v1::AgentScorecard running = Ask<v1::AgentScorecard, ScorecardView>(
      ScorecardView::kName, [&](const ScorecardView& v) {
        return v.Scorecard("a17", november_, Us(2026, 11, 20, 12, 0));
      });
  ASSERT_EQ(running.kpis_size(), 6);
  for (const v1::Kpi& k : running.kpis()) {
    EXPECT_TRUE(k.pending()) << k.name();
    EXPECT_FALSE(k.pass()) << k.name();
  }
}

TEST_F(RegulationsTest, SpotCheckRecordedAgainstCase) {
  Do(build::Agent("g1", {v1::ROLE_GENERAL_MANAGER}), "h1");
  const std::string id = Revisited(v1::SATISFACTION_SATISFIED);
  ASSERT_TRUE(SignOff(id, "").ok());
  v1::RecordSpotCheck check;
  check.set_complaint_id(id);
  check.set_record_accurate(false);
  check.set_finding("the revisit note does not say what was promised");
  // An agent is not the supervision; a check says what it found.
  auto agent = app_->Execute(check, "a17");
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(agent.status().message(),
              HasSubstr("only a centre head or the general manager may record "
                        "a spot check"));
  v1::RecordSpotCheck silent = check;
  silent.clear_finding();
  EXPECT_EQ(app_->Execute(silent, "h1").status().code(),
            absl::StatusCode::kInvalidArgument);
  // The head and the general manager check it, closed as it is; the case
  // stays closed, each check on its timeline.
  Do(check, "h1");
  check.set_record_accurate(true);
  check.set_finding("corrected by the owner: the promise is noted");
  Do(check, "g1");
  const v1::ComplaintView view = View(id);
  EXPECT_EQ(view.state().stage(), v1::STAGE_CLOSED);
  std::vector<std::string> checks;
  for (const v1::Event& e : view.timeline()) {
    v1::SpotChecked c;
    if (e.event_type() != "ledger.v1.SpotChecked") continue;
    ASSERT_TRUE(c.ParseFromString(e.payload()));
    checks.push_back(absl::StrCat(c.checked_by_agent_id(), ":",
                                  c.record_accurate() ? "accurate" : "not", ":",
                                  c.finding()));
  }
  EXPECT_THAT(checks,
              ElementsAre("h1:not:the revisit note does not say what was "
                          "promised",
                          "g1:accurate:corrected by the owner: the promise is "
                          "noted"));
}

// The month-end sample: three customer types, a17 handled 30 complaints
// (12 frequent, 10 subscribers, 8 occasional), two more still open.
class SampleTest : public RegulationsTest {
 protected:
  SampleTest() {
    v1::PublishCustomerTypes types;
    for (const char* code : {"frequent", "subscriber", "occasional"}) {
      v1::CustomerType* t = types.add_types();
      t->set_code(code);
      t->set_name(absl::StrCat("customers: ", code));
    }
    Do(types, "h1");
  }

  // A complaint of a customer of `type` taken in by a17, handled through
  // to sign-off with the revisit's `satisfaction`.
  std::string Handled(const std::string& type, v1::Satisfaction satisfaction) {
    v1::ReceiveComplaint intake = IntakeOn(v1::CHANNEL_PHONE, std::nullopt);
    intake.set_customer_type(type);
    const std::string id = Do(intake, "a17").complaint_id();
    Do(build::Track(id, v1::HANDLING_TRACK_ON_THE_SPOT), "a17");
    Do(build::ReplyTo(id), "a17");
    Do(build::Revisit(id, true, satisfaction), "a17");
    EXPECT_TRUE(SignOff(id, "").ok());
    return id;
  }
  void HandleTheMonth() {
    const v1::Satisfaction cycle[] = {v1::SATISFACTION_VERY_SATISFIED,
                                      v1::SATISFACTION_SATISFIED,
                                      v1::SATISFACTION_BASICALLY_SATISFIED};
    int n = 0;
    for (const auto& [type, count] :
         {std::pair{"frequent", 12}, std::pair{"subscriber", 10},
          std::pair{"occasional", 8}}) {
      for (int i = 0; i < count; ++i) {
        const v1::Satisfaction satisfaction = cycle[n++ % 3];
        ids_[type].push_back(Handled(type, satisfaction));
        if (satisfaction == v1::SATISFACTION_BASICALLY_SATISFIED) {
          least_satisfied_[type].push_back(ids_[type].back());
        }
      }
    }
    // Not handled: open.
    for (int i = 0; i < 2; ++i) Take("a17", v1::CHANNEL_PHONE, std::nullopt);
  }

  v1::AgentSample Sample(const std::string& agent) {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    const auto r = Ask<v1::GetSecondRevisitSampleResponse, ScorecardView>(
        ScorecardView::kName, [&](const ScorecardView& v) {
          return v.SecondRevisitSample(agent, november_);
        });
    EXPECT_EQ(r.agents_size(), 1);
    return r.agents_size() == 1 ? r.agents(0) : v1::AgentSample();
  }
  // "type handled/quota/done" of each stratum.
  static std::vector<std::string> Strata(const v1::AgentSample& s) {
    std::vector<std::string> out;
    for (const v1::SampleStratum& t : s.strata()) {
      out.push_back(absl::StrCat(t.customer_type(), " ", t.handled(), "/",
                                 t.quota(), "/", t.done()));
    }
    return out;
  }
  // How many of `proposed` are of `type`.
  int Proposed(const v1::AgentSample& s, const std::string& type) {
    int n = 0;
    for (const std::string& id : s.proposed_complaint_ids()) {
      n += std::count(ids_[type].begin(), ids_[type].end(), id);
    }
    return n;
  }
  void SecondRevisit(const std::string& id) {
    v1::RecordRevisit c = build::Revisit(id, true, v1::SATISFACTION_SATISFIED);
    c.set_kind(v1::REVISIT_KIND_MONTH_END_SECOND);
    Do(c, "a17");
  }

  std::map<std::string, std::vector<std::string>> ids_, least_satisfied_;
};

TEST_F(SampleTest, MonthEndSampleCoversHalfSpreadOverCustomerTypes) {
  runner_ = NewRunner();
  HandleTheMonth();
  const v1::AgentSample sample = Sample("a17");
  // 30 handled -> at least 15 to call back, in proportion to the types.
  EXPECT_EQ(sample.handled(), 30);
  EXPECT_EQ(sample.quota(), 15);
  EXPECT_EQ(sample.done(), 0);
  EXPECT_EQ(sample.remaining(), 15);
  EXPECT_THAT(Strata(sample), ElementsAre("frequent 12/6/0", "occasional 8/4/0",
                                          "subscriber 10/5/0"));
  ASSERT_EQ(sample.proposed_complaint_ids_size(), 15);
  EXPECT_EQ(Proposed(sample, "frequent"), 6);
  EXPECT_EQ(Proposed(sample, "subscriber"), 5);
  EXPECT_EQ(Proposed(sample, "occasional"), 4);
  // Within a type, the least satisfied first: the four "basically
  // satisfied" frequent customers open the list, in id order.
  EXPECT_THAT(
      std::vector<std::string>(sample.proposed_complaint_ids().begin(),
                               sample.proposed_complaint_ids().begin() + 4),
      ::testing::ElementsAreArray(least_satisfied_["frequent"]));
  // Another agent handled nothing: an empty sample, not an error.
  const v1::AgentSample none = Sample("a18");
  EXPECT_EQ(none.handled(), 0);
  EXPECT_EQ(none.quota(), 0);
  EXPECT_EQ(none.proposed_complaint_ids_size(), 0);
}

TEST(SampleApportionTest, ProportionalThenOnePerTypeNeverMoreThanHeld) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(ScorecardView::Apportion({12, 10, 8}, 15), (V{6, 5, 4}));
  // In proportion to the whole sizes: two equal types get equal shares.
  EXPECT_EQ(ScorecardView::Apportion({10, 2, 2}, 7), (V{5, 1, 1}));
  // Largest remainders: 7 of {3, 3, 1} is 3, 3, 1.
  EXPECT_EQ(ScorecardView::Apportion({3, 3, 1}, 7), (V{3, 3, 1}));
  // A small type gets one while the quota allows, from the largest share.
  EXPECT_EQ(ScorecardView::Apportion({20, 1}, 3), (V{2, 1}));
  EXPECT_EQ(ScorecardView::Apportion({5, 1, 1, 1}, 3), (V{1, 1, 1, 0}));
  EXPECT_EQ(ScorecardView::Apportion({4, 0, 2}, 2), (V{1, 0, 1}));
  EXPECT_EQ(ScorecardView::Apportion({}, 3), V{});
  EXPECT_EQ(ScorecardView::Apportion({2, 2}, 0), (V{0, 0}));
  EXPECT_EQ(ScorecardView::Apportion({2, 2}, 9), (V{2, 2}));
}

TEST_F(SampleTest, SampleQueueShowsProgressAgainstQuota) {
  runner_ = NewRunner();
  HandleTheMonth();
  const v1::AgentSample before = Sample("a17");
  // Three of the proposed frequent customers called back, and one
  // occasional customer the proposal did not name: it counts too.
  for (int i = 0; i < 3; ++i) SecondRevisit(before.proposed_complaint_ids(i));
  std::string unproposed;
  for (const std::string& id : ids_["occasional"]) {
    if (std::count(before.proposed_complaint_ids().begin(),
                   before.proposed_complaint_ids().end(), id) == 0) {
      unproposed = id;
      break;
    }
  }
  ASSERT_FALSE(unproposed.empty());
  SecondRevisit(unproposed);
  const v1::AgentSample after = Sample("a17");
  EXPECT_EQ(after.done(), 4);
  EXPECT_EQ(after.remaining(), 11);
  EXPECT_THAT(Strata(after), ElementsAre("frequent 12/6/3", "occasional 8/4/1",
                                         "subscriber 10/5/0"));
  // What is left to propose: each type's quota less what it has done.
  EXPECT_EQ(after.proposed_complaint_ids_size(), 11);
  EXPECT_EQ(Proposed(after, "frequent"), 3);
  EXPECT_EQ(Proposed(after, "occasional"), 3);
  EXPECT_EQ(Proposed(after, "subscriber"), 5);
  // The whole month: every agent who handled a complaint.
  runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
  const auto all = Ask<v1::GetSecondRevisitSampleResponse, ScorecardView>(
      ScorecardView::kName, [&](const ScorecardView& v) {
        return v.SecondRevisitSample("", november_);
      });
  ASSERT_EQ(all.agents_size(), 1);
  EXPECT_EQ(all.agents(0).agent_id(), "a17");
}

TEST_F(SampleTest, CustomerTypeMustBePublished) {
  v1::ReceiveComplaint intake = IntakeOn(v1::CHANNEL_PHONE, std::nullopt);
  intake.set_customer_type("vip");
  auto unknown = app_->Execute(intake, "a17");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("customer_type vip is not one of the published "
                        "customer types"));
  v1::PublishCustomerTypes twice;
  for (int i = 0; i < 2; ++i) {
    v1::CustomerType* t = twice.add_types();
    t->set_code("vip");
    t->set_name("Very important");
  }
  auto doubled = app_->Execute(twice, "h1");
  EXPECT_EQ(doubled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doubled.status().message(),
              HasSubstr("types[1].code vip is given twice"));
  EXPECT_EQ(app_->Execute(twice, "a17").status().code(),
            absl::StatusCode::kPermissionDenied);
  // Published (the whole list replaced), the type is taken.
  twice.mutable_types()->RemoveLast();
  ASSERT_TRUE(app_->Execute(twice, "h1").ok());
  EXPECT_TRUE(app_->Execute(intake, "a17").ok());
  intake.set_customer_type("frequent");  // No longer in the list.
  EXPECT_EQ(app_->Execute(intake, "a17").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledger::testing
