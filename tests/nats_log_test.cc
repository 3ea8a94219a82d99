// The replicated log on a real NATS JetStream cluster (three nats-server
// processes on loopback ports; docs/design/replication.md, step 3): stores
// publish their group commits through NatsLog and follow the stream into
// their own copies. Every wait here is for a condition (a quorum, a copy
// reaching the stream's end), bounded only to fail rather than hang.
#include "ledger/replication/nats_log.h"

#include <nats/nats.h>
#include <zstd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/replication/writer_lease.h"
#include "ledger/store/errors.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/signed_note.h"
#include "tests/nats_cluster.h"
#include "tests/replicated_log_util.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::Command;
using ::ledger::testing::NatsCluster;
using ::ledger::testing::Records;
using ::ledger::testing::Request;
using ::ledger::testing::TempDir;

constexpr char kLogKey[] =
    "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ";
// Bounds on waits for conditions (a failover takes a Raft election, 4-9 s
// in nats-server 2.9): to fail, never to pass.
constexpr absl::Duration kPatience = absl::Seconds(90);

std::unique_ptr<NatsLog> ConnectLog(
    const NatsCluster& cluster, const std::string& node_id,
    bool compress = true, absl::Duration paused_look = absl::Seconds(1)) {
  NatsLogOptions options;
  options.servers = cluster.urls();
  options.node_id = node_id;
  options.compress = compress;
  options.paused_look = paused_look;
  options.publish_retry = kPatience;
  const absl::Time deadline = absl::Now() + kPatience;
  while (true) {  // Until JetStream has elected its leaders.
    absl::StatusOr<std::unique_ptr<NatsLog>> log = NatsLog::Connect(options);
    if (log.ok()) return *std::move(log);
    if (absl::Now() > deadline) {
      ADD_FAILURE() << log.status();
      return nullptr;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// A plain NATS client of the cluster's JetStream, for what the tests do
// beside NatsLog: a stream made by hand, messages read or written raw.
struct RawJetStream {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsStatus status = NATS_ERR;  // Of connecting.

  explicit RawJetStream(const NatsCluster& cluster) {
    const std::string urls = absl::StrJoin(cluster.urls(), ",");
    status = natsConnection_ConnectTo(&nc, urls.c_str());
    if (status == NATS_OK) status = natsConnection_JetStream(&js, nc, nullptr);
  }
  ~RawJetStream() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  RawJetStream(const RawJetStream&) = delete;
  RawJetStream& operator=(const RawJetStream&) = delete;
};

// A ledger node: its copy of the log, publishing to and following the
// stream.
struct Node {
  std::unique_ptr<NatsLog> log;
  std::unique_ptr<EventStore> store;

  Node(const NatsCluster& cluster, const std::string& dir,
       const std::string& id, bool compress = true,
       absl::Duration paused_look = absl::Seconds(1)) {
    log = ConnectLog(cluster, id, compress, paused_look);
    if (log == nullptr) return;
    EventStoreOptions options;
    absl::StatusOr<NoteSigner> signer = NoteSigner::Parse(kLogKey);
    options.checkpoint_signer =
        std::make_shared<const NoteSigner>(*std::move(signer));
    options.checkpoint_every_events = 64;
    options.checkpoint_every = absl::ZeroDuration();
    options.replicate = [l = log.get()](v1::GroupRecord* group,
                                        uint64_t after) {
      return l->Publish(group, after);
    };
    auto opened = EventStore::Open(dir, std::move(options));
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return;
    store = *std::move(opened);
    log->Follow(store.get());
  }
  ~Node() {
    if (log != nullptr) log->Stop();  // Before the store it writes to.
    if (store != nullptr) {
      EXPECT_TRUE(store->Close().ok());
    }
  }
  bool ok() const { return log != nullptr && store != nullptr; }
};

// `each` appends from each of four threads, with command ids named by
// `round`; every one must be acknowledged.
void AppendFromThreads(EventStore& store, const std::string& round, int each) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, &round, each, t] {
      for (int i = 0; i < each; ++i) {
        auto r = store.Append(Command(absl::StrCat("complaint-", t, "-", i % 5),
                                      1 + i % 3,
                                      absl::StrCat(round, "-", t, "-", i)));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

// Both copies hold the same log, tree and checkpoints.
void ExpectSameCopies(const EventStore& a, const EventStore& b) {
  EXPECT_EQ(Records(a), Records(b));
  EXPECT_EQ(a.replicated_sequence(), b.replicated_sequence());
  const uint64_t size = a.log_head().position_last;
  ASSERT_EQ(b.log_head().position_last, size);
  EXPECT_EQ(*a.TreeRoot(size), *b.TreeRoot(size));
  auto checkpoint = a.LatestCheckpoint();
  auto b_checkpoint = b.LatestCheckpoint();
  ASSERT_EQ(b_checkpoint.status().code(), checkpoint.status().code());
  if (checkpoint.ok()) {
    EXPECT_EQ(b_checkpoint->note, checkpoint->note);
  }
}

TEST(NatsLogTest, CopiesStayEqualThroughTheLossOfTheStreamLeader) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  Node a(cluster, dir.Sub("a"), "a");
  Node b(cluster, dir.Sub("b"), "b");
  ASSERT_TRUE(a.ok() && b.ok());

  AppendFromThreads(*a.store, "before", 40);
  ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  EXPECT_EQ(a.store->replicated_sequence(), *a.log->LastSequence());

  // The stream's leader dies: appends wait out the election and go on.
  absl::StatusOr<std::string> leader = a.log->StreamLeader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int killed = cluster.IndexOf(*leader);
  ASSERT_GE(killed, 0) << *leader;
  cluster.Kill(killed);
  AppendFromThreads(*a.store, "after", 20);
  ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  // Every command once: 4 × (40 + 20) appends of 1 to 3 events.
  uint64_t events = 0;
  for (int i = 0; i < 40; ++i) events += 4 * (1 + i % 3);
  for (int i = 0; i < 20; ++i) events += 4 * (1 + i % 3);
  EXPECT_EQ(a.store->log_head().position_last, events);
  auto found = b.store->FindCommand("after-3-19", "after-3-19");
  ASSERT_TRUE(found.ok() && found->has_value());
  cluster.Start(killed);
}

TEST(NatsLogTest, ADeposedWriterIsRefusedAndThenFollows) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  Node a(cluster, dir.Sub("a"), "a");
  Node b(cluster, dir.Sub("b"), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        a.store->Append(Request(absl::StrCat("complaint-a", i), 2)).ok());
  }
  ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
  // a stops hearing the stream (a partition, say); b writes meanwhile.
  a.log->Stop();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        b.store->Append(Request(absl::StrCat("complaint-b", i), 1)).ok());
  }
  const LogHead a_before = a.store->log_head();
  auto refused = a.store->Append(Request("complaint-a0", 1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  EXPECT_EQ(a.store->log_head().position_last, a_before.position_last);
  EXPECT_EQ(*a.log->LastSequence(), b.store->replicated_sequence());
  // It follows again, holds b's log, and may write after it.
  a.log->Follow(a.store.get());
  ASSERT_TRUE(a.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  auto next = a.store->Append(Request("complaint-a0", 1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->position_first, a_before.position_last + 3 + 1);
}

TEST(NatsLogTest, ANewNodeCatchesUpWithTheLog) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  Node a(cluster, dir.Sub("a"), "a");
  ASSERT_TRUE(a.ok());
  AppendFromThreads(*a.store, "early", 30);
  Node c(cluster, dir.Sub("c"), "c");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *c.store);
  for (const char* id : {"early-0-0", "early-3-29"}) {
    auto on_a = a.store->FindCommand(id, id);
    auto on_c = c.store->FindCommand(id, id);
    ASSERT_TRUE(on_a.ok() && on_c.ok() && on_a->has_value() &&
                on_c->has_value());
    EXPECT_EQ((*on_c)->position_first, (*on_a)->position_first);
  }
  EXPECT_TRUE(c.log->follow_error().ok());
}

TEST(NatsLogTest, AStreamMadeBeforeWithSettingsThatLoseMessagesIsRefused) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  // The log's stream made by hand: in memory, one copy, deletes and
  // purges allowed, messages dropped after an hour or past 1,000, another
  // subject too.
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {"ledger.groups", "other.things"};
  config.Name = "LEDGER";
  config.Subjects = subjects;
  config.SubjectsLen = 2;
  config.Storage = js_MemoryStorage;
  config.Replicas = 1;
  config.MaxAge = int64_t{3600} * 1000 * 1000 * 1000;
  config.MaxMsgs = 1000;
  natsStatus made = NATS_ERR;
  const absl::Time deadline = absl::Now() + kPatience;
  while (made != NATS_OK && absl::Now() < deadline) {  // Until a quorum.
    RawJetStream raw(cluster);
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    made = raw.status;
    if (made == NATS_OK) {
      made = js_AddStream(&info, raw.js, &config, nullptr, &code);
    }
    jsStreamInfo_Destroy(info);
    if (made != NATS_OK) absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(made, NATS_OK);

  NatsLogOptions options;
  options.servers = cluster.urls();
  options.node_id = "a";
  absl::StatusOr<std::unique_ptr<NatsLog>> log = NatsLog::Connect(options);
  ASSERT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition)
      << log.status();
  const std::string says(log.status().message());
  for (const char* why :
       {"JetStream stream LEDGER exists with settings the ledger cannot use",
        "it takes subjects [ledger.groups, other.things], not only "
        "ledger.groups",
        "in memory", "1 copy of each message, fewer than the 3 asked",
        "it lets messages be deleted", "it lets it be purged",
        "it drops messages older than 3600 s",
        "it drops messages past a limit (max messages 1000"}) {
    EXPECT_THAT(says, ::testing::HasSubstr(why));
  }
}

