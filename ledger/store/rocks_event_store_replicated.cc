// The replicated path (EventStoreOptions::replicate,
// docs/design/replication.md): a writer's group as a record for the log of
// record, and the log of record's groups written into this copy, checked
// as the writer's own checks would have.
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/unknown_field_set.h"
#include "ledger/base/check.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/chain.h"
#include "ledger/store/internal/append_validation.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/internal/merkle_tree.h"
#include "ledger/store/internal/rocks_event_store.h"
#include "ledger/store/internal/rocks_event_store_group.h"
#include "ledger/store/internal/rocks_status.h"
#include "ledger/store/limits.h"
#include "rocksdb/write_batch.h"

namespace ledger::internal {
namespace {

// What a replicated event takes in a write batch, about (the event, its
// keys in the stream index, its command's record, the tree's nodes).
constexpr size_t kBatchBytesPerReplicatedEvent = 1024;
// Beyond it a batch grows as it fills (16 groups of 8,192 events would ask
// for 128 MiB).
constexpr size_t kMaxReservedBatchBytes = size_t{32} << 20;

}  // namespace

v1::GroupRecord RocksEventStore::RecordOf(
    const Group& group, const std::optional<SignedCheckpoint>& checkpoint) {
  v1::GroupRecord record;
  record.set_position_first(next_position_);
  record.set_hash_before(hash_last_);
  record.mutable_events()->Reserve(group.events.size());
  for (const v1::Event& event : group.events) *record.add_events() = event;
  std::vector<std::pair<absl::string_view, const v1::CommandRecord*>> commands;
  commands.reserve(group.commands.size());
  for (const auto& [id, command] : group.commands) {
    commands.emplace_back(id, &command);
  }
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) {
    return a.second->position_first() < b.second->position_first();
  });
  for (const auto& [id, command] : commands) {
    v1::ReplicatedCommand* c = record.add_commands();
    c->set_command_id(std::string(id));
    *c->mutable_record() = *command;
  }
  if (checkpoint.has_value()) {
    record.set_checkpoint_size(checkpoint->size);
    record.set_checkpoint_note(checkpoint->note);
  }
  return record;
}

absl::Status RocksEventStore::Replicate(v1::GroupRecord record, Group* group) {
  absl::StatusOr<uint64_t> sequence = options_.replicate(&record, sequence_);
  if (!sequence.ok()) return sequence.status();
  if (*sequence != sequence_ + 1) {
    // The log of record holds the group somewhere this copy cannot put it:
    // written nowhere here, and no more appends until a reopen.
    StopAppendsAfter(absl::InternalError(absl::StrCat(
        "the log of record took the group at sequence ", *sequence,
        ", not at the one after this copy's last (", sequence_, ")")));
    return write_error_;
  }
  group->sequence = *sequence;
  group->batch.Put(kReplicatedSequenceKey, PositionKey(*sequence));
  // This node's own group is the log's last: it may sign again.
  signs_ = true;
  return absl::OkStatus();
}

absl::Status RocksEventStore::ApplyReplicated(const v1::GroupRecord& group,
                                              uint64_t sequence) {
  const ReplicatedGroup one{&group, sequence};
  return ApplyReplicatedGroups(absl::MakeConstSpan(&one, 1));
}

