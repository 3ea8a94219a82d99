// Subscription filters (ledger/subscribe/filter.h) and the tags the ledger
// attaches to events (app/complaint_tags.h).
#include "ledger/subscribe/filter.h"

#include <memory>

#include "app/complaint_tags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/reference_events.pb.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class EventFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EventStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    tagger_ = std::make_unique<ComplaintTagger>(store_.get());
  }

  template <typename Payload>
  v1::Event Append(const std::string& stream, const Payload& payload) {
    AppendRequest request;
    request.stream_id = stream;
    ProposedEvent e;
    e.event_type = EventTypeOf<Payload>();
    e.payload = payload.SerializeAsString();
    request.events.push_back(e);
    absl::StatusOr<AppendResult> appended = store_->Append(request);
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? appended->events[0] : v1::Event();
  }

  bool Matches(const v1::SubscriptionFilter& f, const v1::Event& e) {
    absl::StatusOr<EventFilter> filter = EventFilter::Create(f, tagger_.get());
    EXPECT_TRUE(filter.ok()) << filter.status();
    absl::StatusOr<bool> match = filter->Matches(e);
    EXPECT_TRUE(match.ok()) << match.status();
    return match.ok() && *match;
  }

  testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ComplaintTagger> tagger_;
};

TEST_F(EventFilterTest, StreamPrefixStreamAndTypesMustAllMatch) {
  v1::ComplaintReceived received;
  received.set_complaint_id("2026-1");
  const v1::Event e = Append("complaint-2026-1", received);
  v1::SubscriptionFilter f;
  EXPECT_TRUE(Matches(f, e));  // Empty: everything.
  f.set_stream_prefix("complaint-");
  EXPECT_TRUE(Matches(f, e));
  f.add_event_types("ComplaintReceived");  // Short names too.
  EXPECT_TRUE(Matches(f, e));
  f.set_stream_id("complaint-2026-2");
  EXPECT_FALSE(Matches(f, e));
  f.clear_stream_id();
  f.set_stream_prefix("ref-");
  EXPECT_FALSE(Matches(f, e));
  f.clear_stream_prefix();
  f.clear_event_types();
  f.add_event_types("ledger.v1.Replied");
  EXPECT_FALSE(Matches(f, e));
}

TEST_F(EventFilterTest, AComplaintsEveryEventCarriesItsStationsTag) {
  v1::ComplaintReceived received;
  received.set_complaint_id("2026-1");
  received.set_station_id("s1");
  const v1::Event intake = Append("complaint-2026-1", received);
  const v1::Event reply = Append("complaint-2026-1", v1::Replied());
  v1::AssistRequested assist;
  assist.add_targets()->set_station_id("s2");
  const v1::Event dispatched = Append("complaint-2026-1", assist);
  v1::StationRegistered station;
  station.set_station_id("s2");
  const v1::Event registered = Append("ref-stations", station);

  std::vector<std::string> tags;
  ASSERT_TRUE(tagger_->TagsOf(dispatched, &tags).ok());
  EXPECT_THAT(tags, UnorderedElementsAre("station:s2", "station:s1"));

  // A new tagger has not seen the intake: it reads it from the store.
  ComplaintTagger fresh(store_.get());
  tags.clear();
  ASSERT_TRUE(fresh.TagsOf(reply, &tags).ok());
  EXPECT_THAT(tags, ElementsAre("station:s1"));

  v1::SubscriptionFilter by_tag;
  by_tag.add_tags("station:s2");
  v1::SubscriptionFilter by_station;
  by_station.set_station_id("s2");
  for (const v1::Event* e : {&intake, &reply, &dispatched, &registered}) {
    const bool s2 = e == &dispatched || e == &registered;
    EXPECT_EQ(Matches(by_tag, *e), s2) << e->position();
    EXPECT_EQ(Matches(by_station, *e), s2) << e->position();
  }
}

TEST_F(EventFilterTest, BadFiltersAreInvalidArgumentNamingTheField) {
  v1::SubscriptionFilter types;
  types.add_event_types("NoSuchEvent");
  absl::StatusOr<EventFilter> bad = EventFilter::Create(types, tagger_.get());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("NoSuchEvent"));

  v1::SubscriptionFilter tags;
  tags.add_tags("");
  bad = EventFilter::Create(tags, tagger_.get());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("filter.tags"));

  v1::SubscriptionFilter station;
  station.set_station_id("s1");
  bad = EventFilter::Create(station, /*tagger=*/nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("tag or station"));
}

}  // namespace
}  // namespace ledger