TEST(NatsLogTest, APublishRetriedIsStoredOnceAndAStaleOneRefused) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  std::unique_ptr<NatsLog> log = ConnectLog(cluster, "probe");
  ASSERT_NE(log, nullptr);
  v1::GroupRecord group;
  group.set_position_first(1);
  group.set_hash_before(std::string(32, '\0'));
  group.add_events()->set_hash(std::string(32, '\x07'));
  auto first = log->Publish(&group, 0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 1u);
  EXPECT_EQ(group.writer(), "probe");
  // The same group again (its answer lost, say): the same sequence.
  auto again = log->Publish(&group, 0);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 1u);
  EXPECT_EQ(*log->LastSequence(), 1u);
  // Another group expecting the stream empty: refused.
  group.mutable_events(0)->set_hash(std::string(32, '\x08'));
  auto stale = log->Publish(&group, 0);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*log->LastSequence(), 1u);
}

// Polls `done` until it holds; false after kPatience.
template <typename Done>
bool Eventually(Done done) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// The log stream's message at `sequence` as JetStream stores it.
struct Stored {
  std::string data;
  std::string encoding;  // Its Ledger-Encoding header; empty: none.
};
Stored StoredMessage(const NatsCluster& cluster, uint64_t sequence) {
  Stored stored;
  RawJetStream raw(cluster);
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = raw.status;
  if (s == NATS_OK) {
    s = js_GetMsg(&msg, raw.js, "LEDGER", sequence, nullptr, &code);
  }
  EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " " << code;
  if (s == NATS_OK) {
    stored.data.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    const char* encoding = nullptr;
    if (natsMsgHeader_Get(msg, "Ledger-Encoding", &encoding) == NATS_OK) {
      stored.encoding = encoding;
    }
    natsMsg_Destroy(msg);
  }
  return stored;
}

