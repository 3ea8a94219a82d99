// CustomerIndex: each customer's complaints as repeat detection sees them,
// folded from intake and classification events, including payloads that a
// parse would read differently from a naive one (unknown fields, a field
// given twice) and payloads that do not parse.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

v1::ComplaintReceived Received(const std::string& id,
                               const std::string& customer_ref,
                               int64_t time_us) {
  v1::ComplaintReceived received;
  received.set_complaint_id(id);
  received.set_channel(v1::CHANNEL_PHONE);
  received.mutable_customer()->set_name("Wang");
  received.mutable_customer()->set_phone("13800138000");
  received.set_customer_ref(customer_ref);
  received.set_content("The newspaper arrived wet.");
  received.set_receiving_agent_id("a17");
  received.set_received_time_us(time_us);
  received.set_station_id("s1");
  return received;
}

v1::Event Event(const std::string& id, const v1::ComplaintReceived& payload) {
  v1::Event event = Wrap(payload);
  event.set_stream_id(ComplaintStream(id));
  return event;
}

v1::Event Classified(const std::string& id, v1::InfoKind kind,
                     v1::ComplaintCategory category) {
  v1::ComplaintClassified classified;
  classified.set_kind(kind);
  classified.set_category(category);
  v1::Event event = Wrap(classified);
  event.set_stream_id(ComplaintStream(id));
  return event;
}

TEST(CustomerIndexTest, HistoryListsACustomersComplaintsOldestFirst) {
  const std::string wang = CustomerRef("13800138000");
  const std::string li = CustomerRef("13900139000");
  CustomerIndex index;
  ASSERT_TRUE(index.Apply(Event("2026-1", Received("2026-1", wang, 100))).ok());
  ASSERT_TRUE(index.Apply(Event("2026-2", Received("2026-2", li, 200))).ok());
  ASSERT_TRUE(index.Apply(Event("2026-3", Received("2026-3", wang, 300))).ok());
  ASSERT_TRUE(index
                  .Apply(Classified("2026-3", v1::INFO_KIND_COMPLAINT,
                                    v1::COMPLAINT_CATEGORY_SERVICE_QUALITY))
                  .ok());

  std::vector<PriorComplaint> history = index.History(wang);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].complaint_id, "2026-1");
  EXPECT_EQ(history[0].received_time_us, 100);
  EXPECT_EQ(history[0].kind, v1::INFO_KIND_UNSPECIFIED);
  EXPECT_EQ(history[1].complaint_id, "2026-3");
  EXPECT_EQ(history[1].received_time_us, 300);
  EXPECT_EQ(history[1].kind, v1::INFO_KIND_COMPLAINT);
  EXPECT_EQ(history[1].category, v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);
  EXPECT_THAT(index.History(li),
              ElementsAre(Field(&PriorComplaint::complaint_id, "2026-2")));
  EXPECT_THAT(index.History(CustomerRef("13700137000")), IsEmpty());
  EXPECT_EQ(index.complaints(), 3u);
}

TEST(CustomerIndexTest, RefsNotInCustomerRefsFormAreKeptApart) {
  // The index packs a ref of 64 lowercase hex digits into the 32 bytes they
  // spell; any other ref must still name its own customer.
  const std::string canonical = CustomerRef("13800138000");
  std::string upper = canonical;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  CustomerIndex index;
  ASSERT_TRUE(
      index.Apply(Event("2026-1", Received("2026-1", canonical, 1))).ok());
  ASSERT_TRUE(index.Apply(Event("2026-2", Received("2026-2", upper, 2))).ok());
  ASSERT_TRUE(
      index.Apply(Event("2026-3", Received("2026-3", "legacy-7", 3))).ok());
  EXPECT_THAT(index.History(canonical),
              ElementsAre(Field(&PriorComplaint::complaint_id, "2026-1")));
  EXPECT_THAT(index.History(upper),
              ElementsAre(Field(&PriorComplaint::complaint_id, "2026-2")));
  EXPECT_THAT(index.History("legacy-7"),
              ElementsAre(Field(&PriorComplaint::complaint_id, "2026-3")));
  EXPECT_THAT(index.History("legacy-8"), IsEmpty());
}

