#include "ledger/subscribe/groups.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"

namespace ledger {

int PartitionOf(const std::string& stream_id) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64.
  for (unsigned char c : stream_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<int>(hash % kGroupPartitions);
}

GroupMember::GroupMember(ConsumerGroups* groups, std::string group,
                         std::string member, uint64_t generation,
                         uint64_t connection, std::vector<int> partitions)
    : groups_(groups),
      group_(std::move(group)),
      member_(std::move(member)),
      generation_(generation),
      connection_(connection),
      partitions_(std::move(partitions)),
      owned_(kGroupPartitions, false) {
  for (int p : partitions_) owned_[p] = true;
}

GroupMember::~GroupMember() { groups_->Leave(group_, member_, connection_); }

bool GroupMember::Changed() const {
  return groups_->Changed(group_, generation_);
}

ConsumerGroups::ConsumerGroups(ViewStore* positions,
                               absl::Duration takeover_timeout,
                               std::shared_ptr<const Clock> clock)
    : positions_(*positions), timeout_(takeover_timeout), clock_(std::move(clock)) {}

std::string ConsumerGroups::PartitionKey(const std::string& group,
                                         int partition) {
  return absl::StrCat("group/", group, "/", partition);
}

void ConsumerGroups::Expire(Group* group) {
  const absl::Time now = clock_->Now();
  bool expired = false;
  for (auto it = group->members.begin(); it != group->members.end();) {
    if (!it->second.connected && now - it->second.left >= timeout_) {
      it = group->members.erase(it);
      expired = true;
    } else {
      ++it;
    }
  }
  if (expired) ++group->generation;
}

std::vector<int> ConsumerGroups::Assignment(const Group& group,
                                            const std::string& member) {
  std::vector<int> partitions;
  int index = 0;
  for (const auto& [id, unused] : group.members) {
    if (id == member) break;
    ++index;
  }
  const int n = static_cast<int>(group.members.size());
  for (int p = index; p < kGroupPartitions; p += n) partitions.push_back(p);
  return partitions;
}

absl::StatusOr<std::unique_ptr<GroupMember>> ConsumerGroups::Join(
    const std::string& group_name, const std::string& member) {
  absl::MutexLock lock(&mu_);
  Group& group = groups_[group_name];
  Expire(&group);
  auto [it, added] = group.members.try_emplace(member);
  // A new member, or one replacing its own still-connected self: a new
  // generation. A member back within the timeout keeps its partitions.
  if (added || it->second.connected) ++group.generation;
  it->second.connected = true;
  ++it->second.connection;
  return std::unique_ptr<GroupMember>(
      new GroupMember(this, group_name, member, group.generation,
                      it->second.connection, Assignment(group, member)));
}

void ConsumerGroups::Leave(const std::string& group_name,
                           const std::string& member, uint64_t connection) {
  absl::MutexLock lock(&mu_);
  auto g = groups_.find(group_name);
  if (g == groups_.end()) return;
  auto m = g->second.members.find(member);
  // A newer connection of the same member holds the place now.
  if (m == g->second.members.end() || m->second.connection != connection) {
    return;
  }
  m->second.connected = false;
  m->second.left = clock_->Now();
}

bool ConsumerGroups::Changed(const std::string& group_name,
                             uint64_t generation) {
  absl::MutexLock lock(&mu_);
  Group& group = groups_[group_name];
  Expire(&group);
  return group.generation != generation;
}

absl::StatusOr<std::vector<uint64_t>> ConsumerGroups::Positions(
    const std::string& group) const {
  std::vector<uint64_t> positions;
  for (int p = 0; p < kGroupPartitions; ++p) {
    ASSIGN_OR_RETURN(uint64_t position,
                     positions_.LoadCheckpoint(PartitionKey(group, p)));
    positions.push_back(position);
  }
  return positions;
}

absl::StatusOr<uint64_t> ConsumerGroups::Ack(const std::string& group_name,
                                             const std::string& member,
                                             uint64_t generation,
                                             uint64_t position) {
  std::vector<int> partitions;
  {
    absl::MutexLock lock(&mu_);
    auto g = groups_.find(group_name);
    const bool connected = g != groups_.end() &&
                           g->second.members.contains(member) &&
                           g->second.members.at(member).connected;
    if (!connected) {
      return absl::FailedPreconditionError(
          absl::StrCat("member ", member, " of consumer group ", group_name,
                       " is not subscribed; subscribe, then acknowledge"));
    }
    if (g->second.generation != generation) {
      return absl::FailedPreconditionError(
          absl::StrCat("consumer group ", group_name, " is at generation ",
                       g->second.generation, ", the ack is for generation ",
                       generation, "; its events go to their new owner"));
    }
    partitions = Assignment(g->second, member);
  }
  absl::MutexLock lock(&ack_mu_);
  ASSIGN_OR_RETURN(std::vector<uint64_t> positions, Positions(group_name));
  std::vector<std::pair<std::string, uint64_t>> raised;
  for (int p : partitions) {
    if (position > positions[p]) {
      raised.emplace_back(PartitionKey(group_name, p), position);
    }
  }
  if (!raised.empty()) RETURN_IF_ERROR(positions_.SaveCheckpoints(raised));
  return position;
}

}  // namespace ledger
