// Intake, ownership, classification and repeat detection
// (docs/rules.md §1, §2, §10), one test per rule.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/v1/complaint_events.pb.h"
#include "tests/lifecycle_fixture.h"

namespace ledger::testing {
namespace {

// The intake and classification rules, on LifecycleTest's fixture.
using ComplaintIntakeTest = LifecycleTest;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(ComplaintIntakeTest, PhoneIntakeMakesAnsweringAgentOwner) {
  Decision d = Must("a17", Intake("c-1"));
  ASSERT_EQ(d.size(), 1u);
  auto received = EventAt<v1::ComplaintReceived>(d, 0);
  EXPECT_EQ(received.owner_agent_id(), "a17");
  EXPECT_EQ(received.owner_rule(), v1::OWNER_RULE_PHONE_ANSWERING_AGENT);
  EXPECT_EQ(received.receiving_agent_id(), "a17");
  EXPECT_EQ(d[0].actor(), "a17");
  EXPECT_EQ(state("c-1").owner_agent_id(), "a17");
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_OPEN);
  EXPECT_EQ(state("c-1").severity(), v1::SEVERITY_GENERAL);
}

struct OwnerCase {
  const char* name;
  v1::Channel channel;
  const char* handler = "";
  const char* head_assigned = "";
  const char* on_duty_head = "";
  const char* on_duty_clerk = "";
  const char* owner;
  v1::OwnerRule rule;
};

TEST_F(ComplaintIntakeTest, FirstContactOwnerFollowsTheChannelTable) {
  const OwnerCase cases[] = {
      {"phone", v1::CHANNEL_PHONE, "", "", "", "", "a17",
       v1::OWNER_RULE_PHONE_ANSWERING_AGENT},
      {"visit with handler", v1::CHANNEL_VISIT, "a18", "", "", "", "a18",
       v1::OWNER_RULE_VISIT_HANDLER},
      {"visit, no handler", v1::CHANNEL_VISIT, "", "", "", "", "a17",
       v1::OWNER_RULE_VISIT_FIRST_RECEIVER},
      {"email assigned by head", v1::CHANNEL_EMAIL, "", "a19", "", "", "a19",
       v1::OWNER_RULE_EMAIL_HEAD_ASSIGNED},
      {"email, head away", v1::CHANNEL_EMAIL, "", "", "", "", "a17",
       v1::OWNER_RULE_EMAIL_OPENER_HEAD_AWAY},
      {"fax, head present", v1::CHANNEL_FAX, "", "", "h1", "c1", "h1",
       v1::OWNER_RULE_FAX_CENTRE_HEAD},
      {"fax, clerk present", v1::CHANNEL_FAX, "", "", "", "c1", "c1",
       v1::OWNER_RULE_FAX_CLERK},
      {"fax, neither", v1::CHANNEL_FAX, "", "", "", "", "a17",
       v1::OWNER_RULE_FAX_RECEIVER},
      {"online platform", v1::CHANNEL_ONLINE_PLATFORM, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
      {"chat", v1::CHANNEL_CHAT, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
      {"social media", v1::CHANNEL_SOCIAL_MEDIA, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
      {"letter", v1::CHANNEL_LETTER, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
      {"forwarded by company", v1::CHANNEL_FORWARDED_BY_COMPANY, "", "", "", "",
       "a17", v1::OWNER_RULE_RECEIVING_AGENT},
      {"forwarded by owners' committee",
       v1::CHANNEL_FORWARDED_BY_OWNERS_COMMITTEE, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
      {"told to staff", v1::CHANNEL_VERBAL_TO_STAFF, "", "", "", "", "a17",
       v1::OWNER_RULE_RECEIVING_AGENT},
  };
  int n = 0;
  for (const OwnerCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ReceiveComplaint intake = Intake("c-" + std::to_string(++n));
    intake.set_channel(c.channel);
    intake.set_receiving_agent_id("a17");
    intake.set_handler_agent_id(c.handler);
    intake.set_head_assigned_agent_id(c.head_assigned);
    intake.set_on_duty_head_agent_id(c.on_duty_head);
    intake.set_on_duty_clerk_agent_id(c.on_duty_clerk);
    // The record may be keyed in by someone else (the desk).
    Decision d = Must("a19", intake);
    auto received = EventAt<v1::ComplaintReceived>(d, 0);
    EXPECT_EQ(received.owner_agent_id(), c.owner);
    EXPECT_EQ(received.owner_rule(), c.rule);
  }
}

TEST_F(ComplaintIntakeTest, ReceivingAgentDefaultsToTheActor) {
  v1::ReceiveComplaint intake = Intake("c-1");
  intake.set_channel(v1::CHANNEL_LETTER);
  auto received = EventAt<v1::ComplaintReceived>(Must("a18", intake), 0);
  EXPECT_EQ(received.receiving_agent_id(), "a18");
  EXPECT_EQ(received.owner_agent_id(), "a18");
}

TEST_F(ComplaintIntakeTest, AnotherChannelsOwnerFieldIsRejected) {
  v1::ReceiveComplaint intake = Intake("c-1");
  intake.set_handler_agent_id("a18");  // Visits only.
  absl::StatusOr<Decision> d = Do("a17", intake);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("handler_agent_id"));
  EXPECT_THAT(d.status().message(), HasSubstr("visit"));
}

TEST_F(ComplaintIntakeTest, FaxOwnerMustHoldTheRoleNamed) {
  v1::ReceiveComplaint intake = Intake("c-1");
  intake.set_channel(v1::CHANNEL_FAX);
  intake.set_on_duty_head_agent_id("a18");
  EXPECT_THAT(Do("a17", intake).status().message(),
              HasSubstr("not an active centre head"));
  intake.clear_on_duty_head_agent_id();
  intake.set_on_duty_clerk_agent_id("a18");
  EXPECT_THAT(Do("a17", intake).status().message(),
              HasSubstr("not an active clerk"));
}

TEST_F(ComplaintIntakeTest, ShiftComesFromTheCalendar) {
  struct Case {
    absl::Time when;
    v1::Shift shift;
  } cases[] = {
      {At(2026, 11, 18, 10, 0), v1::SHIFT_DAY},         // Wednesday.
      {At(2026, 11, 18, 8, 29), v1::SHIFT_NIGHT_DUTY},  // Before 08:30.
      {At(2026, 11, 18, 17, 30), v1::SHIFT_NIGHT_DUTY},
      {At(2026, 11, 21, 10, 0), v1::SHIFT_NIGHT_DUTY},  // Saturday.
      {At(2026, 10, 2, 10, 0), v1::SHIFT_NIGHT_DUTY},   // National Day.
      {At(2026, 10, 10, 10, 0), v1::SHIFT_DAY},         // Make-up Saturday.
  };
  int n = 0;
  for (const Case& c : cases) {
    now_ = c.when;
    auto received = EventAt<v1::ComplaintReceived>(
        Must("a17", Intake("c-" + std::to_string(++n))), 0);
    EXPECT_EQ(received.shift(), c.shift) << absl::FormatTime(c.when);
    EXPECT_EQ(received.received_time_us(), absl::ToUnixMicros(c.when));
  }
}

TEST_F(ComplaintIntakeTest, IntakeFieldsAreCheckedWithClearMessages) {
  struct Case {
    const char* name;
    void (*mutate)(v1::ReceiveComplaint*);
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {"no channel", [](v1::ReceiveComplaint* c) { c->clear_channel(); },
       absl::StatusCode::kInvalidArgument, "channel is required"},
      {"no content", [](v1::ReceiveComplaint* c) { c->set_content("  "); },
       absl::StatusCode::kInvalidArgument, "content is required"},
      {"content too long",
       [](v1::ReceiveComplaint* c) { c->set_content(std::string(20000, 'x')); },
       absl::StatusCode::kInvalidArgument, "content is 20000 bytes long"},
      {"no phone",
       [](v1::ReceiveComplaint* c) { c->mutable_customer()->clear_phone(); },
       absl::StatusCode::kInvalidArgument,
       "customer.phone is required for a phone complaint"},
      {"a letter with no contact at all",
       [](v1::ReceiveComplaint* c) {
         c->set_channel(v1::CHANNEL_LETTER);
         c->mutable_customer()->clear_phone();
         c->mutable_customer()->set_address(" \t ");
       },
       absl::StatusCode::kInvalidArgument,
       "a phone number, an e-mail address or a postal address is needed"},
      {"an e-mail that is no address",
       [](v1::ReceiveComplaint* c) {
         c->set_channel(v1::CHANNEL_ONLINE_PLATFORM);
         c->mutable_customer()->clear_phone();
         c->mutable_customer()->set_email("wang at example.com");
       },
       absl::StatusCode::kInvalidArgument,
       "customer.email \"wang at example.com\" is not an e-mail address"},
      {"letters in phone",
       [](v1::ReceiveComplaint* c) {
         c->mutable_customer()->set_phone("138-CALL-ME");
       },
       absl::StatusCode::kInvalidArgument, "may only hold digits"},
      {"bad id", [](v1::ReceiveComplaint* c) { c->set_complaint_id("a b"); },
       absl::StatusCode::kInvalidArgument, "complaint_id \"a b\""},
      {"unknown station",
       [](v1::ReceiveComplaint* c) { c->set_station_id("s9"); },
       absl::StatusCode::kInvalidArgument, "station_id s9 is not registered"},
      {"unknown receiver",
       [](v1::ReceiveComplaint* c) { c->set_receiving_agent_id("x9"); },
       absl::StatusCode::kInvalidArgument,
       "receiving_agent_id x9 is not a registered"},
      {"bad classification",
       [](v1::ReceiveComplaint* c) {
         c->mutable_classification()->set_kind(v1::INFO_KIND_COMPLAINT);
       },
       absl::StatusCode::kInvalidArgument, "classification.category"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ReceiveComplaint intake = Intake("c-1");
    c.mutate(&intake);
    absl::StatusOr<Decision> d = Do("a17", intake);
    EXPECT_EQ(d.status().code(), c.code);
    EXPECT_THAT(d.status().message(), HasSubstr(c.message));
  }
  EXPECT_EQ(state("c-1").stage(), v1::STAGE_UNSPECIFIED);
}

TEST_F(ComplaintIntakeTest, UnregisteredActorIsPermissionDenied) {
  EXPECT_EQ(Do("x9", Intake("c-1")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Do("", Intake("c-1")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ComplaintIntakeTest, SecondIntakeUnderOneIdIsAlreadyExists) {
  Must("a17", Intake("c-1"));
  EXPECT_EQ(Do("a17", Intake("c-1")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(ComplaintIntakeTest, IntakeWithoutACalendarIsFailedPrecondition) {
  reference_ = ReferenceData();
  AddAgent("a17", v1::ROLE_AGENT);
  absl::StatusOr<Decision> d = Do("a17", Intake("c-1"));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("calendar"));
}

TEST_F(ComplaintIntakeTest, IntakeInAYearTheCalendarDoesNotCoverIsRefused) {
  now_ = At(2027, 3, 1, 10, 0);
  absl::StatusOr<Decision> d = Do("a17", Intake("c-1"));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("2027"));
}

TEST_F(ComplaintIntakeTest, CustomerContactIsItsOwnMessageAndKeyedByPhone) {
  auto received = EventAt<v1::ComplaintReceived>(
      Must("a17", Intake("c-1", "+86 138-0013-8000")), 0);
  EXPECT_TRUE(received.has_customer());
  EXPECT_EQ(received.customer().phone(), "+86 138-0013-8000");
  EXPECT_EQ(received.customer_ref(), CustomerRef("13800138000"));
  EXPECT_EQ(received.customer_ref().size(), 64u);
  EXPECT_EQ(received.customer_ref().find("13800138000"), std::string::npos);
}

TEST_F(ComplaintIntakeTest,
       EmailLetterAndOnlineIntakesNeedNoPhoneAndRepeatsFollowTheirContact) {
  // An e-mail with only the customer's address, received by the head's
  // assignee: accepted, keyed by the address whatever its case.
  v1::ReceiveComplaint mail = Intake("c-1");
  mail.set_channel(v1::CHANNEL_EMAIL);
  mail.mutable_customer()->clear_phone();
  mail.mutable_customer()->set_email("Wang.Li@Example.com ");
  *mail.mutable_classification() = Complaint();
  auto received = EventAt<v1::ComplaintReceived>(Must("a17", mail), 0);
  EXPECT_EQ(received.customer_ref(), CustomerRef("email:wang.li@example.com"));

  // The same customer online a week later: a repeat of c-1.
  now_ += absl::Hours(24 * 7);
  v1::ReceiveComplaint online = Intake("c-2");
  online.set_channel(v1::CHANNEL_ONLINE_PLATFORM);
  online.mutable_customer()->clear_phone();
  online.mutable_customer()->set_email("wang.li@example.com");
  *online.mutable_classification() = Complaint();
  Must("a18", online);
  EXPECT_EQ(state("c-2").severity(), v1::SEVERITY_REPEAT);
  EXPECT_THAT(state("c-2").linked_complaint_ids(), ElementsAre("c-1"));

  // A letter with a postal address only; spacing does not make another
  // customer.
  v1::ReceiveComplaint letter = Intake("c-3");
  letter.set_channel(v1::CHANNEL_LETTER);
  letter.mutable_customer()->clear_phone();
  letter.mutable_customer()->set_address("北京市  朝阳区 建国路 1 号");
  *letter.mutable_classification() = Complaint();
  Must("a17", letter);
  v1::ReceiveComplaint again = letter;
  again.set_complaint_id("c-4");
  again.mutable_customer()->set_address("北京市 朝阳区\n建国路 1 号");
  Must("a17", again);
  EXPECT_THAT(state("c-4").linked_complaint_ids(), ElementsAre("c-3"));
  // A phone number, when given, stays the key (the key it always was).
  EXPECT_EQ(ContactKey(v1::CHANNEL_LETTER, Intake("c-5").customer()).value(),
            "13800138000");
}

// --- Ownership ---------------------------------------------------------

TEST_F(ComplaintIntakeTest, ShiftHandoverPassesOwnershipWithANote) {
  Must("a17", Intake("c-1"));
  auto handover = For<v1::HandOver>("c-1");
  handover.set_to_agent_id("a18");
  EXPECT_THAT(Do("a17", handover).status().message(),
              HasSubstr("handover_note is required"));
  handover.set_handover_note("Customer expects a call before 9.");
  auto handed = EventAt<v1::OwnerHandedOver>(Must("a17", handover), 0);
  EXPECT_EQ(handed.previous_owner_agent_id(), "a17");
  EXPECT_EQ(handed.owner_agent_id(), "a18");
  EXPECT_EQ(state("c-1").owner_agent_id(), "a18");
}

TEST_F(ComplaintIntakeTest, OnlyTheOwnerOrHeadHandsOver) {
  Must("a17", Intake("c-1"));
  auto handover = For<v1::HandOver>("c-1");
  handover.set_to_agent_id("a19");
  handover.set_handover_note("end of shift");
  absl::StatusOr<Decision> d = Do("a18", handover);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(d.status().message(), HasSubstr("only the owner (a17)"));
  Must("h1", handover);
  EXPECT_EQ(state("c-1").owner_agent_id(), "a19");
}

TEST_F(ComplaintIntakeTest, OnlyTheCentreHeadAssignsAnOwner) {
  Must("a17", Intake("c-1"));
  auto assign = For<v1::AssignOwner>("c-1");
  assign.set_owner_agent_id("a18");
  assign.set_reason("a18 knows the station");
  EXPECT_EQ(Do("a17", assign).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto assigned = EventAt<v1::OwnerAssigned>(Must("h1", assign), 0);
  EXPECT_EQ(assigned.assigned_by_agent_id(), "h1");
  EXPECT_EQ(assigned.previous_owner_agent_id(), "a17");
  EXPECT_EQ(state("c-1").owner_agent_id(), "a18");
}

TEST_F(ComplaintIntakeTest, AComplaintNeverHasNoOwner) {
  Must("a17", Intake("c-1"));
  auto assign = For<v1::AssignOwner>("c-1");
  assign.set_reason("nobody");
  EXPECT_THAT(Do("h1", assign).status().message(),
              HasSubstr("owner_agent_id is required"));
  assign.set_owner_agent_id("x9");
  EXPECT_THAT(Do("h1", assign).status().message(),
              HasSubstr("x9 is not a registered, active agent"));
  auto handover = For<v1::HandOver>("c-1");
  handover.set_handover_note("to nobody");
  EXPECT_EQ(Do("a17", handover).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state("c-1").owner_agent_id(), "a17");
}

TEST_F(ComplaintIntakeTest, CommandOnAnUnknownComplaintIsNotFound) {
  auto classify = For<v1::Classify>("c-404");
  *classify.mutable_classification() = Complaint();
  absl::StatusOr<Decision> d = Do("a17", classify);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(d.status().message(), HasSubstr("c-404"));
}

// --- Classification ----------------------------------------------------

TEST_F(ComplaintIntakeTest, RoutingSuggestionFollowsTheKind) {
  const std::pair<v1::InfoKind, v1::RoutingTarget> table[] = {
      {v1::INFO_KIND_MAJOR, v1::ROUTING_TARGET_PROJECT_HEAD},
      {v1::INFO_KIND_SPECIAL_SERVICE, v1::ROUTING_TARGET_SERVICE_DEPARTMENT},
      {v1::INFO_KIND_COMPLAINT, v1::ROUTING_TARGET_CUSTOMER_SERVICE},
      {v1::INFO_KIND_SUGGESTION, v1::ROUTING_TARGET_CUSTOMER_SERVICE},
      {v1::INFO_KIND_REPAIR_REQUEST, v1::ROUTING_TARGET_ENGINEERING},
      {v1::INFO_KIND_PUBLIC_SAFETY, v1::ROUTING_TARGET_SECURITY},
      {v1::INFO_KIND_INQUIRY, v1::ROUTING_TARGET_CUSTOMER_SERVICE},
      {v1::INFO_KIND_ISSUE_REPORT, v1::ROUTING_TARGET_CUSTOMER_SERVICE},
      {v1::INFO_KIND_OTHER, v1::ROUTING_TARGET_CUSTOMER_SERVICE},
  };
  int n = 0;
  for (const auto& [kind, routing] : table) {
    const std::string id = "c-" + std::to_string(++n);
    Must("a17", Intake(id));
    auto classify = For<v1::Classify>(id);
    classify.mutable_classification()->set_kind(kind);
    if (kind == v1::INFO_KIND_COMPLAINT) {
      classify.mutable_classification()->set_category(
          v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
    }
    const bool important =
        kind == v1::INFO_KIND_MAJOR || kind == v1::INFO_KIND_PUBLIC_SAFETY;
    classify.mutable_classification()->set_importance(
        important ? v1::IMPORTANCE_IMPORTANT : v1::IMPORTANCE_GENERAL);
    auto classified =
        EventAt<v1::ComplaintClassified>(Must("a17", classify), 0);
    EXPECT_EQ(classified.suggested_routing(), routing)
        << v1::InfoKind_Name(kind);
    EXPECT_EQ(state(id).suggested_routing(), routing);
  }
}

TEST_F(ComplaintIntakeTest, ImportantCasesAreFlaggedForTheCentreHead) {
  Must("a17", Intake("c-1"));
  auto classify = For<v1::Classify>("c-1");
  *classify.mutable_classification() = Complaint();
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_IMPORTANT);
  auto classified = EventAt<v1::ComplaintClassified>(Must("a17", classify), 0);
  EXPECT_TRUE(classified.flagged_for_head());
  EXPECT_TRUE(state("c-1").flagged_for_head());

  Must("a17", Intake("c-2"));
  auto general = For<v1::Classify>("c-2");
  *general.mutable_classification() = Complaint();
  EXPECT_FALSE(EventAt<v1::ComplaintClassified>(Must("a17", general), 0)
                   .flagged_for_head());
}

TEST_F(ComplaintIntakeTest, MajorAndSafetyMattersAreImportantByDefinition) {
  Must("a17", Intake("c-1"));
  auto classify = For<v1::Classify>("c-1");
  classify.mutable_classification()->set_kind(v1::INFO_KIND_PUBLIC_SAFETY);
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  absl::StatusOr<Decision> d = Do("a17", classify);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("important by definition"));
}

TEST_F(ComplaintIntakeTest, CategoryIsForComplaintsOnly) {
  Must("a17", Intake("c-1"));
  auto classify = For<v1::Classify>("c-1");
  classify.mutable_classification()->set_kind(v1::INFO_KIND_COMPLAINT);
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  EXPECT_THAT(
      Do("a17", classify).status().message(),
      HasSubstr("classification.category (for a complaint) is required"));
  classify.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
  classify.mutable_classification()->set_category(
      v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  EXPECT_THAT(Do("a17", classify).status().message(),
              HasSubstr("applies to complaints only"));
}

TEST_F(ComplaintIntakeTest,
       ReclassificationIsRecordedAndTheHistoryKeepsEachLabel) {
  Must("a17", Intake("c-1"));
  auto classify = For<v1::Classify>("c-1");
  classify.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
  classify.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
  auto first = EventAt<v1::ComplaintClassified>(Must("a17", classify), 0);
  EXPECT_FALSE(first.reclassification());
  // The same labels again change nothing and are refused.
  EXPECT_EQ(Do("a17", classify).status().code(),
            absl::StatusCode::kFailedPrecondition);
  *classify.mutable_classification() = Complaint();
  auto second = EventAt<v1::ComplaintClassified>(Must("a17", classify), 0);
  EXPECT_TRUE(second.reclassification());
  EXPECT_EQ(state("c-1").kind(), v1::INFO_KIND_COMPLAINT);
  EXPECT_EQ(state("c-1").classifications(), 2u);
}

// --- Severity ----------------------------------------------------------

TEST_F(ComplaintIntakeTest, SameCustomerAndCategoryWithinTheWindowIsARepeat) {
  v1::ReceiveComplaint first = Intake("c-1", "138 0013 8000");
  *first.mutable_classification() = Complaint();
  Decision d1 = Must("a17", first);
  EXPECT_EQ(d1.size(), 2u);  // Received, classified: nothing earlier.

  now_ += absl::Hours(24 * 29);
  v1::ReceiveComplaint second = Intake("c-2", "+86 13800138000");
  *second.mutable_classification() = Complaint();
  Decision d2 = Must("a18", second);
  ASSERT_EQ(d2.size(), 3u);
  auto raised = EventAt<v1::SeverityRaised>(d2, 2);
  EXPECT_EQ(raised.previous_severity(), v1::SEVERITY_GENERAL);
  EXPECT_EQ(raised.severity(), v1::SEVERITY_REPEAT);
  EXPECT_TRUE(raised.automatic());
  EXPECT_THAT(raised.linked_complaint_ids(), ElementsAre("c-1"));
  EXPECT_THAT(raised.reason(), HasSubstr("service quality"));
  EXPECT_EQ(state("c-2").severity(), v1::SEVERITY_REPEAT);
  EXPECT_THAT(state("c-2").linked_complaint_ids(), ElementsAre("c-1"));
}

TEST_F(ComplaintIntakeTest, OtherCategoryOrOutsideTheWindowIsNoRepeat) {
  v1::ReceiveComplaint first = Intake("c-1");
  *first.mutable_classification() = Complaint();
  Must("a17", first);

  v1::ReceiveComplaint other = Intake("c-2");
  *other.mutable_classification() =
      Complaint(v1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  EXPECT_EQ(Must("a17", other).size(), 2u);

  now_ += absl::Hours(24 * 31);
  v1::ReceiveComplaint late = Intake("c-3");
  *late.mutable_classification() = Complaint();
  EXPECT_EQ(Must("a17", late).size(), 2u);

  v1::ReceiveComplaint stranger = Intake("c-4", "13900139000");
  *stranger.mutable_classification() = Complaint();
  EXPECT_EQ(Must("a17", stranger).size(), 2u);
}

TEST_F(ComplaintIntakeTest, RepeatWindowIsConfigurable) {
  policy_.repeat_window = absl::Hours(24 * 7);
  v1::ReceiveComplaint first = Intake("c-1");
  *first.mutable_classification() = Complaint();
  Must("a17", first);
  now_ += absl::Hours(24 * 8);
  v1::ReceiveComplaint second = Intake("c-2");
  *second.mutable_classification() = Complaint();
  EXPECT_EQ(Must("a17", second).size(), 2u);
}

TEST_F(ComplaintIntakeTest, RepeatIsDetectedWhenTheCategoryIsKnownLater) {
  v1::ReceiveComplaint first = Intake("c-1");
  *first.mutable_classification() = Complaint();
  Must("a17", first);
  Must("a17", Intake("c-2"));  // Category not known at intake.
  auto classify = For<v1::Classify>("c-2");
  *classify.mutable_classification() = Complaint();
  Decision d = Must("a17", classify);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(EventAt<v1::SeverityRaised>(d, 1).severity(), v1::SEVERITY_REPEAT);
}

TEST_F(ComplaintIntakeTest, MaliciousIsSetOnlyByTheCentreHeadWithAReason) {
  Must("a17", Intake("c-1"));
  auto repeat = For<v1::RaiseSeverity>("c-1");
  repeat.set_severity(v1::SEVERITY_REPEAT);
  repeat.set_reason("third call about the same leak");
  Must("a17", repeat);

  auto malicious = For<v1::RaiseSeverity>("c-1");
  malicious.set_severity(v1::SEVERITY_MALICIOUS);
  malicious.set_reason("threats to staff");
  absl::StatusOr<Decision> by_agent = Do("a17", malicious);
  EXPECT_EQ(by_agent.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(by_agent.status().message(), HasSubstr("centre head"));
  malicious.clear_reason();
  EXPECT_THAT(Do("h1", malicious).status().message(),
              HasSubstr("reason is required"));
  malicious.set_reason("threats to staff");
  auto raised = EventAt<v1::SeverityRaised>(Must("h1", malicious), 0);
  EXPECT_EQ(raised.previous_severity(), v1::SEVERITY_REPEAT);
  EXPECT_FALSE(raised.automatic());
  EXPECT_EQ(raised.raised_by_agent_id(), "h1");
  EXPECT_EQ(state("c-1").severity(), v1::SEVERITY_MALICIOUS);
}

TEST_F(ComplaintIntakeTest, MaliciousMeansRepeatFirst) {
  Must("a17", Intake("c-1"));
  auto malicious = For<v1::RaiseSeverity>("c-1");
  malicious.set_severity(v1::SEVERITY_MALICIOUS);
  malicious.set_reason("abusive");
  absl::StatusOr<Decision> d = Do("h1", malicious);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("not a repeat"));
}

TEST_F(ComplaintIntakeTest, SeverityNeverFalls) {
  Must("a17", Intake("c-1"));
  auto repeat = For<v1::RaiseSeverity>("c-1");
  repeat.set_severity(v1::SEVERITY_REPEAT);
  repeat.set_reason("again");
  Must("a17", repeat);
  EXPECT_EQ(Do("a17", repeat).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto lower = For<v1::RaiseSeverity>("c-1");
  lower.set_severity(v1::SEVERITY_GENERAL);
  lower.set_reason("calmer now");
  absl::StatusOr<Decision> d = Do("h1", lower);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("severity never falls"));
  EXPECT_EQ(state("c-1").severity(), v1::SEVERITY_REPEAT);
}

}  // namespace
}  // namespace ledger::testing
