// WriterLease: which node of a replicated ledger writes the log
// (docs/design/replication.md §2.4). Every node runs one; at most one
// holds the lease at a time, and only the holder, once its copy has caught
// up with the log of record, writes (the store's replicate hook asks
// WriteEpoch first). The others answer commands with the holder's address
// (NotTheWriter, ledger/store/errors.h).
//
// The lease is a message of the lease stream (NatsLog::ReadLease), taken
// and renewed by publishing the next one expecting the stream's last
// sequence: JetStream orders them in Raft order on every replica, so two
// nodes cannot both take the same lapsed lease. Nobody compares clocks: a
// node that sees the same last message for `lease` of its own steady clock
// takes it; the holder renews every lease / 3 and stops writing once
// `lease` less a tenth has passed since it sent its last renewal that was
// acknowledged (which every other node saw later than it was sent). A
// holder that cannot renew in time therefore stops before any other node
// can take over; and should it write all the same (a stalled process), the
// log's own fencing refuses it (Nats-Expected-Last-Sequence).
//
// Thread safety: every method may be called from any thread.
#ifndef LEDGER_REPLICATION_WRITER_LEASE_H_
#define LEDGER_REPLICATION_WRITER_LEASE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/replication/nats_log.h"
#include "ledger/v1/storage.pb.h"

namespace ledger {

struct WriterLeaseOptions {
  std::string node_id;
  // Where clients reach this node's gRPC server (host:port).
  std::string address;
  // How long a lease lasts unrenewed: a dead writer's successor starts
  // writing about this long after its last renewal (plus a Raft election
  // when the NATS server leading the lease stream died with it).
  absl::Duration lease = absl::Seconds(6);
  // Whether this node could write at all (its copy follows the log of
  // record, its store and app take appends): not OK, it does not take the
  // lease, and gives it up if it holds it.
  std::function<absl::Status()> may_write;
  // Run once the lease is taken, before the node writes: brings the copy
  // and what decides on it up to the log of record's end, in at most
  // `patience` (a sixth of a lease). Not OK: the node holds the lease
  // without writing and runs it again at the next tick; after a lease of
  // that, it gives the lease up and does not take it again for a lease.
  std::function<absl::Status(absl::Duration patience)> before_writing;
  // Told each time the node starts or stops writing.
  std::function<void(bool writing)> on_change;
};

class WriterLease {
 public:
  WriterLease(NatsLog* log, WriterLeaseOptions options);
  // Stop()s.
  ~WriterLease();
  WriterLease(const WriterLease&) = delete;
  WriterLease& operator=(const WriterLease&) = delete;

  // Starts taking, renewing and watching the lease on a thread of its own
  // (`ledger-lease`).
  void Start();
  // Stops the thread and gives up a lease held (a lease of length 0,
  // which the others take at once); this node writes no more.
  void Stop();

  // While this node writes: the epoch of its lease (the sequence of the
  // lease message that took it). Otherwise UNAVAILABLE naming the writer
  // this node knows of (its address as the status's payload, errors.h).
  absl::StatusOr<uint64_t> WriteEpoch() const;
  bool writing() const;

 private:
  using Clock = std::chrono::steady_clock;
  void Loop();
  // One round: take, renew or watch.
  void Tick();
  // Takes or renews: publishes this node's lease expecting `after`.
  absl::StatusOr<uint64_t> Publish(uint64_t after);
  void StopWriting(const std::string& why);
  // Stops writing, gives the lease up and takes none for a lease.
  void GiveUp(const std::string& why);
  bool stopping() const;
  v1::WriterLease Mine() const;

  NatsLog* const log_;
  const WriterLeaseOptions options_;
  // This run of the process (WriterLease.incarnation).
  const std::string incarnation_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  mutable absl::Mutex state_mu_;

  // The lease thread's own (and Stop's, after joining it):
  // Held: the epoch, the last sequence of the lease stream this node wrote,
  // and until when it may write (steady clock).
  bool held_ = false;
  uint64_t epoch_ = 0;
  uint64_t last_sequence_ = 0;
  Clock::time_point valid_until_;
  Clock::time_point renew_at_;
  // Since when it holds the lease without writing (before_writing failing).
  std::optional<Clock::time_point> not_ready_since_;
  // Watched (not held): the last message seen and when it was first seen.
  uint64_t seen_sequence_ = 0;
  Clock::time_point seen_at_;
  // A lease given up: none taken again before this.
  Clock::time_point back_off_until_;
  // The publish in hand (its `after`) and when it was first sent: a retry
  // answered as a duplicate counts from the first send, which is when the
  // others may have seen it.
  uint64_t publishing_after_ = 0;
  std::optional<Clock::time_point> first_sent_;

  // What WriteEpoch reads.
  bool writing_ ABSL_GUARDED_BY(state_mu_) = false;
  uint64_t writing_epoch_ ABSL_GUARDED_BY(state_mu_) = 0;
  Clock::time_point writing_until_ ABSL_GUARDED_BY(state_mu_);
  std::string writer_ ABSL_GUARDED_BY(state_mu_);
  std::string writer_address_ ABSL_GUARDED_BY(state_mu_);
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_WRITER_LEASE_H_
