// Stored events are forever: a golden encoded event of every type in the
// catalogue, written once, must always decode, keep its hash (the canonical
// encoding of ledger/FORMAT.md), and carry the example payload.
//
// To add the golden of a new event type (never rewrite existing ones):
//   LEDGER_WRITE_GOLDEN=1 build/tests/golden_events_test
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "ledger/events/catalogue.h"
#include "ledger/events/examples.h"
#include "ledger/store/chain.h"
#include "ledger/store/event_store.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

std::string GoldenPath(const google::protobuf::Descriptor* type) {
  return absl::StrCat(LEDGER_TESTDATA_DIR, "/events/", type->name(), ".binpb");
}

// Appends the examples to a fresh store at a fixed time; returns the stored
// events, one per example, in order.
std::vector<v1::Event> StoredExamples() {
  testing::TempDir dir;
  EventStoreOptions options;
  options.clock = std::make_shared<FakeClock>(
      absl::FromUnixSeconds(1791763200));  // 2026-10-12T00:00:00Z
  auto store = EventStore::Open(dir.path(), options);
  EXPECT_TRUE(store.ok()) << store.status();
  absl::StatusOr<int> appended = AppendExamples(**store, "example");
  EXPECT_TRUE(appended.ok()) << appended.status();
  auto events = testing::ReadWholeLog(**store);
  EXPECT_TRUE(events.ok()) << events.status();
  return *events;
}

TEST(GoldenEventsTest, ExamplesCoverTheCatalogueOnce) {
  std::set<std::string> seen;
  for (const ExampleEvent& e : ExampleEvents()) {
    const std::string name = e.payload->GetDescriptor()->full_name();
    EXPECT_NE(FindEventType(name), nullptr) << name;
    EXPECT_TRUE(seen.insert(name).second) << name << " twice";
  }
  EXPECT_EQ(seen.size(), AllEventTypes().size());
  EXPECT_GE(AllEventTypes().size(), 24u);
}

TEST(GoldenEventsTest, EveryEventTypeHasAGoldenThatDecodes) {
  if (std::getenv("LEDGER_WRITE_GOLDEN") != nullptr) {
    for (const v1::Event& event : StoredExamples()) {
      const std::string path = GoldenPath(FindEventType(event.event_type()));
      if (std::filesystem::exists(path)) continue;  // Goldens are forever.
      std::ofstream(path, std::ios::binary) << event.SerializeAsString();
    }
  }
  std::map<std::string, std::shared_ptr<const google::protobuf::Message>>
      examples;
  for (const ExampleEvent& e : ExampleEvents()) {
    examples[e.payload->GetDescriptor()->full_name()] = e.payload;
  }
  for (const google::protobuf::Descriptor* type : AllEventTypes()) {
    SCOPED_TRACE(type->full_name());
    std::ifstream in(GoldenPath(type), std::ios::binary);
    ASSERT_TRUE(in.good()) << "missing " << GoldenPath(type);
    std::stringstream bytes;
    bytes << in.rdbuf();
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(bytes.str()));
    EXPECT_EQ(event.event_type(), type->full_name());
    EXPECT_EQ(event.schema_version(), 1u);
    EXPECT_TRUE(CheckEventHash(event).ok()) << CheckEventHash(event);
    auto payload = DecodePayload(event);
    ASSERT_TRUE(payload.ok()) << payload.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        **payload, *examples[type->full_name()]))
        << (*payload)->DebugString();
  }
}

TEST(GoldenEventsTest, EnumsStartAtUnspecifiedZero) {
  std::vector<const google::protobuf::FileDescriptor*> files = {
      AllEventTypes().front()->file(), AllEventTypes().back()->file()};
  for (int i = 0; i < files[0]->dependency_count(); ++i) {
    files.push_back(files[0]->dependency(i));
  }
  for (const auto* file : files) {
    for (int i = 0; i < file->enum_type_count(); ++i) {
      const auto* e = file->enum_type(i);
      ASSERT_GT(e->value_count(), 0);
      EXPECT_EQ(e->value(0)->number(), 0) << e->full_name();
      EXPECT_TRUE(e->value(0)->name().ends_with("_UNSPECIFIED"))
          << e->full_name();
    }
  }
}

}  // namespace
}  // namespace ledger