// Publishes `data` to the log's stream as a group message would be, with
// the header Ledger-Encoding: `encoding`, expecting the stream to end at
// `after`.
void PublishRaw(const NatsCluster& cluster, const std::string& data,
                const std::string& encoding, uint64_t after) {
  RawJetStream raw(cluster);
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string expect = absl::StrCat(after);
  natsStatus s = raw.status;
  if (s == NATS_OK) {
    s = natsMsg_Create(&msg, "ledger.groups", nullptr, data.data(),
                       static_cast<int>(data.size()));
  }
  if (s == NATS_OK) {
    s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Sequence", expect.c_str());
  }
  if (s == NATS_OK) {
    s = natsMsgHeader_Set(msg, "Ledger-Encoding", encoding.c_str());
  }
  jsPubAck* ack = nullptr;
  if (s == NATS_OK) s = js_PublishMsg(&ack, raw.js, msg, nullptr, &code);
  EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " " << code;
  if (s == NATS_OK) {
    EXPECT_EQ(ack->Sequence, after + 1);
  }
  jsPubAck_Destroy(ack);
  natsMsg_Destroy(msg);
}

std::string ZstdFrame(const std::string& plain) {
  std::string frame(ZSTD_compressBound(plain.size()), '\0');
  frame.resize(
      ZSTD_compress(frame.data(), frame.size(), plain.data(), plain.size(), 1));
  return frame;
}

