#include "ledger/replication/writer_lease.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/log.h"
#include "ledger/base/thread_name.h"
#include "ledger/store/errors.h"

namespace ledger {
namespace {

std::string NewIncarnation() {
  absl::BitGen random;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(random));
}

}  // namespace

WriterLease::WriterLease(NatsLog* log, WriterLeaseOptions options)
    : log_(log), options_(std::move(options)), incarnation_(NewIncarnation()) {}

WriterLease::~WriterLease() { Stop(); }

void WriterLease::Start() {
  absl::MutexLock lock(&mu_);
  if (stopping_ || thread_.joinable()) return;
  thread_ = std::thread([this] {
    NameThisThread("ledger-lease");
    Loop();
  });
}

bool WriterLease::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void WriterLease::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  // Handed over at once rather than left to lapse: a lease of no length,
  // which every other node sees has lapsed (this node writes no more).
  if (held_) GiveUp("the node stops");
}

void WriterLease::Loop() {
  const absl::Duration tick =
      std::max(options_.lease / 12, absl::Milliseconds(20));
  while (true) {
    Tick();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick)) return;
  }
}

v1::WriterLease WriterLease::Mine() const {
  v1::WriterLease lease;
  lease.set_node_id(options_.node_id);
  lease.set_incarnation(incarnation_);
  lease.set_address(options_.address);
  lease.set_lease_ms(absl::ToInt64Milliseconds(options_.lease));
  lease.set_taken_unix_ms(absl::ToUnixMillis(absl::Now()));
  return lease;
}

absl::StatusOr<uint64_t> WriterLease::Publish(uint64_t after) {
  // The same publish again (its answer lost) has the same id: JetStream
  // answers with the first one's sequence, stored when it was first sent.
  if (!first_sent_.has_value() || publishing_after_ != after) {
    publishing_after_ = after;
    first_sent_ = Clock::now();
  }
  absl::StatusOr<uint64_t> published =
      log_->PublishLease(Mine(), after, absl::StrCat(incarnation_, "-", after),
                         options_.lease / 4);
  if (published.ok() || absl::IsAborted(published.status())) {
    first_sent_.reset();
  }
  return published;
}

void WriterLease::StopWriting(const std::string& why) {
  held_ = false;
  seen_sequence_ = 0;
  not_ready_since_.reset();
  bool was_writing = false;
  {
    absl::MutexLock lock(&state_mu_);
    was_writing = writing_;
    writing_ = false;
  }
  LogWarn(absl::StrFormat("WriterLease: %s stops writing (epoch %d): %s",
                          options_.node_id, epoch_, why));
  if (was_writing && options_.on_change) options_.on_change(false);
}

void WriterLease::GiveUp(const std::string& why) {
  const uint64_t after = last_sequence_;
  StopWriting(why);
  back_off_until_ = Clock::now() + absl::ToChronoNanoseconds(options_.lease);
  v1::WriterLease released = Mine();
  released.set_lease_ms(0);
  if (log_->PublishLease(released, after,
                         absl::StrCat(incarnation_, "-release-", after),
                         options_.lease / 4)
          .ok()) {
    LogInfo(absl::StrFormat("WriterLease: %s gave up the lease (epoch %d)",
                            options_.node_id, epoch_));
  }
}

