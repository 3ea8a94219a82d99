// NatsLog: the log of record of a replicated ledger on a NATS JetStream
// stream (docs/design/replication.md). The writer's store publishes each
// group commit through it (EventStoreOptions::replicate = Publish), and
// every store follows the stream into its own copy (Follow), the writer's
// included: what it wrote itself it skips.
//
// The stream (default "LEDGER", subject "ledger.groups") is made on first
// connection if missing: file storage, `replicas` copies, deletes and
// purges refused, duplicates remembered for 10 minutes. One message per
// group: a v1::GroupRecord (compressed, unless options say not), published with
// Nats-Expected-Last-Sequence set to the sequence the store's copy ends at (so
// a writer whose copy is behind can never fork the log: JetStream checks it in
// Raft order on every replica) and a Nats-Msg-Id naming the group (so a publish
// retried after a lost answer is not stored twice).
//
// Thread safety: every method may be called from any thread.
#ifndef LEDGER_REPLICATION_NATS_LOG_H_
#define LEDGER_REPLICATION_NATS_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/storage.pb.h"

struct __natsConnection;
struct __natsOptions;
struct __jsCtx;
struct jsStreamConfig;

namespace ledger {

struct NatsLogOptions {
  // NATS URLs (nats://host:port), any of the cluster's.
  std::vector<std::string> servers;
  std::string stream = "LEDGER";
  std::string subject = "ledger.groups";
  // The writer's lease (WriterLease, ledger/replication/writer_lease.h):
  // a stream of its own, made like the log's with the same copies.
  std::string lease_stream = "LEDGER_LEASE";
  std::string lease_subject = "ledger.lease";
  // Customers' wrapped data keys (CreateKey): a stream of their own, one
  // subject a key under this prefix, made with the log's copies.
  std::string keys_stream = "LEDGER_KEYS";
  std::string keys_subject = "ledger.keys";
  // Copies of the stream JetStream keeps (when it makes it).
  int replicas = 3;
  // This node's name, written into each group it publishes.
  std::string node_id;
  // How long a publish whose outcome is unknown (no answer, no quorum,
  // the connection lost) is retried, with the same message id and
  // expectation, before the group is refused. Above a Raft election.
  absl::Duration publish_retry = absl::Seconds(20);
  // How long one request waits for JetStream's answer.
  absl::Duration request_wait = absl::Seconds(2);
  // Publishes each group compressed (Zstandard, header Ledger-Encoding:
  // zstd): ~3.7x fewer bytes for NATS to copy, replicate and store. Off,
  // groups are written as ledgerd wrote them before it compressed them,
  // for nodes not yet upgraded to read these (a rolling upgrade); every
  // node reads both.
  bool compress = true;
  // How often a follower paused while its node writes looks whether the
  // copy fell behind the stream (PauseFollowingWhile).
  absl::Duration paused_look = absl::Seconds(1);
};

class NatsLog {
 public:
  // Connects and makes the stream if it is missing. UNAVAILABLE when no
  // server answers or JetStream has no quorum yet.
  static absl::StatusOr<std::unique_ptr<NatsLog>> Connect(
      NatsLogOptions options);
  ~NatsLog();
  NatsLog(const NatsLog&) = delete;
  NatsLog& operator=(const NatsLog&) = delete;

  // For EventStoreOptions::replicate: publishes `group` expecting the
  // stream to end at `after`; its sequence once JetStream acknowledged it
  // (its original one for a retry JetStream already holds). UNAVAILABLE
  // when the stream has moved past `after` (another node appended: this
  // node's copy must catch up first), or when JetStream did not answer
  // within publish_retry; INVALID_ARGUMENT for a group larger than NATS
  // takes.
  absl::StatusOr<uint64_t> Publish(v1::GroupRecord* group, uint64_t after);

  // Applies the stream to `store` from its replicated_sequence() + 1 on a
  // thread of its own (`ledger-follow`), until Stop (which must come
  // before the store closes). A group the store refuses (anything but its
  // closing) stops the following: follow_error. Following again after a
  // Stop starts afresh.
  void Follow(EventStore* store);
  // While `writing` says this node writes the log and its last publish
  // (since it last said no) was acknowledged, the follower receives
  // nothing: the groups the stream gets then are this node's, written into
  // its copy as JetStream acknowledged them, and taking them back would
  // cost NATS and this node a copy of each. It receives again (from its
  // copy's end) once `writing` says no, a publish failed (that group may
  // be stored all the same), or the stream's end was past the copy's at
  // two looks paused_look apart with the copy not moving (a local write
  // that failed after JetStream took the group; a deposed writer's late
  // publish).
  // `writing` is called from the follower's thread, before each batch it
  // receives.
  void PauseFollowingWhile(std::function<bool()> writing);
  // Why following stopped; OK while it goes on.
  absl::Status follow_error() const;
  // Waits until the followed store holds every message the stream held
  // when called, each handed on to on_replicated; DEADLINE_EXCEEDED after
  // `timeout`, or follow_error.
  absl::Status CatchUp(absl::Duration timeout);
  // The stream's last sequence, as its leader says.
  absl::StatusOr<uint64_t> LastSequence() const;
  // Whether the follower is paused now (PauseFollowingWhile; for tests).
  bool following_paused() const { return paused_.load(); }
  // The name of the NATS server leading the stream (for tests and tools).
  absl::StatusOr<std::string> StreamLeader() const;

