// Subscriptions over gRPC against a real ledgerd: a consumer group of three
// members splits complaints between them, each complaint's events at
// exactly one member and in order; a member killed has its share continued
// by the others.
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "tests/ledgerd_process.h"
#include "tests/subprocess.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

// One member of the group "desk": subscribes, acknowledges every position
// it is told of, and subscribes again when the group changes.
class Member {
 public:
  Member(std::shared_ptr<grpc::Channel> channel, std::string id)
      : stub_(v1::Subscriptions::NewStub(channel)), id_(std::move(id)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Member() { Kill(); }

  // Like a crashed process: the stream is cut, nothing more is acked.
  void Kill() {
    {
      absl::MutexLock lock(&mu_);
      killed_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }

  // (stream, position) in the order received.
  std::vector<std::pair<std::string, uint64_t>> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  const std::string& id() const { return id_; }
  // The generation of its latest assignment, once caught up under it.
  uint64_t generation() {
    absl::MutexLock lock(&mu_);
    return generation_;
  }

 private:
  void Loop() {
    while (true) {
      grpc::ClientContext context;
      {
        absl::MutexLock lock(&mu_);
        if (killed_) return;
        context_ = &context;
      }
      v1::SubscribeRequest request;
      request.set_durable_name("desk");
      request.set_member_id(id_);
      request.set_heartbeat_ms(50);
      auto reader = stub_->Subscribe(&context, request);
      v1::SubscribeResponse response;
      uint64_t generation = 0;
      while (reader->Read(&response)) {
        uint64_t position = 0;
        if (response.has_assignment()) {
          generation = response.assignment().generation();
        } else if (response.has_caught_up()) {
          absl::MutexLock lock(&mu_);
          generation_ = generation;
        } else if (response.has_event()) {
          absl::MutexLock lock(&mu_);
          received_.emplace_back(response.event().stream_id(),
                                 response.event().position());
          position = response.event().position();
        } else if (response.has_checkpoint()) {
          position = response.checkpoint().position();
        }
        if (position > 0) {
          grpc::ClientContext ack_context;
          v1::AckRequest ack;
          ack.set_durable_name("desk");
          ack.set_member_id(id_);
          ack.set_generation(generation);
          ack.set_position(position);
          v1::AckResponse acked;
          stub_->Ack(&ack_context, ack, &acked);
        }
      }
      grpc::Status s = reader->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (killed_) return;
      }
      // ABORTED: the group changed. Anything else: the server is going.
      if (s.error_code() != grpc::StatusCode::ABORTED) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  std::unique_ptr<v1::Subscriptions::Stub> stub_;
  const std::string id_;
  absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool killed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<std::string, uint64_t>> received_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class SubscriptionEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledgerd_ = std::make_unique<testing::LedgerdProcess>(
        LEDGERD_PATH, dir_.path(), dir_.Sub("data"),
        std::vector<std::string>{"--start_time=2026-11-18T10:00:00+08:00",
                                 "--group_takeover_ms=300"});
    ASSERT_FALSE(ledgerd_->target().empty());
    channel_ = grpc::CreateChannel(ledgerd_->target(),
                                   grpc::InsecureChannelCredentials());
    complaints_ = v1::ComplaintService::NewStub(channel_);
    reference_ = v1::ReferenceDataService::NewStub(channel_);
    ledger_ = v1::Ledger::NewStub(channel_);
    for (const auto& [id, role] : {std::pair{"h1", v1::ROLE_CENTRE_HEAD},
                                   std::pair{"a17", v1::ROLE_AGENT}}) {
      v1::RegisterAgent agent;
      agent.mutable_context()->set_actor_agent_id("h1");
      agent.mutable_agent()->set_agent_id(id);
      agent.mutable_agent()->set_display_name(id);
      agent.mutable_agent()->add_roles(role);
      agent.mutable_agent()->set_active(true);
      grpc::ClientContext context;
      v1::CommandResult result;
      ASSERT_TRUE(reference_->RegisterAgent(&context, agent, &result).ok());
    }
  }

  std::string Receive(int i) {
    v1::ReceiveComplaint intake;
    intake.mutable_context()->set_actor_agent_id("a17");
    intake.set_channel(v1::CHANNEL_PHONE);
    intake.mutable_customer()->set_phone(absl::StrCat("1380000", 1000 + i));
    intake.set_content("complaint");
    intake.mutable_classification()->set_kind(v1::INFO_KIND_INQUIRY);
    intake.mutable_classification()->set_importance(v1::IMPORTANCE_GENERAL);
    grpc::ClientContext context;
    v1::CommandResult result;
    EXPECT_TRUE(complaints_->ReceiveComplaint(&context, intake, &result).ok());
    return result.state().complaint_id();
  }

  void ChooseTrack(const std::string& id) {
    v1::ChooseTrack track;
    track.mutable_context()->set_actor_agent_id("a17");
    track.set_complaint_id(id);
    track.set_track(v1::HANDLING_TRACK_ON_THE_SPOT);
    grpc::ClientContext context;
    v1::CommandResult result;
    EXPECT_TRUE(complaints_->ChooseTrack(&context, track, &result).ok());
  }

  uint64_t LogHead() {
    grpc::ClientContext context;
    v1::GetLogHeadResponse head;
    EXPECT_TRUE(ledger_->GetLogHead(&context, {}, &head).ok());
    return head.position_last();
  }

  // Waits until the members together received every position in
  // [first, last]; false after a minute.
  bool WaitForAll(const std::vector<Member*>& members, uint64_t first,
                  uint64_t last) {
    for (int i = 0; i < 1200; ++i) {
      std::set<uint64_t> seen;
      for (Member* m : members) {
        for (const auto& [stream, p] : m->received()) seen.insert(p);
      }
      bool all = true;
      for (uint64_t p = first; p <= last && all; ++p) all = seen.contains(p);
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::LedgerdProcess> ledgerd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::ReferenceDataService::Stub> reference_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
};

// Checks that every position in [first, last] reached exactly one member,
// each stream's events one member, in order; returns stream -> member.
std::map<std::string, std::string> CheckSplit(
    const std::vector<Member*>& members, uint64_t first, uint64_t last) {
  std::map<uint64_t, int> times;
  std::map<std::string, std::set<std::string>> owners;
  for (Member* m : members) {
    std::map<std::string, uint64_t> last_of_stream;
    for (const auto& [stream, p] : m->received()) {
      if (p < first || p > last) continue;
      ++times[p];
      owners[stream].insert(m->id());
      EXPECT_GT(p, last_of_stream[stream]) << stream << " out of order";
      last_of_stream[stream] = p;
    }
  }
  for (uint64_t p = first; p <= last; ++p) {
    EXPECT_EQ(times[p], 1) << "position " << p;
  }
  std::map<std::string, std::string> owner_of;
  for (const auto& [stream, ids] : owners) {
    EXPECT_EQ(ids.size(), 1u) << stream << " went to several members";
    owner_of[stream] = *ids.begin();
  }
  return owner_of;
}

TEST_F(SubscriptionEndToEndTest, MembersSplitComplaintsAndTakeOverAKilledOnesShare) {
  auto m0 = std::make_unique<Member>(channel_, "m0");
  auto m1 = std::make_unique<Member>(channel_, "m1");
  auto m2 = std::make_unique<Member>(channel_, "m2");
  std::vector<Member*> all = {m0.get(), m1.get(), m2.get()};
  // Until all three have joined, the group rebalances; wait for the
  // generation all three settle on.
  for (int i = 0; i < 1200; ++i) {
    const uint64_t g = m0->generation();
    if (g >= 3 && m1->generation() == g && m2->generation() == g) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(m0->generation(), m2->generation());
  const uint64_t before = LogHead();  // The agents, seen while joining.
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(Receive(i));
  const uint64_t head = LogHead();
  ASSERT_TRUE(WaitForAll(all, before + 1, head))
      << "not every event was delivered";
  std::map<std::string, std::string> owner = CheckSplit(all, before + 1, head);
  std::set<std::string> used;
  for (const auto& [stream, member] : owner) used.insert(member);
  EXPECT_EQ(used.size(), 3u) << "the work was not split";

  // m2 dies; after the takeover timeout its complaints continue elsewhere.
  m2->Kill();
  for (const std::string& id : ids) ChooseTrack(id);
  const uint64_t new_head = LogHead();
  std::vector<Member*> alive = {m0.get(), m1.get()};
  ASSERT_TRUE(WaitForAll(alive, head + 1, new_head))
      << "m2's share was not taken over";
  std::map<std::string, std::string> after =
      CheckSplit(alive, head + 1, new_head);
  int moved = 0;
  for (const std::string& id : ids) {
    const std::string stream = "complaint-" + id;
    EXPECT_NE(after[stream], "m2");
    moved += owner[stream] == "m2";
  }
  EXPECT_GT(moved, 0);
  for (const auto& [stream, p] : m2->received()) EXPECT_LE(p, head);
}

TEST_F(SubscriptionEndToEndTest, HeartbeatsHaveAFloorAndOneCallerASubscriptionShare) {
  // Issue 22, finding 6: 200 streams at heartbeat_ms 1 drove ledgerd to
  // 149% CPU; one client could hold all 256 subscription slots.
  auto stub = v1::Subscriptions::NewStub(channel_);
  {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    request.set_from_now(true);
    request.set_heartbeat_ms(1);
    auto reader = stub->Subscribe(&context, request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
    }
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("heartbeat_ms"));
  }
  // Every slot this caller may hold, each confirmed by its first message
  // (a subscription from now says it has caught up at once).
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>>>
      readers;
  for (size_t i = 0; i < kMaxSubscribersPerCaller; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    v1::SubscribeRequest request;
    request.set_from_now(true);
    readers.push_back(stub->Subscribe(contexts.back().get(), request));
    v1::SubscribeResponse response;
    ASSERT_TRUE(readers.back()->Read(&response)) << "subscription " << i;
  }
  grpc::ClientContext one_more;
  v1::SubscribeRequest request;
  request.set_from_now(true);
  auto refused = stub->Subscribe(&one_more, request);
  v1::SubscribeResponse response;
  EXPECT_FALSE(refused->Read(&response));
  const grpc::Status status = refused->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("subscriptions"));
  for (auto& context : contexts) context->TryCancel();
  for (auto& reader : readers) reader->Finish();
}

TEST_F(SubscriptionEndToEndTest, LedgerctlTailPrintsTheFilteredLogUpToItsEnd) {
  const std::string first = Receive(1);
  Receive(2);
  ChooseTrack(first);
  testing::ProcessResult all =
      testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd_->target(), "tail",
                    "--format=json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<std::string> lines =
      absl::StrSplit(all.out, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), LogHead());
  testing::ProcessResult tracks =
      testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd_->target(), "tail",
                    "--type=HandlingTrackChosen", "--format=json"});
  ASSERT_EQ(tracks.exit_code, 0) << tracks.err;
  lines = absl::StrSplit(tracks.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("complaint-" + first));
  testing::ProcessResult bad =
      testing::Run({LEDGERCTL_PATH, "--target=" + ledgerd_->target(), "tail",
                    "--type=Nope"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, ::testing::HasSubstr("INVALID_ARGUMENT"));
}

}  // namespace
}  // namespace ledger
