// A replicated log at the store's level (docs/design/replication.md, step
// 2): a writer hands each group commit to its log of record before writing
// it, and a follower writes the same groups into its own copy with
// EventStore::ApplyReplicated. The log of record here is a list of
// serialized GroupRecords in memory that takes a publish only when it names
// the last sequence number (the one guarantee of JetStream's
// Nats-Expected-Last-Sequence the store relies on); the tests with real
// nats-server processes come with the NATS backend.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "ledger/store/chain.h"
#include "ledger/store/event_store.h"
#include "ledger/store/limits.h"
#include "ledger/store/signed_note.h"
#include "ledger/v1/storage.pb.h"
#include "tests/replicated_log_util.h"
#include "tests/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::Command;
using ::ledger::testing::Records;
using ::ledger::testing::Request;
using ::ledger::testing::TempDir;
using ::testing::HasSubstr;

// transparency-dev/formats' test key for the log "Log".
constexpr char kLogKey[] =
    "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ";

std::shared_ptr<const NoteSigner> Signer() {
  absl::StatusOr<NoteSigner> signer = NoteSigner::Parse(kLogKey);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return std::make_shared<const NoteSigner>(*std::move(signer));
}

// The log of record: groups in order, each published only after the last
// sequence its publisher names.
class LogOfRecord {
 public:
  absl::StatusOr<uint64_t> Publish(const v1::GroupRecord& group,
                                   uint64_t after) {
    absl::MutexLock lock(&mu_);
    if (after != messages_.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("wrong last sequence: ", messages_.size()));
    }
    messages_.push_back(group.SerializeAsString());
    return messages_.size();
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }

  v1::GroupRecord At(uint64_t sequence) const {
    absl::MutexLock lock(&mu_);
    v1::GroupRecord group;
    EXPECT_TRUE(group.ParseFromString(messages_.at(sequence - 1)));
    return group;
  }

  // Writes into `store` every group past the last it holds.
  absl::Status CatchUp(EventStore& store) const {
    for (uint64_t s = store.replicated_sequence() + 1; s <= size(); ++s) {
      if (absl::Status applied = store.ApplyReplicated(At(s), s);
          !applied.ok()) {
        return applied;
      }
    }
    return absl::OkStatus();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> messages_ ABSL_GUARDED_BY(mu_);
};

EventStoreOptions Writer(LogOfRecord* log, uint64_t checkpoint_every = 64) {
  EventStoreOptions options;
  options.checkpoint_signer = Signer();
  options.checkpoint_every_events = checkpoint_every;
  options.checkpoint_every = absl::ZeroDuration();
  options.replicate = [log](v1::GroupRecord* group, uint64_t after) {
    group->set_writer("test-writer");
    return log->Publish(*group, after);
  };
  return options;
}

// A node that is not the writer: its own appends and checkpoints are
// refused; it only applies what the log of record holds.
EventStoreOptions Follower() {
  EventStoreOptions options = Writer(nullptr);
  options.replicate = [](v1::GroupRecord*, uint64_t) {
    return absl::UnavailableError("this node follows the writer");
  };
  return options;
}

