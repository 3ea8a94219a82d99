// Typed payload access: Unwrap, and SharedUnwrap's per-thread message that
// the views and the state fold share.
#include "ledger/events/payload.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "ledger/v1/complaint_events.pb.h"

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

TEST(PayloadTest, SharedUnwrapParsesEachNewPayloadAndKeepsTheLast) {
  const v1::Event first = Received("2026-1", 1);
  const v1::Event copy = first;  // The same bytes in another event.
  const v1::Event second = Received("2026-2", 2);

  absl::StatusOr<const v1::ComplaintReceived*> a =
      SharedUnwrap<v1::ComplaintReceived>(first);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->complaint_id(), "2026-1");
  absl::StatusOr<const v1::ComplaintReceived*> again =
      SharedUnwrap<v1::ComplaintReceived>(copy);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *a);  // One message per thread and type.
  EXPECT_EQ((*again)->complaint_id(), "2026-1");
  absl::StatusOr<const v1::ComplaintReceived*> b =
      SharedUnwrap<v1::ComplaintReceived>(second);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->complaint_id(), "2026-2");
  EXPECT_EQ((*b)->content(), "The newspaper arrived wet.");

  // Another thread has a message of its own.
  std::string other_thread;
  std::thread([&] {
    other_thread =
        (*SharedUnwrap<v1::ComplaintReceived>(first))->complaint_id();
  }).join();
  EXPECT_EQ(other_thread, "2026-1");
  EXPECT_EQ((*b)->complaint_id(), "2026-2");
}

TEST(PayloadTest, SharedUnwrapRefusesAsUnwrapDoes) {
  v1::Event broken = Received("2026-3", 7);
  broken.set_payload(std::string("\x0a\x7f", 2));  // Longer than it is.
  absl::StatusOr<const v1::ComplaintReceived*> bad =
      SharedUnwrap<v1::ComplaintReceived>(broken);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(bad.status(), Unwrap<v1::ComplaintReceived>(broken).status());
  EXPECT_EQ(SharedUnwrap<v1::ComplaintReceived>(broken).status().code(),
            absl::StatusCode::kDataLoss);  // Not remembered as parsed.

  absl::StatusOr<const v1::OwnerAssigned*> other =
      SharedUnwrap<v1::OwnerAssigned>(Received("2026-4", 8));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(other.status(),
            Unwrap<v1::OwnerAssigned>(Received("2026-4", 8)).status());

  // A good payload after a broken one is parsed again.
  absl::StatusOr<const v1::ComplaintReceived*> good =
      SharedUnwrap<v1::ComplaintReceived>(Received("2026-5", 9));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ((*good)->complaint_id(), "2026-5");
}

}  // namespace
}  // namespace ledger