absl::Status RocksEventStore::ApplyReplicatedGroups(
    absl::Span<const ReplicatedGroup> groups) {
  if (std::this_thread::get_id() == writer_.get_id()) {
    return absl::FailedPreconditionError(
        "ApplyReplicated was called on the store's writer thread (from a "
        "hook or listener), which would wait for itself");
  }
  absl::Notification done;
  absl::Status status;
  ApplyReplicatedGroupsAsync(groups, [&](absl::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

void RocksEventStore::ApplyReplicatedGroupsAsync(
    absl::Span<const ReplicatedGroup> groups,
    std::function<void(absl::Status)> done) {
  if (groups.empty()) return done(absl::OkStatus());
  for (const ReplicatedGroup& g : groups) {
    if (g.sequence == 0 || g.record == nullptr) {
      return done(absl::InvalidArgumentError(
          "a replicated group's sequence number starts at 1"));
    }
  }
  if (damaged_.load(std::memory_order_relaxed)) return done(damage());
  if (options_.read_only) {
    return done(absl::FailedPreconditionError("the store is open read-only"));
  }
  PendingAppend pending;
  pending.replicated = groups;
  pending.done = [done = std::move(done)](absl::StatusOr<AppendResult> r) {
    done(r.status());
  };
  std::vector<PendingAppend> one;
  one.push_back(std::move(pending));
  Enqueue(std::move(one));
}

absl::Status RocksEventStore::ApplyGroups(
    absl::Span<const ReplicatedGroup> groups) {
  // Here already: the ones up to this copy's sequence.
  while (!groups.empty() && groups.front().sequence <= sequence_) {
    groups.remove_prefix(1);
  }
  if (groups.empty()) return absl::OkStatus();
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].sequence != sequence_ + 1 + i) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the log of record's group at sequence ", groups[i].sequence,
          " is not the next for this copy, which holds up to ", sequence_ + i));
    }
  }
  RETURN_IF_ERROR(write_error_);
  if (!tree_ready_) {
    return absl::FailedPreconditionError(
        "this store has no Merkle tree to apply a replicated group to");
  }
  const uint64_t next_position_before = next_position_;
  const auto stage_start = std::chrono::steady_clock::now();
  Group group;
  group.next_position = next_position_;
  group.hash_last = hash_last_;
  // Sized once: grown as they filled (a write holds thousands of events),
  // they were a fifth of this thread's time in a new node's replay (perf).
  size_t events = 0;
  size_t commands = 0;
  for (const ReplicatedGroup& g : groups) {
    events += g.record->events_size();
    commands += g.record->commands_size();
  }
  group.events.reserve(events);
  group.heads.reserve(events);
  group.commands.reserve(commands);
  group.batch = rocksdb::WriteBatch(
      std::min(events * kBatchBytesPerReplicatedEvent, kMaxReservedBatchBytes));
  TreeAppender tree(tree_);
  std::optional<SignedCheckpoint> checkpoint;
  size_t in_tree = 0;
  for (const ReplicatedGroup& g : groups) {
    RETURN_IF_ERROR(StageReplicated(*g.record, g.sequence, &group));
    for (; in_tree < group.events.size(); ++in_tree) {
      tree.Append(merkle::LeafHash(group.events[in_tree].hash()));
    }
    absl::StatusOr<std::optional<SignedCheckpoint>> signed_here =
        StageReplicatedCheckpoint(*g.record, tree.range(), &group.batch);
    if (!signed_here.ok()) {
      return absl::Status(
          signed_here.status().code(),
          absl::StrCat("the log of record's group at sequence ", g.sequence,
                       ": ", signed_here.status().message()));
    }
    if (signed_here->has_value()) checkpoint = **std::move(signed_here);
  }
  tree.Stage(cf(kMerkle), &group.batch);
  const uint64_t sequence = groups.back().sequence;
  group.sequence = sequence;
  group.batch.Put(kReplicatedSequenceKey, PositionKey(sequence));
  const auto write_start = std::chrono::steady_clock::now();
  command_filter_.AddAll(group.commands);
  head_filter_.AddAll(group.new_streams);
  RETURN_IF_ERROR(
      WriteSyncedOrStop(&group.batch, "writing a replicated group"));
  Advance(group, tree.range(), checkpoint);
  // Another node wrote them: this one signs again only after a group of its
  // own went into the log of record.
  signs_ = false;
  RecordGroup(0, next_position_ - next_position_before, stage_start,
              write_start, std::move(checkpoint));
  if (next_position_ != next_position_before) {
    CommittedEvents events =
        std::make_shared<const std::vector<v1::Event>>(std::move(group.events));
    if (options_.on_commit) options_.on_commit(events);
    if (options_.on_replicated) options_.on_replicated(std::move(events));
  }
  return absl::OkStatus();
}