std::unique_ptr<EventStore> MustOpen(const std::string& dir,
                                     EventStoreOptions options) {
  auto store = EventStore::Open(dir, std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Everything a reader can ask both stores gives the same answer.
void ExpectSameLog(const EventStore& writer, const EventStore& follower,
                   const std::vector<std::string>& command_ids,
                   const std::vector<std::string>& streams) {
  EXPECT_EQ(Records(writer), Records(follower));
  const LogHead head = writer.log_head();
  EXPECT_EQ(follower.log_head().position_last, head.position_last);
  EXPECT_EQ(follower.log_head().hash_last, head.hash_last);
  EXPECT_EQ(follower.replicated_sequence(), writer.replicated_sequence());
  auto root = writer.TreeRoot(head.position_last);
  auto follower_root = follower.TreeRoot(head.position_last);
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(follower_root.ok()) << follower_root.status();
  EXPECT_EQ(*follower_root, *root);
  auto checkpoint = writer.LatestCheckpoint();
  auto follower_checkpoint = follower.LatestCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  ASSERT_TRUE(follower_checkpoint.ok()) << follower_checkpoint.status();
  EXPECT_EQ(follower_checkpoint->note, checkpoint->note);
  for (uint64_t size = 1; size <= head.position_last; ++size) {
    auto at = writer.CheckpointAt(size);
    auto follower_at = follower.CheckpointAt(size);
    EXPECT_EQ(at.ok(), follower_at.ok()) << size;
    if (at.ok() && follower_at.ok()) {
      EXPECT_EQ(follower_at->note, at->note);
    }
  }
  for (const std::string& id : command_ids) {
    auto found = writer.FindCommand(id, id);
    auto follower_found = follower.FindCommand(id, id);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_TRUE(follower_found.ok()) << follower_found.status();
    ASSERT_EQ(found->has_value(), follower_found->has_value()) << id;
    if (!found->has_value()) continue;
    EXPECT_EQ((*follower_found)->stream_id, (*found)->stream_id);
    EXPECT_EQ((*follower_found)->position_first, (*found)->position_first);
    EXPECT_EQ((*follower_found)->position_last, (*found)->position_last);
    EXPECT_EQ((*follower_found)->revision_last, (*found)->revision_last);
  }
  for (const std::string& stream : streams) {
    auto h = writer.Head(stream);
    auto fh = follower.Head(stream);
    ASSERT_EQ(h.ok(), fh.ok()) << stream;
    if (!h.ok()) continue;
    EXPECT_EQ(fh->revision_last, h->revision_last);
    EXPECT_EQ(fh->position_last, h->position_last);
    auto page = writer.ReadStream(stream, std::nullopt,
                                  ReadDirection::kBackward, kMaxPageSize);
    auto follower_page = follower.ReadStream(
        stream, std::nullopt, ReadDirection::kBackward, kMaxPageSize);
    ASSERT_TRUE(page.ok() && follower_page.ok());
    ASSERT_EQ(follower_page->size(), page->size());
    for (size_t i = 0; i < page->size(); ++i) {
      EXPECT_EQ((*follower_page)[i].SerializeAsString(),
                (*page)[i].SerializeAsString());
    }
  }
}

// Appends from four threads: new streams, streams that grow, appends
// refused for a stale revision, and retries of command ids.
void AppendFromThreads(EventStore& store, std::vector<std::string>* ids,
                       std::vector<std::string>* streams) {
  constexpr int kThreads = 4;
  constexpr int kEach = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string stream = absl::StrCat("complaint-", t, "-", i % 7);
        const std::string id = absl::StrCat("cmd-", t, "-", i);
        auto first = store.Append(Command(stream, 1 + i % 4, id));
        ASSERT_TRUE(first.ok()) << first.status();
        if (i % 5 == 0) {  // A retry: the first result, nothing appended.
          auto again = store.Append(Command(stream, 1 + i % 4, id));
          ASSERT_TRUE(again.ok()) << again.status();
          EXPECT_TRUE(again->duplicate);
          EXPECT_EQ(again->position_first, first->position_first);
        }
        if (i % 9 == 0) {  // A stale revision: refused, nothing appended.
          auto stale = store.Append(Request(
              stream, 1, ExpectedRevision::Exact(first->revision_last + 5)));
          EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      ids->push_back(absl::StrCat("cmd-", t, "-", i));
    }
    for (int s = 0; s < 7; ++s) {
      streams->push_back(absl::StrCat("complaint-", t, "-", s));
    }
  }
  ids->push_back("cmd-never-sent");
  streams->push_back("complaint-never-written");
}

TEST(ReplicatedStoreTest, AFollowerHoldsWhatTheWriterWrote) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto writer = MustOpen(dir.Sub("writer"), Writer(&log));
  std::vector<v1::Event> followed;
  EventStoreOptions follower_options = Follower();
  follower_options.on_commit = [&followed](CommittedEvents events) {
    for (const v1::Event& e : *events) followed.push_back(e);
  };
  auto follower = MustOpen(dir.Sub("follower"), std::move(follower_options));
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(follower, nullptr);

  std::vector<std::string> ids, streams;
  AppendFromThreads(*writer, &ids, &streams);
  // One group per message, each holding what its group wrote.
  EXPECT_EQ(writer->replicated_sequence(), log.size());
  EXPECT_EQ(log.At(1).position_first(), 1u);
  EXPECT_EQ(log.At(1).writer(), "test-writer");

  ASSERT_TRUE(log.CatchUp(*follower).ok());
  ExpectSameLog(*writer, *follower, ids, streams);
  // The follower's listeners saw every event once, in order.
  ASSERT_EQ(followed.size(), writer->log_head().position_last);
  for (size_t i = 0; i < followed.size(); ++i) {
    EXPECT_EQ(followed[i].position(), i + 1);
  }
  // The follower's own appends went to the writer's log of record, which
  // refused them: nothing of them is here.
  auto own = follower->Append(Request("complaint-elsewhere", 1));
  EXPECT_EQ(own.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(follower->log_head().position_last,
            writer->log_head().position_last);

  // The writer's checkpoint at close (when the last group's did not sign
  // the whole log) is a group of the log too.
  const size_t before_close = log.size();
  const bool signs_at_close =
      writer->LatestCheckpoint()->size != writer->log_head().position_last;
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_EQ(log.size(), before_close + (signs_at_close ? 1 : 0));
  if (signs_at_close) {
    EXPECT_EQ(log.At(log.size()).events_size(), 0);
  }
  ASSERT_TRUE(log.CatchUp(*follower).ok());
  writer = MustOpen(dir.Sub("writer"), Writer(&log));
  ExpectSameLog(*writer, *follower, ids, streams);
  EXPECT_EQ(follower->LatestCheckpoint()->size,
            writer->log_head().position_last);
}

TEST(ReplicatedStoreTest, AGroupTheLogOfRecordRefusesIsWrittenNowhere) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  EventStoreOptions options = Writer(&log);
  std::atomic<bool> refuse{true};
  options.replicate = [&log, &refuse](v1::GroupRecord* group, uint64_t after) {
    if (refuse.load()) {
      return absl::StatusOr<uint64_t>(
          absl::UnavailableError("no JetStream quorum"));
    }
    return log.Publish(*group, after);
  };
  auto store = MustOpen(dir.path(), std::move(options));
  ASSERT_NE(store, nullptr);
  auto refused = store->Append(
      Request("complaint-1", 2, ExpectedRevision::NoStream(), "cmd-1"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(refused.status().message(), "no JetStream quorum");
  EXPECT_EQ(store->log_head().position_last, 0u);
  EXPECT_EQ(store->Head("complaint-1").status().code(),
            absl::StatusCode::kNotFound);
  auto found = store->FindCommand("cmd-1", "");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  // The store goes on: the same append, once the log takes it, is new.
  refuse = false;
  auto taken = store->Append(
      Request("complaint-1", 2, ExpectedRevision::NoStream(), "cmd-1"));
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_FALSE(taken->duplicate);
  EXPECT_EQ(taken->position_first, 1u);
  EXPECT_EQ(store->replicated_sequence(), 1u);
  EXPECT_EQ(log.size(), 1u);
}

TEST(ReplicatedStoreTest, AnInDoubtGroupComesBackFromTheLogOfRecord) {
  // The log took the group but its answer was lost: the appender hears an
  // error, the store wrote nothing; the group arrives from the log, and the
  // retry with the command id gets the original result.
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  EventStoreOptions options = Writer(&log);
  std::atomic<bool> lose_answer{true};
  options.replicate = [&log, &lose_answer](v1::GroupRecord* group,
                                           uint64_t after) {
    absl::StatusOr<uint64_t> published = log.Publish(*group, after);
    if (published.ok() && lose_answer.exchange(false)) {
      return absl::StatusOr<uint64_t>(
          absl::DeadlineExceededError("no answer from JetStream"));
    }
    return published;
  };
  auto store = MustOpen(dir.path(), std::move(options));
  ASSERT_NE(store, nullptr);
  auto lost = store->Append(
      Request("complaint-1", 3, ExpectedRevision::NoStream(), "cmd-1"));
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(store->log_head().position_last, 0u);
  EXPECT_EQ(log.size(), 1u);

  // Another append now would fork the log: refused by the log of record.
  auto fenced = store->Append(Request("complaint-2", 1));
  EXPECT_EQ(fenced.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log.size(), 1u);

  ASSERT_TRUE(log.CatchUp(*store).ok());
  EXPECT_EQ(store->log_head().position_last, 3u);
  auto retry = store->Append(
      Request("complaint-1", 3, ExpectedRevision::NoStream(), "cmd-1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->position_first, 1u);
  EXPECT_EQ(retry->position_last, 3u);
  auto next = store->Append(Request("complaint-2", 1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->position_first, 4u);
  EXPECT_EQ(store->replicated_sequence(), 2u);
}

TEST(ReplicatedStoreTest, ADeposedWriterIsFencedThenFollows) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto a = MustOpen(dir.Sub("a"), Writer(&log));
  auto b = MustOpen(dir.Sub("b"), Writer(&log));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a->Append(Request(absl::StrCat("complaint-a", i), 2)).ok());
  }
  // b takes over: it catches up first, then writes.
  ASSERT_TRUE(log.CatchUp(*b).ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b->Append(Request(absl::StrCat("complaint-b", i), 1)).ok());
  }
  // a has not seen b's groups: whatever it writes would fork the log.
  const LogHead a_before = a->log_head();
  auto forked = a->Append(Request("complaint-a0", 1));
  EXPECT_EQ(forked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->log_head().position_last, a_before.position_last);
  EXPECT_EQ(log.size(), 5u);
  // It follows, and then holds b's log exactly.
  ASSERT_TRUE(log.CatchUp(*a).ok());
  EXPECT_EQ(Records(*a), Records(*b));
  EXPECT_EQ(a->replicated_sequence(), 5u);
}

TEST(ReplicatedStoreTest, GroupsAreWrittenOnceAcrossRepeatsAndRestarts) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto writer = MustOpen(dir.Sub("writer"), Writer(&log, 8));
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        writer->Append(Request(absl::StrCat("complaint-", i % 3), 1 + i % 3))
            .ok());
  }
  const uint64_t half = log.size() / 2;
  {
    auto follower = MustOpen(dir.Sub("follower"), Follower());
    ASSERT_NE(follower, nullptr);
    for (uint64_t s = 1; s <= half; ++s) {
      ASSERT_TRUE(follower->ApplyReplicated(log.At(s), s).ok());
    }
    const std::vector<std::string> before = Records(*follower);
    // Again: here already, nothing written.
    EXPECT_TRUE(follower->ApplyReplicated(log.At(half), half).ok());
    EXPECT_TRUE(follower->ApplyReplicated(log.At(1), 1).ok());
    EXPECT_EQ(Records(*follower), before);
    EXPECT_EQ(follower->ApplyReplicated(log.At(1), 0).code(),
              absl::StatusCode::kInvalidArgument);
  }
  // Reopened, it knows where it stopped and goes on from there.
  auto follower = MustOpen(dir.Sub("follower"), Follower());
  ASSERT_NE(follower, nullptr);
  EXPECT_EQ(follower->replicated_sequence(), half);
  ASSERT_TRUE(log.CatchUp(*follower).ok());
  EXPECT_EQ(Records(*follower), Records(*writer));
  EXPECT_EQ(follower->LatestCheckpoint()->note,
            writer->LatestCheckpoint()->note);
}