TEST(NatsLogTest, GroupsAreStoredCompressedAndBothKindsAreRead) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  // a writes groups as ledgerd did before it compressed them; b compresses.
  Node a(cluster, dir.Sub("a"), "a", /*compress=*/false);
  Node b(cluster, dir.Sub("b"), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  AppendFromThreads(*a.store, "plain", 10);
  ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
  const uint64_t plain_last = b.store->replicated_sequence();
  const uint64_t b_first_position = b.store->log_head().position_last + 1;
  AppendFromThreads(*b.store, "zstd", 10);
  ASSERT_TRUE(a.log->CatchUp(kPatience).ok());
  Node c(cluster, dir.Sub("c"), "c");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  ExpectSameCopies(*a.store, *c.store);
  // Two rounds of four threads' 10 appends of 1, 2, 3, 1, ... events.
  EXPECT_EQ(c.store->log_head().position_last, 2u * 4 * 19);

  // As JetStream holds them: a's groups are records; b's are Zstandard
  // frames of records, smaller.
  const Stored plain = StoredMessage(cluster, 1);
  EXPECT_EQ(plain.encoding, "");
  v1::GroupRecord record;
  ASSERT_TRUE(record.ParseFromString(plain.data));
  EXPECT_EQ(record.writer(), "a");
  EXPECT_EQ(record.position_first(), 1u);
  const Stored packed = StoredMessage(cluster, plain_last + 1);
  EXPECT_EQ(packed.encoding, "zstd");
  const unsigned long long size =
      ZSTD_getFrameContentSize(packed.data.data(), packed.data.size());
  ASSERT_FALSE(size == ZSTD_CONTENTSIZE_ERROR ||
               size == ZSTD_CONTENTSIZE_UNKNOWN);
  std::string unpacked(size, '\0');
  ASSERT_EQ(ZSTD_decompress(unpacked.data(), unpacked.size(),
                            packed.data.data(), packed.data.size()),
            size);
  ASSERT_TRUE(record.ParseFromString(unpacked));
  EXPECT_EQ(record.writer(), "b");
  EXPECT_EQ(record.position_first(), b_first_position);
  EXPECT_LT(packed.data.size(), unpacked.size());
}

// Two nodes on one cluster: a, told it writes while `a_writes`, appends
// until its follower pauses (looking at the stream every `paused_look`);
// then b appends (as a node that took the lease from under a would).
struct PausedWriter {
  TempDir dir;
  NatsCluster cluster{dir.path()};
  Node a;
  Node b;
  std::atomic<bool> a_writes{true};

  explicit PausedWriter(absl::Duration paused_look)
      : a(cluster, dir.Sub("a"), "a", /*compress=*/true, paused_look),
        b(cluster, dir.Sub("b"), "b") {}

  void PauseAThenAppendOnB() {
    ASSERT_TRUE(a.ok() && b.ok());
    a.log->PauseFollowingWhile([this] { return a_writes.load(); });
    ASSERT_TRUE(a.store->Append(Request("complaint-a0", 2)).ok());
    ASSERT_TRUE(Eventually([&] { return a.log->following_paused(); }));
    ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          b.store->Append(Request(absl::StrCat("complaint-b", i), 1)).ok());
    }
  }
};