TEST(CustomerIndexTest, ReadsAnIntakeAsAParseWould) {
  // Unknown fields of each wire type, then the complaint id and the time
  // given a second time: a parse keeps the last of each.
  const std::string wang = CustomerRef("13800138000");
  std::string bytes;
  ASSERT_TRUE(Received("2026-1", wang, 100).SerializeToString(&bytes));
  bytes += std::string("\x98\x06\x07", 3);  // Field 99, varint 7.
  bytes += std::string(
      "\x9a\x06\x03"
      "abc",
      6);  // Field 99, 3 bytes.
  bytes += std::string(
      "\x9d\x06"
      "abcd",
      6);  // Field 99, fixed32.
  bytes += std::string(
      "\x0a\x06"
      "2026-9",
      8);                                   // complaint_id again.
  bytes += std::string("\x40\xc8\x01", 3);  // received_time_us 200.
  v1::Event event = Event("2026-9", v1::ComplaintReceived());
  event.set_payload(bytes);
  absl::StatusOr<v1::ComplaintReceived> parsed =
      Unwrap<v1::ComplaintReceived>(event);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->complaint_id(), "2026-9");
  ASSERT_EQ(parsed->received_time_us(), 200);

  CustomerIndex index;
  ASSERT_TRUE(index.Apply(event).ok());
  std::vector<PriorComplaint> history = index.History(wang);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].complaint_id, "2026-9");
  EXPECT_EQ(history[0].received_time_us, 200);
}

TEST(CustomerIndexTest, AnIntakeThatDoesNotParseIsDataLoss) {
  std::string bytes;
  ASSERT_TRUE(Received("2026-1", CustomerRef("13800138000"), 100)
                  .SerializeToString(&bytes));
  for (const std::string& broken :
       {bytes.substr(0, bytes.size() - 3),   // Cut inside a field.
        bytes + std::string("\x0a\x7f", 2),  // A field longer than the rest.
        bytes + std::string("\x0a\xff", 2),  // Its length cut short.
        bytes + std::string(1, '\0')}) {     // Tag 0.
    v1::Event event = Event("2026-1", v1::ComplaintReceived());
    event.set_position(7);
    event.set_payload(broken);
    ASSERT_FALSE(Unwrap<v1::ComplaintReceived>(event).ok());
    CustomerIndex index;
    absl::Status status = index.Apply(event);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_THAT(status.message(), ::testing::HasSubstr("position 7"));
    EXPECT_EQ(index.complaints(), 0u);
  }
}

TEST(CustomerIndexTest, IntakesWithoutACustomerRefAreLeftOut) {
  CustomerIndex index;
  ASSERT_TRUE(index.Apply(Event("2026-1", Received("2026-1", "", 1))).ok());
  ASSERT_TRUE(index
                  .Apply(Classified("2026-1", v1::INFO_KIND_COMPLAINT,
                                    v1::COMPLAINT_CATEGORY_SERVICE_QUALITY))
                  .ok());
  EXPECT_EQ(index.complaints(), 0u);
  EXPECT_THAT(index.History(""), IsEmpty());
}