// The group's events chained again from its hash_before, as a writer that
// made them so would have.
void Rechain(v1::GroupRecord* group) {
  std::string previous = group->hash_before();
  for (v1::Event& e : *group->mutable_events()) {
    e.set_previous_hash(previous);
    e.set_hash(ComputeEventHash(e));
    previous = e.hash();
  }
}

TEST(ReplicatedStoreTest, AnUnsoundGroupIsRefusedAndNothingOfItWritten) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto writer = MustOpen(dir.Sub("writer"), Writer(&log, 4));
  auto follower = MustOpen(dir.Sub("follower"), Follower());
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(follower, nullptr);
  ASSERT_TRUE(writer->Append(Request("complaint-1", 2)).ok());
  ASSERT_TRUE(log.CatchUp(*follower).ok());
  // The next group: an append to the same stream with a command id, and a
  // checkpoint (4 events).
  ASSERT_TRUE(writer
                  ->Append(Command("complaint-1", 2, "cmd-2",
                                   ExpectedRevision::Exact(1)))
                  .ok());
  const v1::GroupRecord sound = log.At(2);
  ASSERT_EQ(sound.events_size(), 2);
  ASSERT_EQ(sound.commands_size(), 1);
  ASSERT_EQ(sound.checkpoint_size(), 4u);

  struct Case {
    std::string name;
    std::function<void(v1::GroupRecord*)> change;
    std::string says;  // In the refusal's message.
    absl::StatusCode code = absl::StatusCode::kDataLoss;
  };
  const std::vector<Case> cases = {
      {"a gap", [](v1::GroupRecord* g) { g->set_position_first(4); },
       "does not continue this log, which ends at 2"},
      {"another log's hash_before",
       [](v1::GroupRecord* g) {
         g->set_hash_before(std::string(32, '\x01'));
         Rechain(g);
       },
       "its hash_before is not the hash of event 2"},
      {"a changed payload",
       [](v1::GroupRecord* g) { g->mutable_events(1)->set_payload("x"); },
       "hash does not match its content"},
      {"a position out of order",
       [](v1::GroupRecord* g) {
         g->mutable_events(1)->set_position(5);
         Rechain(g);
       },
       "next event has position 5"},
      {"a revision skipped",
       [](v1::GroupRecord* g) {
         g->mutable_events(0)->set_revision(3);
         g->mutable_events(1)->set_revision(4);
         Rechain(g);
       },
       "event 3 is revision 3 of stream complaint-1, whose next is 2"},
      {"a stream id the index cannot hold",
       [](v1::GroupRecord* g) {
         g->mutable_events(0)->set_stream_id(std::string("a\0b", 3));
         Rechain(g);
       },
       "stream_id may only hold printable ASCII"},
      {"an event bigger than an append may hold",
       [](v1::GroupRecord* g) {
         g->mutable_events(1)->set_payload(std::string(kMaxEventBytes, 'x'));
         Rechain(g);
       },
       "outside what an append may hold"},
      {"an event with fields no hash covers",
       [](v1::GroupRecord* g) {
         v1::Event* e = g->mutable_events(1);
         e->GetReflection()->MutableUnknownFields(e)->AddVarint(99, 1);
       },
       "fields no hash covers"},
      {"a command's record past its events",
       [](v1::GroupRecord* g) {
         g->mutable_commands(0)->mutable_record()->set_position_last(9);
       },
       "the record of command id cmd-2 is not the append its events make"},
      {"a command's record of another revision",
       [](v1::GroupRecord* g) {
         g->mutable_commands(0)->mutable_record()->set_revision_last(7);
       },
       "the record of command id cmd-2 is not the append its events make"},
      {"a command's record under another id",
       [](v1::GroupRecord* g) {
         g->mutable_commands(0)->set_command_id("cmd-other");
       },
       "the record of command id cmd-2 is not the append its events make"},
      {"a command without its record",
       [](v1::GroupRecord* g) { g->clear_commands(); },
       "it records 0 command ids for 1 appends with one"},
      {"a record of a command no event carries",
       [](v1::GroupRecord* g) {
         for (v1::Event& e : *g->mutable_events()) e.clear_command_id();
         Rechain(g);
       },
       "it records 1 command ids for 0 appends with one"},
      {"a checkpoint of another size",
       [](v1::GroupRecord* g) { g->set_checkpoint_size(3); },
       "a checkpoint of 3 events in a group ending at position 4"},
      {"a checkpoint not signed",
       [](v1::GroupRecord* g) {
         std::string note = g->checkpoint_note();
         note[note.size() - 5] ^= 1;
         g->set_checkpoint_note(note);
       },
       "is not one the log signed"},
      {"a checkpoint of other events",
       [](v1::GroupRecord* g) {
         // Soundly chained, and signed, but over the writer's events; these
         // are others.
         g->mutable_events(1)->set_payload("other");
         Rechain(g);
       },
       "its checkpoint of 4 events signs root"},
  };
  const std::vector<std::string> before = Records(*follower);
  for (const Case& c : cases) {
    v1::GroupRecord changed = sound;
    c.change(&changed);
    absl::Status applied = follower->ApplyReplicated(changed, 2);
    EXPECT_EQ(applied.code(), c.code) << c.name << ": " << applied;
    EXPECT_THAT(std::string(applied.message()), HasSubstr(c.says)) << c.name;
    EXPECT_EQ(Records(*follower), before) << c.name;
    EXPECT_EQ(follower->replicated_sequence(), 1u) << c.name;
  }
  // Not the next sequence number: nothing written, whatever the group.
  absl::Status skipped = follower->ApplyReplicated(sound, 3);
  EXPECT_EQ(skipped.code(), absl::StatusCode::kFailedPrecondition) << skipped;
  EXPECT_THAT(std::string(skipped.message()),
              HasSubstr("is not the next for this copy, which holds up to 1"));
  EXPECT_EQ(Records(*follower), before);
  // A node without the log's key cannot take its checkpoints.
  EventStoreOptions keyless = Follower();
  keyless.checkpoint_signer = nullptr;
  auto unkeyed = MustOpen(dir.Sub("keyless"), std::move(keyless));
  ASSERT_NE(unkeyed, nullptr);
  ASSERT_TRUE(unkeyed->ApplyReplicated(log.At(1), 1).ok());
  EXPECT_EQ(unkeyed->ApplyReplicated(sound, 2).code(),
            absl::StatusCode::kFailedPrecondition);

  // The sound group still applies.
  ASSERT_TRUE(follower->ApplyReplicated(sound, 2).ok());
  EXPECT_EQ(Records(*follower), Records(*writer));
  auto found = follower->FindCommand("cmd-2", "cmd-2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->position_first, 3u);
  // A command id recorded twice is refused too.
  ASSERT_TRUE(
      writer
          ->Append(Request("complaint-9", 1, ExpectedRevision::Any(), "cmd-9"))
          .ok());
  v1::GroupRecord again = log.At(3);
  again.mutable_events(0)->set_command_id("cmd-2");
  Rechain(&again);
  again.mutable_commands(0)->set_command_id("cmd-2");
  again.clear_checkpoint_note();
  again.set_checkpoint_size(0);
  absl::Status twice = follower->ApplyReplicated(again, 3);
  EXPECT_EQ(twice.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(twice.message()),
              HasSubstr("command id cmd-2 was recorded before, at positions "
                        "3..4"));
  ASSERT_TRUE(log.CatchUp(*follower).ok());
  EXPECT_EQ(Records(*follower), Records(*writer));
}

