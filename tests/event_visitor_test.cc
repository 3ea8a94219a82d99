// Events parsed once and dispatched by type (ledger/events/visitor.h): the
// catalogue list against the protos, decoding, and dispatch.
#include "ledger/events/visitor.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/events/catalogue.h"
#include "ledger/events/payload.h"

namespace ledger {
namespace {

v1::Event Received(const std::string& id, int64_t position) {
  v1::ComplaintReceived received;
  received.set_complaint_id(id);
  received.set_content("The newspaper arrived wet.");
  v1::Event event = Wrap(received);
  event.set_position(position);
  return event;
}

template <typename... Types>
std::set<const google::protobuf::Descriptor*> DescriptorsOf(
    TypeList<Types...>) {
  return {Types::descriptor()...};
}

TEST(EventVisitorTest, TheListIsEveryPayloadOfTheCatalogue) {
  std::set<const google::protobuf::Descriptor*> files(AllEventTypes().begin(),
                                                      AllEventTypes().end());
  EXPECT_EQ(DescriptorsOf(EventTypes()), files)
      << "a message of complaint_events.proto, reference_events.proto or "
         "log_events.proto is "
         "missing from EventTypes in ledger/events/visitor.h, or the other "
         "way round";
}

// Records what it was handed.
class Recorder final : public EventVisitor {
 public:
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintReceived& p) override {
    seen.push_back("received " + p.complaint_id() + " at " +
                   std::to_string(event.position()));
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::SignedOff&) override {
    return absl::InternalError("refused");
  }
  std::vector<std::string> seen;
  int unhandled = 0;

 protected:
  absl::Status Unhandled(const v1::Event& event) override {
    ++unhandled;
    return absl::OkStatus();
  }
};

TEST(EventVisitorTest, DecodesOnceAndDispatchesByType) {
  const v1::Event first = Received("2026-1", 1);
  absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(first);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_NE(decoded->As<v1::ComplaintReceived>(), nullptr);
  EXPECT_EQ(decoded->As<v1::ComplaintReceived>()->content(),
            "The newspaper arrived wet.");
  EXPECT_EQ(decoded->As<v1::Replied>(), nullptr);
  Recorder a, b;
  // One decoded event, any number of visitors.
  ASSERT_TRUE(decoded->Accept(a).ok());
  ASSERT_TRUE(decoded->Accept(b).ok());
  EXPECT_EQ(a.seen, std::vector<std::string>{"received 2026-1 at 1"});
  EXPECT_EQ(b.seen, a.seen);

  // Types a visitor does not Visit go to Unhandled; a Visit's error is the
  // result of Accept.
  v1::Event owner = Wrap(v1::OwnerAssigned());
  EXPECT_TRUE(Visit(owner, a).ok());
  EXPECT_EQ(a.unhandled, 1);
  EXPECT_EQ(Visit(Wrap(v1::SignedOff()), a).code(),
            absl::StatusCode::kInternal);
}

TEST(EventVisitorTest, APayloadThatDoesNotParseIsDataLossAndUnknownTypesDecode) {
  v1::Event broken = Received("2026-3", 7);
  broken.set_payload(std::string("\x0a\x7f", 2));  // Longer than it is.
  absl::StatusOr<DecodedEvent> bad = DecodedEvent::Decode(broken);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(bad.status(), Unwrap<v1::ComplaintReceived>(broken).status());

  v1::Event newer;
  newer.set_event_type("ledger.v2.SomethingNew");
  newer.set_payload("anything");
  absl::StatusOr<DecodedEvent> unknown = DecodedEvent::Decode(newer);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->known());
  Recorder r;
  EXPECT_TRUE(unknown->Accept(r).ok());
  EXPECT_EQ(r.unhandled, 1);
}

TEST(EventVisitorTest, AnEventDecidedWithItsPayloadNeedsNoParse) {
  v1::ComplaintReceived received;
  received.set_complaint_id("2026-9");
  const v1::Event event = Wrap(received);
  const EventPayload payload(std::in_place_type<v1::ComplaintReceived>,
                             received);
  DecodedEvent decided(event, payload);
  Recorder r;
  ASSERT_TRUE(decided.Accept(r).ok());
  EXPECT_EQ(r.seen, std::vector<std::string>{"received 2026-9 at 0"});
}

}  // namespace
}  // namespace ledger