void WriterLease::Tick() {
  const absl::Duration lease = options_.lease;
  // What may be written after `sent`: every other node saw the message
  // later than it was sent, and waits `lease` from then.
  auto valid_after = [&](Clock::time_point sent) {
    return sent + absl::ToChronoNanoseconds(lease - lease / 10);
  };
  const absl::Status able =
      options_.may_write ? options_.may_write() : absl::OkStatus();
  if (!held_) {
    absl::StatusOr<NatsLog::LeaseMessage> last = log_->ReadLease(lease / 4);
    if (!last.ok()) {
      LogWarn(absl::StrCat("WriterLease: ", last.status().ToString()));
      return;
    }
    const Clock::time_point now = Clock::now();
    if (last->sequence != 0) {
      absl::MutexLock lock(&state_mu_);
      writer_ = last->lease.node_id();
      writer_address_ = last->lease.lease_ms() > 0 ? last->lease.address() : "";
    }
    if (last->sequence != seen_sequence_) {
      seen_sequence_ = last->sequence;
      seen_at_ = now;
    }
    const bool lapsed =
        last->sequence == 0 ||
        now - seen_at_ >= std::chrono::milliseconds(last->lease.lease_ms());
    if (!lapsed || !able.ok() || now < back_off_until_ || stopping()) return;
    // Counted from its first send (this one, or an earlier one whose
    // answer was lost: JetStream answers the same id with that one).
    const Clock::time_point sent =
        first_sent_.has_value() && publishing_after_ == last->sequence
            ? *first_sent_
            : Clock::now();
    absl::StatusOr<uint64_t> taken = Publish(last->sequence);
    if (!taken.ok()) {
      // ABORTED: another node took it first. Otherwise unknown; the next
      // read tells (a message of this incarnation is not this node's to
      // take again: it waits for it to lapse like any other).
      if (!absl::IsAborted(taken.status())) {
        LogWarn(absl::StrCat("WriterLease: ", taken.status().ToString()));
      }
      return;
    }
    held_ = true;
    epoch_ = last_sequence_ = *taken;
    valid_until_ = valid_after(sent);
    renew_at_ = sent + absl::ToChronoNanoseconds(lease / 3);
    {
      absl::MutexLock lock(&state_mu_);
      writer_ = options_.node_id;
      writer_address_.clear();  // Not writing yet: nobody to send to.
    }
    LogInfo(absl::StrFormat("WriterLease: %s took the lease (epoch %d)",
                            options_.node_id, epoch_));
  } else if (Clock::now() >= renew_at_) {
    const Clock::time_point sent =
        first_sent_.has_value() && publishing_after_ == last_sequence_
            ? *first_sent_
            : Clock::now();
    absl::StatusOr<uint64_t> renewed = Publish(last_sequence_);
    if (renewed.ok()) {
      last_sequence_ = *renewed;
      valid_until_ = valid_after(sent);
      renew_at_ = sent + absl::ToChronoNanoseconds(lease / 3);
    } else if (absl::IsAborted(renewed.status())) {
      StopWriting(absl::StrCat("another node took the lease: ",
                               renewed.status().message()));
      return;
    } else {
      LogWarn(
          absl::StrCat("WriterLease: renewing: ", renewed.status().ToString()));
    }
  }
  if (Clock::now() >= valid_until_) {
    StopWriting(absl::StrCat("the lease was not renewed within ",
                             absl::FormatDuration(lease - lease / 10)));
    return;
  }
  if (!able.ok()) {
    GiveUp(absl::StrCat("this node cannot write: ", able.ToString()));
    return;
  }
  bool writing;
  {
    absl::MutexLock lock(&state_mu_);
    writing = writing_;
    if (writing) writing_until_ = valid_until_;
  }
  if (writing) return;
  if (options_.before_writing) {
    if (absl::Status ready = options_.before_writing(lease / 6); !ready.ok()) {
      if (!not_ready_since_.has_value()) not_ready_since_ = Clock::now();
      if (Clock::now() - *not_ready_since_ >=
          absl::ToChronoNanoseconds(lease)) {
        GiveUp(absl::StrCat("not ready to write within a lease: ",
                            ready.ToString()));
        return;
      }
      LogWarn(absl::StrFormat(
          "WriterLease: %s holds the lease but does not write yet: %s",
          options_.node_id, ready.ToString()));
      return;
    }
  }
  not_ready_since_.reset();
  if (stopping()) return;
  {
    absl::MutexLock lock(&state_mu_);
    writing_ = true;
    writing_epoch_ = epoch_;
    writing_until_ = valid_until_;
    writer_ = options_.node_id;
    writer_address_ = options_.address;
  }
  LogInfo(absl::StrFormat("WriterLease: %s writes the log (epoch %d)",
                          options_.node_id, epoch_));
  if (options_.on_change) options_.on_change(true);
}

absl::StatusOr<uint64_t> WriterLease::WriteEpoch() const {
  absl::MutexLock lock(&state_mu_);
  if (writing_ && Clock::now() < writing_until_) return writing_epoch_;
  if (writer_address_.empty() || writer_ == options_.node_id) {
    return NotTheWriter(
        absl::StrCat("node ", options_.node_id,
                     " does not write the log, and no node writes it now: "
                     "retry in a few seconds"),
        "");
  }
  return NotTheWriter(absl::StrCat("node ", options_.node_id,
                                   " does not write the log: send commands "
                                   "to the writer, ",
                                   writer_, " at ", writer_address_),
                      writer_address_);
}

bool WriterLease::writing() const { return WriteEpoch().ok(); }

}  // namespace ledger