TEST(ReplicatedStoreTest, ManyGroupsInOneWriteAllOrNone) {
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto writer = MustOpen(dir.Sub("writer"), Writer(&log, 16));
  ASSERT_NE(writer, nullptr);
  std::vector<std::string> ids, streams;
  AppendFromThreads(*writer, &ids, &streams);
  std::vector<v1::GroupRecord> records;
  for (uint64_t s = 1; s <= log.size(); ++s) records.push_back(log.At(s));
  std::vector<ReplicatedGroup> groups;
  for (size_t i = 0; i < records.size(); ++i) {
    groups.push_back(ReplicatedGroup{&records[i], i + 1});
  }
  auto follower = MustOpen(dir.Sub("follower"), Follower());
  ASSERT_NE(follower, nullptr);
  // One unsound group among them: none of them is written.
  const size_t bad = records.size() / 2;
  const std::string payload = records[bad].events(0).payload();
  records[bad].mutable_events(0)->set_payload("changed");
  absl::Status refused = follower->ApplyReplicatedGroups(groups);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr(absl::StrCat("at sequence ", bad + 1)));
  EXPECT_EQ(follower->log_head().position_last, 0u);
  EXPECT_EQ(follower->replicated_sequence(), 0u);
  // Sound, in two calls (the second overlapping the first): the writer's
  // log, tree, checkpoints and command ids.
  records[bad].mutable_events(0)->set_payload(payload);
  ASSERT_TRUE(follower
                  ->ApplyReplicatedGroups(
                      absl::MakeConstSpan(groups).subspan(0, bad + 1))
                  .ok());
  ASSERT_TRUE(follower->ApplyReplicatedGroups(groups).ok());
  ExpectSameLog(*writer, *follower, ids, streams);
  // Groups here already are skipped; one past the next is refused.
  EXPECT_TRUE(
      follower->ApplyReplicatedGroups(absl::MakeConstSpan(groups).subspan(1))
          .ok());
  const ReplicatedGroup gap{&records[0], log.size() + 2};
  EXPECT_EQ(
      follower->ApplyReplicatedGroups(absl::MakeConstSpan(&gap, 1)).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Records(*follower), Records(*writer));
}

