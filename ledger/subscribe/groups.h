// Consumer groups: the members of a durable subscription share its work.
//
// The log's streams fall into kGroupPartitions partitions by a stable hash
// of the stream id (FNV-1a, 64-bit, modulo the count; never to change), so
// one complaint's events always go to one member, in order. Members own
// partitions round-robin in the order of their ids. Each partition keeps
// its own acknowledged position in the store ("group/<name>/<k>"), so
// whoever owns a partition next resumes it exactly after the last ack.
//
// Membership has generations. A member joining, or a member gone longer
// than the takeover timeout, starts a new generation: every member's
// subscription ends (ABORTED, "subscribe again") and the members that
// subscribe again get the new assignment. Until the timeout a departed
// member's partitions wait for it (a reconnect within the timeout keeps
// them); after it, the others take them over.
#ifndef LEDGER_SUBSCRIBE_GROUPS_H_
#define LEDGER_SUBSCRIBE_GROUPS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/clock.h"
#include "ledger/store/view_store.h"

namespace ledger {

inline constexpr int kGroupPartitions = 32;

// The partition of a stream: FNV-1a 64 of its id, modulo kGroupPartitions.
int PartitionOf(const std::string& stream_id);

class ConsumerGroups;

// One connected member; leaving (destruction) starts its takeover timer.
class GroupMember {
 public:
  ~GroupMember();
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // The partitions this member owns, as of when it joined.
  const std::vector<int>& partitions() const { return partitions_; }
  bool Owns(int partition) const { return owned_[partition]; }
  uint64_t generation() const { return generation_; }
  // True once the group moved to another generation: subscribe again.
  bool Changed() const;

 private:
  friend class ConsumerGroups;
  GroupMember(ConsumerGroups* groups, std::string group, std::string member,
              uint64_t generation, uint64_t connection,
              std::vector<int> partitions);

  ConsumerGroups* const groups_;
  const std::string group_;
  const std::string member_;
  const uint64_t generation_;
  const uint64_t connection_;
  const std::vector<int> partitions_;
  std::vector<bool> owned_;
};

class ConsumerGroups {
 public:
  ConsumerGroups(ViewStore* positions, absl::Duration takeover_timeout,
                 std::shared_ptr<const Clock> clock);

  // Joins (or rejoins) `member` of `group`. A member id already connected
  // takes the place over (its old subscription ends).
  absl::StatusOr<std::unique_ptr<GroupMember>> Join(const std::string& group,
                                                    const std::string& member);

  // Each partition's acknowledged position, kGroupPartitions of them.
  absl::StatusOr<std::vector<uint64_t>> Positions(
      const std::string& group) const;

  // Records `position` as acknowledged for every partition `member` owns
  // (never lowering one), durably, in one write. FAILED_PRECONDITION when
  // the member is not connected or `generation` is not the group's.
  absl::StatusOr<uint64_t> Ack(const std::string& group,
                               const std::string& member, uint64_t generation,
                               uint64_t position);

 private:
  friend class GroupMember;
  struct Member {
    bool connected = false;
    uint64_t connection = 0;  // Counts the member's joins.
    absl::Time left;
  };
  struct Group {
    uint64_t generation = 1;
    std::map<std::string, Member> members;  // Ordered by id.
  };

  static std::string PartitionKey(const std::string& group, int partition);
  // Drops members gone longer than the timeout (a new generation).
  void Expire(Group* group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::vector<int> Assignment(const Group& group,
                                     const std::string& member);
  void Leave(const std::string& group, const std::string& member,
             uint64_t connection);
  bool Changed(const std::string& group, uint64_t generation);

  // Where each partition's acknowledged position is kept.
  ViewStore& positions_;
  const absl::Duration timeout_;
  const std::shared_ptr<const Clock> clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);
  // Acks read, compare and write: one at a time.
  absl::Mutex ack_mu_;
};

}  // namespace ledger

#endif  // LEDGER_SUBSCRIBE_GROUPS_H_