TEST(NatsLogTest, APausedWriterIsRefusedThenFollowsAndAppendsAfter) {
  // Never looks at the stream while paused: only a refusal wakes it.
  PausedWriter nodes(/*paused_look=*/absl::InfiniteDuration());
  ASSERT_NO_FATAL_FAILURE(nodes.PauseAThenAppendOnB());
  Node& a = nodes.a;
  Node& b = nodes.b;
  // a received none of b's groups: its publish is refused (its copy is
  // behind the stream), nothing of it written...
  auto refused = a.store->Append(Request("complaint-a1", 1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  EXPECT_EQ(a.store->log_head().position_last, 2u);
  // ... and it follows again: it catches up, and appends after b's groups.
  ASSERT_TRUE(a.log->CatchUp(kPatience).ok());
  auto next = a.store->Append(Request("complaint-a1", 1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->position_first, 2u + 3 + 1);
  ASSERT_TRUE(b.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  // Deposed (no longer writing), it follows b's groups.
  ASSERT_TRUE(Eventually([&] { return a.log->following_paused(); }));
  nodes.a_writes = false;
  ASSERT_TRUE(b.store->Append(Request("complaint-b3", 2)).ok());
  ASSERT_TRUE(a.log->CatchUp(kPatience).ok());
  ExpectSameCopies(*a.store, *b.store);
  EXPECT_EQ(a.store->log_head().position_last, 2u + 3 + 1 + 2);
}

TEST(NatsLogTest, AnIdlePausedWriterWhoseCopyFellBehindFollowsAgain) {
  PausedWriter nodes(/*paused_look=*/absl::Milliseconds(50));
  ASSERT_NO_FATAL_FAILURE(nodes.PauseAThenAppendOnB());
  Node& a = nodes.a;
  Node& b = nodes.b;
  // Still "writing" and appending nothing, a finds the stream past its
  // copy at two looks and follows again.
  ASSERT_TRUE(a.log->CatchUp(kPatience).ok());
  EXPECT_EQ(a.store->log_head().position_last, 2u + 3);
  ExpectSameCopies(*a.store, *b.store);
}

TEST(NatsLogTest, AGroupMessageThatCannotBeReadStopsTheFollowerAndSaysWhy) {
  struct Case {
    std::string encoding;
    std::string data;
    absl::StatusCode code;
    std::string says;
  };
  const std::string frame = ZstdFrame(std::string(4096, 'x'));
  const std::vector<Case> cases = {
      {"br", "anything", absl::StatusCode::kFailedPrecondition,
       "is encoded \"br\", which this ledgerd does not read"},
      {"zstd", "not a frame", absl::StatusCode::kDataLoss,
       "is not a Zstandard frame"},
      {"zstd", frame.substr(0, frame.size() - 3), absl::StatusCode::kDataLoss,
       "does not decompress"},
      {"zstd", ZstdFrame("\xff\xff\xff"), absl::StatusCode::kDataLoss,
       "is not a group record"},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.says);
    TempDir dir;
    NatsCluster cluster(dir.path());
    uint64_t last = 0;
    {
      Node a(cluster, dir.Sub("a"), "a");
      ASSERT_TRUE(a.ok());
      ASSERT_TRUE(a.store->Append(Request("complaint-a", 2)).ok());
    }
    // Its events, and the checkpoint it signed as it closed.
    {
      std::unique_ptr<NatsLog> probe = ConnectLog(cluster, "probe");
      ASSERT_NE(probe, nullptr);
      last = probe->LastSequence().value_or(0);
      ASSERT_GT(last, 0u);
    }
    PublishRaw(cluster, bad.data, bad.encoding, last);
    Node c(cluster, dir.Sub("c"), "c");
    ASSERT_TRUE(c.ok());
    const absl::Status caught_up = c.log->CatchUp(kPatience);
    EXPECT_EQ(caught_up.code(), bad.code) << caught_up;
    EXPECT_THAT(std::string(caught_up.message()),
                ::testing::HasSubstr(absl::StrCat("sequence ", last + 1)));
    EXPECT_THAT(std::string(caught_up.message()),
                ::testing::HasSubstr(bad.says));
    EXPECT_EQ(c.log->follow_error(), caught_up);
    // What came before it is in the copy; nothing of it.
    EXPECT_EQ(c.store->replicated_sequence(), last);
    EXPECT_EQ(c.store->log_head().position_last, 2u);
  }
}

// The lease stream's last message (a failed read fails the test).
NatsLog::LeaseMessage LastLease(const NatsLog& log) {
  absl::StatusOr<NatsLog::LeaseMessage> last = log.ReadLease(absl::Seconds(5));
  EXPECT_TRUE(last.ok()) << last.status();
  return last.ok() ? *last : NatsLog::LeaseMessage{};
}

TEST(NatsLogTest, OneNodeAtATimeHoldsTheWritersLease) {
  TempDir dir;
  NatsCluster cluster(dir.path());
  std::unique_ptr<NatsLog> log_a = ConnectLog(cluster, "a");
  std::unique_ptr<NatsLog> log_b = ConnectLog(cluster, "b");
  ASSERT_NE(log_a, nullptr);
  ASSERT_NE(log_b, nullptr);
  // Per node: how often it got ready to write, and stopped writing.
  struct Seen {
    std::atomic<int> readied{0};
    std::atomic<int> stopped{0};
  } seen_a, seen_b, seen_d;
  auto options = [](const std::string& id, Seen* seen) {
    WriterLeaseOptions o;
    o.node_id = id;
    o.address = id + ".example:50051";
    o.lease = absl::Seconds(3);
    o.before_writing = [seen](absl::Duration) {
      ++seen->readied;
      return absl::OkStatus();
    };
    o.on_change = [seen](bool writing) {
      if (!writing) ++seen->stopped;
    };
    return o;
  };
  // A lease of nobody's yet: a takes it at once; b names a as the writer.
  WriterLease a(log_a.get(), options("a", &seen_a));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.writing(); }));
  EXPECT_EQ(seen_a.readied, 1);
  const uint64_t epoch_a = a.WriteEpoch().value_or(0);
  WriterLease b(log_b.get(), options("b", &seen_b));
  b.Start();
  ASSERT_TRUE(Eventually([&] {
    return WriterAddress(b.WriteEpoch().status()) == "a.example:50051";
  }));
  // a renews, over several leases' worth of b's watching: b never takes.
  for (int i = 0; i < 4; ++i) {
    const uint64_t before = LastLease(*log_a).sequence;
    ASSERT_TRUE(
        Eventually([&] { return LastLease(*log_a).sequence > before; }));
  }
  EXPECT_TRUE(a.writing());
  EXPECT_FALSE(b.writing());
  EXPECT_EQ(seen_b.readied, 0);
  EXPECT_EQ(seen_a.stopped, 0);

  // Another node takes the lease from under a (as one would had a's
  // renewals been lost for a lease): a's next renewal is refused, and a
  // stops writing.
  uint64_t taken_at = 0;
  {
    std::unique_ptr<NatsLog> log_c = ConnectLog(cluster, "c");
    ASSERT_NE(log_c, nullptr);
    const NatsLog::LeaseMessage last = LastLease(*log_c);
    ASSERT_GT(last.sequence, 0u);
    v1::WriterLease taken;
    taken.set_node_id("c");
    taken.set_incarnation("c-1");
    taken.set_address("c.example:50051");
    taken.set_lease_ms(0);  // Lapsed at once: for a or b to take.
    absl::StatusOr<uint64_t> published =
        log_c->PublishLease(taken, last.sequence, "c-1", absl::Seconds(5));
    ASSERT_TRUE(published.ok()) << published.status();
    taken_at = *published;
    // The same publish again (its answer lost): stored once. Another with
    // the same expectation: refused.
    EXPECT_EQ(log_c->PublishLease(taken, last.sequence, "c-1", absl::Seconds(5))
                  .value_or(0),
              taken_at);
    EXPECT_EQ(log_c->PublishLease(taken, last.sequence, "c-2", absl::Seconds(5))
                  .status()
                  .code(),
              absl::StatusCode::kAborted);
  }
  ASSERT_TRUE(Eventually([&] { return seen_a.stopped == 1; }));
  // One of them takes the lapsed lease, at a later epoch; the other names
  // it.
  ASSERT_TRUE(Eventually([&] { return a.writing() || b.writing(); }));
  const bool a_writes = a.writing();
  WriterLease& writer = a_writes ? a : b;
  WriterLease& other = a_writes ? b : a;
  const std::string writer_id = a_writes ? "a" : "b";
  EXPECT_GT(writer.WriteEpoch().value_or(0), taken_at);
  EXPECT_GT(taken_at, epoch_a);
  ASSERT_TRUE(Eventually([&] {
    return WriterAddress(other.WriteEpoch().status()) ==
           writer_id + ".example:50051";
  }));
  EXPECT_FALSE(other.writing());

  // A node that cannot write (its copy stopped following, say) never
  // takes the lease.
  WriterLeaseOptions unable = options("d", &seen_d);
  unable.may_write = [] {
    return absl::DataLossError("this copy stopped following");
  };
  WriterLease d(log_b.get(), std::move(unable));
  d.Start();

  // The writer stops: the lease stream's last message is its lease of no
  // length (handed over, not left to lapse), and the other writes.
  writer.Stop();
  EXPECT_FALSE(writer.writing());
  {
    const NatsLog::LeaseMessage released = LastLease(*log_a);
    if (released.lease.node_id() == writer_id) {
      EXPECT_EQ(released.lease.lease_ms(), 0);
    } else {  // Taken already, after the release.
      EXPECT_EQ(released.lease.node_id(), a_writes ? "b" : "a");
    }
  }
  ASSERT_TRUE(Eventually([&] { return other.writing(); }));
  EXPECT_EQ(seen_a.readied + seen_b.readied, 3);
  EXPECT_FALSE(d.writing());
  EXPECT_EQ(seen_d.readied, 0);
  d.Stop();
}

}  // namespace
}  // namespace ledger