TEST(ReplicatedStoreTest, AFollowerSignsNothingOfItsOwn) {
  // The log of record takes a group from any node whose copy is caught up
  // (that is all JetStream's expected sequence checks), so a follower that
  // signed a checkpoint when one fell due would put it in the log and
  // depose the writer. Close forces the checkpoint that is due.
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto writer = MustOpen(dir.Sub("writer"), Writer(&log, 1000));
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(writer->Append(Request(absl::StrCat("complaint-", i), 2)).ok());
  }
  {
    auto follower = MustOpen(dir.Sub("follower"), Writer(&log, 1000));
    ASSERT_NE(follower, nullptr);
    ASSERT_TRUE(log.CatchUp(*follower).ok());
    ASSERT_TRUE(follower->Close().ok());
  }
  EXPECT_EQ(log.size(), 5u);
  // Nor after a restart, before a group of its own.
  {
    auto follower = MustOpen(dir.Sub("follower"), Writer(&log, 1000));
    ASSERT_NE(follower, nullptr);
    ASSERT_TRUE(follower->Close().ok());
  }
  EXPECT_EQ(log.size(), 5u);
  // The writer, whose group is the last, signs at its close.
  ASSERT_TRUE(writer->Close().ok());
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log.At(6).checkpoint_size(), 10u);
  // And a follower that wrote a group of its own (it is the writer now)
  // signs too.
  auto follower = MustOpen(dir.Sub("follower"), Writer(&log, 1000));
  ASSERT_NE(follower, nullptr);
  ASSERT_TRUE(log.CatchUp(*follower).ok());
  ASSERT_TRUE(follower->Append(Request("complaint-f", 1)).ok());
  ASSERT_TRUE(follower->Close().ok());
  ASSERT_EQ(log.size(), 8u);
  EXPECT_EQ(log.At(8).checkpoint_size(), 11u);
}

