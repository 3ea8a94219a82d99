// The knowledge base (docs/rules.md §9; 000 §7), each rule a named test over
// a real store, the service's own commands and the analysis view as the
// runner folds it: typical cases searched by category and words, the
// half-month digests (exactly their days, site time; not before they end),
// and each agent's monthly reading.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/analysis_view.h"
#include "tests/projections_fixture.h"

namespace ledger::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class KnowledgeTest : public ProjectionsTest {
 protected:
  KnowledgeTest() { runner_ = NewRunner(); }

  std::string Complaint(v1::ComplaintCategory category) {
    return Do(build::ComplaintIntake(
                  "", absl::StrCat("1360000", 1000 + ++phones_), category),
              "a17")
        .complaint_id();
  }
  absl::Status Mark(const std::string& id, const std::string& summary,
                    const std::string& solution,
                    const std::vector<std::string>& tags,
                    const std::string& actor = "h1") {
    v1::MarkTypicalCase c;
    c.set_complaint_id(id);
    c.set_summary(summary);
    c.set_solution(solution);
    c.set_points_to_watch("Ask first.");
    for (const std::string& t : tags) c.add_tags(t);
    return app_->Execute(c, actor).status();
  }
  template <typename Command>
  absl::Status Digest(v1::DigestHalf half, const std::string& actor = "h1") {
    Command c;
    *c.mutable_month() = november_;
    c.set_half(half);
    return app_->Execute(c, actor).status();
  }

  template <typename Response, typename Method>
  Response Ask(Method method) {
    runner_->WaitFor(store_->log_head().position_last, absl::Seconds(30));
    return ProjectionsTest::Ask<Response, AnalysisView>(AnalysisView::kName,
                                                        method);
  }
  std::vector<std::string> Search(v1::ComplaintCategory category,
                                  const std::string& words) {
    v1::SearchKnowledgeBaseRequest request;
    request.set_category(category);
    request.set_words(words);
    const v1::SearchKnowledgeBaseResponse found =
        Ask<v1::SearchKnowledgeBaseResponse>(
            [&](const AnalysisView& v) { return v.Search(request); });
    std::vector<std::string> ids;
    for (const v1::TypicalCase& c : found.cases()) {
      ids.push_back(c.complaint_id());
    }
    return ids;
  }
  v1::GetDigestResponse DigestOf(v1::DigestHalf half) {
    return Ask<v1::GetDigestResponse>(
        [&](const AnalysisView& v) { return v.Digest(november_, half); });
  }
  static std::vector<std::string> Entries(const v1::GetDigestResponse& d) {
    std::vector<std::string> ids;
    for (const v1::DigestEntry& e : d.entries())
      ids.push_back(e.complaint_id());
    return ids;
  }

  v1::YearMonth november_ = Month(2026, 11);
  int phones_ = 0;
};

TEST_F(KnowledgeTest, TypicalCaseSearchableByCategoryAndWords) {
  const std::string wet = Complaint(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  const std::string rude = Complaint(v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  const std::string late = Complaint(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  ASSERT_TRUE(Mark(wet, "Paper left in the RAIN at an open box",
                   "A plastic sleeve", {"weather"})
                  .ok());
  clock_->Advance(absl::Minutes(1));
  ASSERT_TRUE(
      Mark(rude, "投递员态度恶劣", "Apologised in person", {"courier"}).ok());
  clock_->Advance(absl::Minutes(1));
  ASSERT_TRUE(
      Mark(late, "Paper came after nine", "Route changed", {"weather", "route"})
          .ok());
  // Words: every one, case-folded, anywhere in the texts or tags; newest
  // first.
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_UNSPECIFIED, "weather"),
              ElementsAre(late, wet));
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_UNSPECIFIED, "rain SLEEVE"),
              ElementsAre(wet));
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_UNSPECIFIED, "态度"),
              ElementsAre(rude));
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE, ""),
              ElementsAre(rude));
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY, "paper"),
              ElementsAre(late, wet));
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY, "apologised"),
              ElementsAre());
  // A mark again replaces the earlier.
  ASSERT_TRUE(Mark(wet, "Paper soaked", "A plastic sleeve", {}).ok());
  EXPECT_THAT(Search(v1::COMPLAINT_CATEGORY_UNSPECIFIED, "rain"),
              ElementsAre());
  // Only a centre head marks; every part is required; an unclassified case
  // has no category to file it by.
  EXPECT_EQ(Mark(wet, "s", "s", {}, "a17").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Mark(wet, "", "s", {}).code(), absl::StatusCode::kInvalidArgument);
  const std::string unclassified =
      Do(build::Intake("", "13600009999"), "a17").complaint_id();
  absl::Status not_classified = Mark(unclassified, "s", "s", {});
  EXPECT_EQ(not_classified.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_classified.message(), HasSubstr("not classified"));
}