  // The lease stream's last message: its sequence (0: the stream is empty)
  // and what it says.
  struct LeaseMessage {
    uint64_t sequence = 0;
    v1::WriterLease lease;
  };
  // Each waits at most `wait` for JetStream's answer.
  absl::StatusOr<LeaseMessage> ReadLease(absl::Duration wait) const;
  // Publishes `lease` expecting the lease stream to end at `after`; its
  // sequence. ABORTED when the stream has moved past `after` (another node
  // took or renewed the lease first); UNAVAILABLE when JetStream did not
  // answer (the outcome is unknown: publishing the same lease with the same
  // `after` again is stored once).
  // `id` names the publish (Nats-Msg-Id): the same again is stored once.
  absl::StatusOr<uint64_t> PublishLease(const v1::WriterLease& lease,
                                        uint64_t after, const std::string& id,
                                        absl::Duration wait);

  // Customers' wrapped data keys (app/personal_data.h, KeyReplica), so
  // that every node opens what any node sealed: one message a key, subject
  // "<keys_subject>.<customer ref>.<generation>", in a stream that keeps
  // one message a subject and lets messages be erased.
  //
  // The key stored under `key_id`: `wrapped` when none was, else the one
  // another node stored first (a retry of ours included). UNAVAILABLE when
  // JetStream did not answer within publish_retry; INVALID_ARGUMENT for an
  // id that is not "<ref>#<generation>".
  absl::StatusOr<std::string> CreateKey(const std::string& key_id,
                                        const std::string& wrapped);
  // The key stored under `key_id`; nullopt when none is (never made, or
  // erased).
  absl::StatusOr<std::optional<std::string>> ReadKey(
      const std::string& key_id) const;
  // Erases the key's message (JetStream overwrites it with random bytes on
  // every replica, then removes it) and leaves an empty one in its place,
  // so that no node makes that key id again (CreateKey: FAILED_PRECONDITION;
  // ReadKey: nullopt). OK when it is erased already.
  absl::Status EraseKey(const std::string& key_id);

  // Stops following; idempotent. Publishes still work until destruction.
  void Stop();

 private:
  explicit NatsLog(NatsLogOptions options);
  absl::Status Open();
  // One publish of `data` to `subject` with the expectation `expect`
  // (header Nats-Expected-Last-Sequence: its stream ends at `after`), under
  // message id `id`, waiting `wait` for JetStream's answer.
  struct Attempt {
    int status = 0;          // A natsStatus.
    int code = 0;            // A jsErrCode.
    uint64_t sequence = 0;   // When OK.
    bool duplicate = false;  // OK: JetStream held that message id already.
    std::string why;         // Otherwise.
  };
  Attempt PublishOnce(const std::string& subject, const std::string& data,
                      uint64_t after, const std::string& id,
                      absl::Duration wait,
                      const char* expect = "Nats-Expected-Last-Sequence",
                      const char* encoding = nullptr);
  struct StreamSpec {
    std::string name;
    std::string subject;  // One (a wildcard for the keys).
    const char* description;
    int64_t max_messages = -1;
    // Keeps one message a subject, and lets one be erased (the keys).
    bool erasable = false;
  };
  // Makes the stream if it is missing; FAILED_PRECONDITION, naming what is
  // wrong, when one made before cannot hold what `spec` says (Unfit).
  absl::Status EnsureStream(const StreamSpec& spec);
  // What a stream's settings lack for `spec` (empty: nothing): its one
  // subject, files, `replicas` copies at least, nothing removed but by its
  // own limits (the lease's), or by erasure (the keys').
  static std::vector<std::string> Unfit(const jsStreamConfig& config,
                                        const StreamSpec& spec, int replicas);
  // The subject of a customer's data key.
  absl::StatusOr<std::string> KeySubject(const std::string& key_id) const;
  // The last message on a key's subject: nullopt when there is none; its
  // data empty for an erased key (EraseKey's tombstone).
  struct KeyMessage {
    uint64_t sequence = 0;
    std::string data;
  };
  absl::StatusOr<std::optional<KeyMessage>> LastKeyMessage(
      const std::string& subject, const std::string& key_id) const;
  // The stream's state as its leader says.
  struct StreamState {
    uint64_t last_sequence = 0;
    std::string leader;  // Empty: none.
  };
  absl::StatusOr<StreamState> ReadStream() const;
  void FollowLoop(EventStore* store);
  // PauseFollowingWhile's condition, now (not writing: published_ false).
  bool FollowingPaused();

  const NatsLogOptions options_;
  __natsOptions* nats_options_ = nullptr;
  __natsConnection* connection_ = nullptr;
  __jsCtx* js_ = nullptr;

  std::atomic<bool> stopping_{false};
  std::thread follower_;
  mutable absl::Mutex mu_;
  EventStore* store_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Status follow_error_ ABSL_GUARDED_BY(mu_);
  // While groups the follower received are being written (and handed on)
  // by the store.
  bool applying_ ABSL_GUARDED_BY(mu_) = false;
  std::function<bool()> writing_ ABSL_GUARDED_BY(mu_);
  // This node's last publish of a group, in this term of writing, was
  // acknowledged.
  std::atomic<bool> published_{false};
  std::atomic<bool> paused_{false};
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_NATS_LOG_H_