TEST(ReplicatedStoreTest, GroupsStayWithinAMessage) {
  // 200 appends of 60 KB queued at once: ~12 MB, more than one message of
  // the log of record may hold, so the writer cuts them into groups.
  TempDir dir(TempDir::Where::kMemoryIfAvailable);
  LogOfRecord log;
  auto store = MustOpen(dir.path(), Writer(&log, 0));
  ASSERT_NE(store, nullptr);
  std::vector<EventStore::AsyncAppend> appends;
  absl::Mutex mu;
  int acknowledged = 0;
  absl::Notification all_done;
  for (int i = 0; i < 200; ++i) {
    AppendRequest request;
    request.stream_id = absl::StrCat("attachment-", i);
    request.events.push_back(testing::Event(
        "test.Attached",
        std::string(60 * 1024, static_cast<char>('a' + i % 26))));
    appends.push_back({std::move(request), [&](absl::StatusOr<AppendResult> r) {
                         EXPECT_TRUE(r.ok()) << r.status();
                         absl::MutexLock lock(&mu);
                         if (++acknowledged == 200) all_done.Notify();
                       }});
  }
  store->AppendAllAsync(std::move(appends));
  all_done.WaitForNotification();
  EXPECT_EQ(store->log_head().position_last, 200u);
  EXPECT_GE(log.size(), 3u);
  for (uint64_t s = 1; s <= log.size(); ++s) {
    EXPECT_LE(log.At(s).ByteSizeLong(), kMaxBytesPerCommit + kMaxEventBytes)
        << s;
  }
}

}  // namespace
}  // namespace ledger