TEST(CustomerIndexTest, ApplyAllIsApplyInOrder) {
  const std::string wang = CustomerRef("13800138000");
  const std::string li = CustomerRef("13900139000");
  std::string broken;
  ASSERT_TRUE(Received("2026-5", li, 5).SerializeToString(&broken));
  broken.resize(broken.size() - 3);
  v1::Event does_not_parse = Event("2026-5", v1::ComplaintReceived());
  does_not_parse.set_payload(broken);
  const std::vector<v1::Event> events = {
      Event("2026-1", Received("2026-1", wang, 1)),
      // Classified before it is received: nothing to classify yet.
      Classified("2026-3", v1::INFO_KIND_COMPLAINT,
                 v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY),
      Event("2026-2", Received("2026-2", li, 2)),
      Classified("2026-1", v1::INFO_KIND_COMPLAINT,
                 v1::COMPLAINT_CATEGORY_SERVICE_QUALITY),
      does_not_parse,
      Event("2026-3", Received("2026-3", wang, 3)),
      // The same complaint received again, for another customer: ignored.
      Event("2026-1", Received("2026-1", li, 4)),
      Classified("2026-1", v1::INFO_KIND_INQUIRY,
                 v1::COMPLAINT_CATEGORY_SERVICE_QUALITY),
  };
  std::vector<const v1::Event*> all;
  for (const v1::Event& e : events) all.push_back(&e);

  CustomerIndex one_at_a_time;
  for (const v1::Event& e : events) one_at_a_time.Apply(e).IgnoreError();
  CustomerIndex at_once;
  absl::Status status = at_once.ApplyAll(all);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;

  auto summary = [](const std::vector<PriorComplaint>& history) {
    std::vector<std::string> out;
    for (const PriorComplaint& p : history) {
      out.push_back(absl::StrCat(p.complaint_id, "@", p.received_time_us, " ",
                                 p.kind, "/", p.category));
    }
    return out;
  };
  // Kind and category as numbers: INQUIRY 3, SERVICE_QUALITY 2.
  EXPECT_THAT(summary(at_once.History(wang)),
              ElementsAre("2026-1@1 3/2", "2026-3@3 0/0"));
  EXPECT_THAT(summary(at_once.History(li)), ElementsAre("2026-2@2 0/0"));
  EXPECT_EQ(summary(at_once.History(wang)),
            summary(one_at_a_time.History(wang)));
  EXPECT_EQ(summary(at_once.History(li)), summary(one_at_a_time.History(li)));
  EXPECT_EQ(at_once.complaints(), 3u);
  EXPECT_EQ(one_at_a_time.complaints(), 3u);
}

TEST(CustomerIndexTest, HistoriesSpanManyChunksOfEntries) {
  // Ten thousand intakes of seven customers, some batched: each customer's
  // history is every seventh intake, oldest first, classified where it was.
  std::vector<std::string> customers;
  for (int c = 0; c < 7; ++c) {
    customers.push_back(CustomerRef(absl::StrCat("1380013800", c)));
  }
  std::vector<v1::Event> events;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = absl::StrCat("2026-", i);
    events.push_back(Event(id, Received(id, customers[i % 7], i)));
    if (i % 1000 == 0) {
      events.push_back(Classified(id, v1::INFO_KIND_COMPLAINT,
                                  v1::COMPLAINT_CATEGORY_PRODUCT_QUALITY));
    }
  }
  CustomerIndex index;
  for (size_t i = 0; i < events.size();) {
    const size_t n = std::min<size_t>(i % 3 == 0 ? 100 : 1, events.size() - i);
    std::vector<const v1::Event*> group;
    for (size_t j = 0; j < n; ++j) group.push_back(&events[i + j]);
    ASSERT_TRUE(index.ApplyAll(group).ok());
    i += n;
  }
  EXPECT_EQ(index.complaints(), 10000u);
  for (int c = 0; c < 7; ++c) {
    std::vector<PriorComplaint> history = index.History(customers[c]);
    ASSERT_EQ(history.size(), static_cast<size_t>((10000 - c + 6) / 7));
    for (size_t k = 0; k < history.size(); ++k) {
      const int i = c + 7 * static_cast<int>(k);
      ASSERT_EQ(history[k].complaint_id, absl::StrCat("2026-", i));
      ASSERT_EQ(history[k].received_time_us, i);
      ASSERT_EQ(history[k].kind, i % 1000 == 0 ? v1::INFO_KIND_COMPLAINT
                                               : v1::INFO_KIND_UNSPECIFIED);
    }
  }
}

TEST(CustomerIndexTest, PhonesAreNormalisedIgnoringFormattingAndChinasCountryCode) {
  const std::pair<const char*, const char*> cases[] = {
      {"13800138000", "13800138000"},
      {"+86 138-0013-8000", "13800138000"},
      {"0086 13800138000", "13800138000"},
      {"(010) 6512.3456", "01065123456"},
      {"+44 20 7946 0018", "442079460018"},
  };
  for (const auto& [in, out] : cases) {
    absl::StatusOr<std::string> phone = NormalizePhone(in);
    ASSERT_TRUE(phone.ok()) << in << ": " << phone.status();
    EXPECT_EQ(*phone, out) << in;
  }
  EXPECT_FALSE(NormalizePhone("1234").ok());
  EXPECT_FALSE(NormalizePhone("138 0013 8000 ext 5").ok());
}

}  // namespace
}  // namespace ledger
