#include "ledger/replication/internal/group_message.h"

#include <zstd.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/base/check.h"

namespace ledger::internal {
namespace {

// Zstandard's fastest level but one: ~3.7x smaller groups for ~1 us of the
// writer's CPU an event (BENCHMARKS.md, "Replication").
constexpr int kZstdLevel = 1;
// The most a message may decode to: above any group (kMaxBytesPerCommit of
// records, in a message NATS caps at its max_payload), so that a damaged
// frame cannot claim gigabytes.
constexpr unsigned long long kMaxDecodedBytes = 64ull << 20;

// A thread's contexts, made once: compressing on the writer's, decompressing
// on the follower's.
ZSTD_CCtx* CompressContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context{
      ZSTD_createCCtx(), ZSTD_freeCCtx};
  return context.get();
}
ZSTD_DCtx* DecompressContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context{
      ZSTD_createDCtx(), ZSTD_freeDCtx};
  return context.get();
}

}  // namespace

std::string CompressGroup(const std::string& plain) {
  std::string frame(ZSTD_compressBound(plain.size()), '\0');
  const size_t n =
      ZSTD_compressCCtx(CompressContext(), frame.data(), frame.size(),
                        plain.data(), plain.size(), kZstdLevel);
  // Fails only for a buffer below ZSTD_compressBound, or without memory.
  LEDGER_CHECK(!ZSTD_isError(n), ZSTD_getErrorName(n));
  frame.resize(n);
  return frame;
}

absl::Status ParseGroup(natsMsg* msg, uint64_t sequence,
                        v1::GroupRecord* record) {
  const char* data = natsMsg_GetData(msg);
  const int size = natsMsg_GetDataLength(msg);
  auto unsound = [sequence](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "the log of record's message at sequence ", sequence, " ", why));
  };
  const char* encoding = nullptr;
  const natsStatus got = natsMsgHeader_Get(msg, kEncodingHeader, &encoding);
  if (got == NATS_NOT_FOUND) {
    if (!record->ParseFromArray(data, size)) {
      return unsound("is not a group record");
    }
    return absl::OkStatus();
  }
  if (got != NATS_OK || encoding == nullptr) {
    return unsound("has headers that cannot be read");
  }
  if (absl::string_view(encoding) != kZstd) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the log of record's message at sequence ", sequence, " is encoded \"",
        encoding, "\", which this ledgerd does not read: upgrade it"));
  }
  const unsigned long long plain_size = ZSTD_getFrameContentSize(data, size);
  if (plain_size == ZSTD_CONTENTSIZE_ERROR ||
      plain_size == ZSTD_CONTENTSIZE_UNKNOWN || plain_size > kMaxDecodedBytes) {
    return unsound("is not a Zstandard frame of a group record");
  }
  std::string plain(plain_size, '\0');
  const size_t n = ZSTD_decompressDCtx(DecompressContext(), plain.data(),
                                       plain.size(), data, size);
  if (ZSTD_isError(n) || n != plain_size) {
    return unsound(absl::StrCat(
        "does not decompress: ",
        ZSTD_isError(n) ? ZSTD_getErrorName(n) : "shorter than it says"));
  }
  if (!record->ParseFromString(plain)) {
    return unsound("is not a group record");
  }
  return absl::OkStatus();
}

std::string GroupMessageId(const v1::GroupRecord& group) {
  const std::string& last = group.events().empty()
                                ? group.hash_before()
                                : group.events().rbegin()->hash();
  return absl::StrCat(group.position_first(), "-", absl::BytesToHexString(last),
                      group.events().empty()
                          ? absl::StrCat("-c", group.checkpoint_size())
                          : std::string());
}

}  // namespace ledger::internal
