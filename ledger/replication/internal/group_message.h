// A group commit as a message of the log's stream (NatsLog): its id and
// its encoding. A message without the header kEncodingHeader is the
// v1::GroupRecord itself (what ledgerd wrote before it compressed groups,
// and with NatsLogOptions::compress off); with it set to "zstd", a
// Zstandard frame of one.
#ifndef LEDGER_REPLICATION_INTERNAL_GROUP_MESSAGE_H_
#define LEDGER_REPLICATION_INTERNAL_GROUP_MESSAGE_H_

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "ledger/v1/storage.pb.h"

namespace ledger::internal {

inline constexpr char kEncodingHeader[] = "Ledger-Encoding";
inline constexpr char kZstd[] = "zstd";

// Where the group starts and the hash it ends at (the one it continues
// from for a group that only signs a checkpoint): a retry of the same group
// has it; another writer's group at the same position does not.
std::string GroupMessageId(const v1::GroupRecord& group);

// A Zstandard frame of `record` (a serialized group).
std::string CompressGroup(const std::string& record);

// The group record `msg` holds, the stream's message at `sequence`:
// DATA_LOSS when it is not one (or does not decompress),
// FAILED_PRECONDITION for an encoding this build does not read.
absl::Status ParseGroup(natsMsg* msg, uint64_t sequence,
                        v1::GroupRecord* record);

}  // namespace ledger::internal

#endif  // LEDGER_REPLICATION_INTERNAL_GROUP_MESSAGE_H_