TEST_F(KnowledgeTest, DigestCoversExactlyItsHalfMonth) {
  // Received at the last minute of the 15th and the first of the 16th,
  // site time; one marked typical on the 15th.
  clock_->Set(Shanghai(2026, 11, 15, 23, 59));
  const std::string fifteenth =
      Complaint(v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  ASSERT_TRUE(Mark(fifteenth, "Wet paper", "A sleeve", {}).ok());
  clock_->Set(Shanghai(2026, 11, 16, 0, 0));
  const std::string sixteenth =
      Complaint(v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  ASSERT_TRUE(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST).ok());
  // A case received after the draw does not enter the drawn digest.
  clock_->Set(Shanghai(2026, 11, 16, 9, 0));
  const v1::GetDigestResponse first = DigestOf(v1::DIGEST_HALF_FIRST);
  EXPECT_TRUE(first.drawn());
  EXPECT_EQ(first.first_day().day(), 1);
  EXPECT_EQ(first.last_day().day(), 15);
  EXPECT_THAT(Entries(first), ElementsAre(fifteenth));
  EXPECT_TRUE(first.entries(0).typical());
  ASSERT_EQ(first.typical_cases_size(), 1);
  EXPECT_EQ(first.typical_cases(0).complaint_id(), fifteenth);
  // The second half: from the 16th to the 30th, drawn on 1 December.
  clock_->Set(Shanghai(2026, 12, 1, 9, 0));
  ASSERT_TRUE(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_SECOND).ok());
  const v1::GetDigestResponse second = DigestOf(v1::DIGEST_HALF_SECOND);
  EXPECT_EQ(second.first_day().day(), 16);
  EXPECT_EQ(second.last_day().day(), 30);
  EXPECT_THAT(Entries(second), ElementsAre(sixteenth));
  EXPECT_EQ(second.typical_cases_size(), 0);
}

TEST_F(KnowledgeTest, DigestRefusedBeforeItsHalfEnds) {
  clock_->Set(Shanghai(2026, 11, 15, 23, 59));
  absl::Status early = Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST);
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.message(), HasSubstr("2026-11-15, which has not ended"));
  EXPECT_EQ(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_SECOND).code(),
            absl::StatusCode::kFailedPrecondition);
  clock_->Set(Shanghai(2026, 11, 16, 0, 0));
  EXPECT_TRUE(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST).ok());
  // Once.
  EXPECT_EQ(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST, "a17").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(KnowledgeTest, AgentWithoutMonthlyReadingListed) {
  clock_->Set(Shanghai(2026, 11, 16, 9, 0));
  ASSERT_TRUE(Digest<v1::DrawUpDigest>(v1::DIGEST_HALF_FIRST).ok());
  // Not circulated yet: nothing to read.
  EXPECT_EQ(Digest<v1::RecordReading>(v1::DIGEST_HALF_FIRST, "a17").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Digest<v1::CirculateDigest>(v1::DIGEST_HALF_FIRST).ok());
  ASSERT_TRUE(Digest<v1::RecordReading>(v1::DIGEST_HALF_FIRST, "a17").ok());
  // A head is not one of the agents who owe a reading.
  EXPECT_EQ(Digest<v1::RecordReading>(v1::DIGEST_HALF_FIRST, "h1").code(),
            absl::StatusCode::kPermissionDenied);
  const v1::GetReadingRecordResponse november =
      Ask<v1::GetReadingRecordResponse>(
          [&](const AnalysisView& v) { return v.Readings(november_); });
  EXPECT_THAT(november.not_read(), ElementsAre("a18"));
  ASSERT_EQ(november.agents_size(), 2);
  EXPECT_EQ(november.agents(0).agent_id(), "a17");
  EXPECT_THAT(november.agents(0).read(), ElementsAre("2026-11 first half"));
  EXPECT_THAT(DigestOf(v1::DIGEST_HALF_FIRST).read_by(), ElementsAre("a17"));
  // December: a17's November reading does not count; nobody has read.
  v1::YearMonth december = november_;
  december.set_month(12);
  EXPECT_THAT(Ask<v1::GetReadingRecordResponse>([&](const AnalysisView& v) {
                return v.Readings(december);
              }).not_read(),
              ElementsAre("a17", "a18"));
}

}  // namespace
}  // namespace ledger::testing