namespace {

// Fields of a newer schema than this build's: no hash covers them, and
// the writer never sends them.
bool HasUnknownFields(const google::protobuf::Message& message) {
  return !message.GetReflection()->GetUnknownFields(message).empty();
}

// What the writer's checks (append_validation.cc) ensure of an event, for
// one that arrives made: INVALID_ARGUMENT-style text naming the field.
absl::Status CheckReplicatedEvent(const v1::Event& event) {
  RETURN_IF_ERROR(ValidateStreamId(event.stream_id()));
  if (HasUnknownFields(event)) {
    return absl::InvalidArgumentError("it holds fields no hash covers");
  }
  if (event.event_type().empty() ||
      event.event_type().size() > kMaxEventTypeBytes ||
      event.actor().size() > kMaxActorBytes ||
      event.correlation_id().size() > kMaxCorrelationIdBytes ||
      event.causation_id().size() > kMaxCorrelationIdBytes ||
      event.command_id().size() > kMaxCommandIdBytes ||
      event.schema_version() == 0 ||
      event.event_type().size() + event.payload().size() +
              event.actor().size() + event.correlation_id().size() +
              event.causation_id().size() >
          kMaxEventBytes) {
    return absl::InvalidArgumentError(
        "its fields are outside what an append may hold (limits.h)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RocksEventStore::StageReplicated(const v1::GroupRecord& record,
                                              uint64_t sequence, Group* group) {
  auto unsound = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "the log of record's group at sequence ", sequence, " (positions from ",
        record.position_first(), "): ", what));
  };
  const uint64_t end = group->next_position - 1;
  // This record's events start here (a write may hold several records).
  const size_t first_event = group->events.size();
  if (record.position_first() != group->next_position) {
    return unsound(
        absl::StrCat("it does not continue this log, which ends at ", end));
  }
  if (record.hash_before() != group->hash_last) {
    return unsound(absl::StrCat(
        "it does not continue this log: its hash_before is not the hash of "
        "event ",
        end));
  }
  ChainVerifier chain(end, group->hash_last);
  std::string value;
  for (const v1::Event& event : record.events()) {
    if (absl::Status linked = chain.Add(event); !linked.ok()) {
      return unsound(linked.message());
    }
    if (absl::Status fields = CheckReplicatedEvent(event); !fields.ok()) {
      return unsound(
          absl::StrCat("event ", event.position(), ": ", fields.message()));
    }
    std::optional<StreamHead> head;
    if (auto it = group->heads.find(event.stream_id());
        it != group->heads.end()) {
      head = it->second;
    } else if (auto cached = heads_cache_.find(event.stream_id());
               cached != heads_cache_.end()) {
      head = cached->second;
    } else {
      ASSIGN_OR_RETURN(head, ReadHead(event.stream_id()));
      if (!head.has_value()) group->new_streams.push_back(event.stream_id());
    }
    const uint64_t revision = head.has_value() ? head->revision_last + 1 : 0;
    if (event.revision() != revision) {
      return unsound(absl::StrCat(
          "event ", event.position(), " is revision ", event.revision(),
          " of stream ", event.stream_id(), ", whose next is ", revision));
    }
    value.clear();
    LEDGER_CHECK(event.SerializeToString(&value),
                 "a parsed event always serializes");
    const std::string position_key = PositionKey(event.position());
    group->batch.Put(cf(kEvents), position_key, value);
    group->batch.Put(cf(kStreams), StreamKey(event.stream_id(), revision),
                     position_key);
    group->heads[event.stream_id()] = StreamHead{revision, event.position()};
    group->hash_last = event.hash();
    ++group->next_position;
    group->events.push_back(event);
  }
  // The command records are the group's appends with a command id, as the
  // events show them (an append's events are consecutive, on one stream,
  // under one id: index_rebuild.cc derives them alike); only the content
  // digest is the record's own.
  std::vector<v1::CommandRecord> derived;
  std::vector<absl::string_view> ids;
  for (size_t i = first_event; i < group->events.size(); ++i) {
    const v1::Event& event = group->events[i];
    if (event.command_id().empty()) continue;
    v1::CommandRecord* last = derived.empty() ? nullptr : &derived.back();
    if (last != nullptr && ids.back() == event.command_id() &&
        last->stream_id() == event.stream_id() &&
        last->position_last() + 1 == event.position()) {
      last->set_position_last(event.position());
      last->set_revision_last(event.revision());
      continue;
    }
    v1::CommandRecord& r = derived.emplace_back();
    r.set_position_first(event.position());
    r.set_position_last(event.position());
    r.set_revision_first(event.revision());
    r.set_revision_last(event.revision());
    r.set_stream_id(event.stream_id());
    ids.push_back(event.command_id());
  }
  if (static_cast<size_t>(record.commands_size()) != derived.size()) {
    return unsound(absl::StrCat("it records ", record.commands_size(),
                                " command ids for ", derived.size(),
                                " appends with one"));
  }
  for (size_t i = 0; i < derived.size(); ++i) {
    const v1::ReplicatedCommand& command = record.commands(static_cast<int>(i));
    v1::CommandRecord expected = derived[i];
    expected.set_content_digest(command.record().content_digest());
    if (command.command_id() != ids[i] ||
        command.record().SerializeAsString() != expected.SerializeAsString() ||
        HasUnknownFields(command) || HasUnknownFields(command.record())) {
      return unsound(absl::StrCat("the record of command id ", ids[i],
                                  " is not the append its events make"));
    }
    const std::string& id = command.command_id();
    if (group->commands.contains(id)) {
      return unsound(absl::StrCat("command id ", id, " is recorded twice"));
    }
    ASSIGN_OR_RETURN(std::optional<v1::CommandRecord> earlier,
                     LookUpCommand(id, nullptr));
    if (earlier.has_value()) {
      return unsound(absl::StrCat(
          "command id ", id, " was recorded before, at positions ",
          earlier->position_first(), "..", earlier->position_last()));
    }
    group->batch.Put(cf(kCommands), id, expected.SerializeAsString());
    group->commands[id] = std::move(expected);
  }
  return absl::OkStatus();
}

}  // namespace ledger::internal
