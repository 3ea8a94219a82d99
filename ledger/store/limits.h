// Every limit of the ledger, in one place. Requests over a limit fail with
// INVALID_ARGUMENT (shape of a request) or RESOURCE_EXHAUSTED (capacity of
// the server), never by truncation.
#ifndef LEDGER_STORE_LIMITS_H_
#define LEDGER_STORE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace ledger {

// Identifiers.
inline constexpr size_t kMaxStreamIdBytes = 128;
inline constexpr size_t kMaxCommandIdBytes = 128;
inline constexpr size_t kMaxEventTypeBytes = 128;
inline constexpr size_t kMaxActorBytes = 128;
inline constexpr size_t kMaxCorrelationIdBytes = 128;

// One event: payload plus its metadata.
inline constexpr size_t kMaxEventBytes = 64 * 1024;
// One append: events and bytes.
inline constexpr size_t kMaxEventsPerAppend = 1000;
inline constexpr size_t kMaxAppendBytes = 1024 * 1024;

// Reads: a page holds at most this many events and stops early, after at
// least one event, once it holds kMaxPageBytes.
inline constexpr uint32_t kDefaultPageSize = 100;
inline constexpr uint32_t kMaxPageSize = 1000;
inline constexpr size_t kMaxPageBytes = 2 * 1024 * 1024;

// Group commit: one WriteBatch takes at most this many events, and callers
// waiting for the writer at most this many appends before new ones are
// refused with RESOURCE_EXHAUSTED.
inline constexpr size_t kMaxEventsPerCommit = 8192;
// And at most about this many bytes of records (more only when its first
// append alone is): a replicated log publishes a group as one message
// (docs/design/replication.md), and NATS takes at most `max_payload`.
inline constexpr size_t kMaxBytesPerCommit = size_t{4} << 20;
inline constexpr size_t kMaxPendingAppends = 16384;

// RocksDB's memory (EventStoreOptions::block_cache_bytes, memtable_bytes):
// one block cache for data blocks, and one budget for the memtables of the
// log's, the views' and the app state's databases.
inline constexpr size_t kDefaultBlockCacheBytes = size_t{128} << 20;
inline constexpr size_t kDefaultMemtableBytes = size_t{256} << 20;

// The niceness of ledgerd's projection thread (--projection_niceness):
// saturated by batches of 100, the writers then got 86-90% of their
// throughput without projections instead of 69-75%, the views lagging by
// ~200,000 events at the end of 8 s and caught up 3-3.5 s later
// (BENCHMARKS.md, "ledgerd's CPU per batched event").
inline constexpr int kProjectionNiceness = 10;

// Stream heads the writer keeps in memory; beyond it the cache is dropped
// and refilled, a stream at a time, from each stream's last `streams` entry
// (ledger/FORMAT.md).
inline constexpr size_t kMaxCachedStreamHeads = 1 << 20;

// gRPC: the largest request a server accepts and the largest response it
// sends.
// Above the ledger's own limits on any request (a batch of
// kMaxBatchCommands, an append of kMaxAppendBytes), so that an oversize
// field is the ledger's INVALID_ARGUMENT naming it; beyond this, gRPC's
// RESOURCE_EXHAUSTED.
inline constexpr size_t kMaxRequestBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxResponseBytes = 16 * 1024 * 1024;

// Subscriptions (ledger/subscribe): concurrent subscribers per server, and
// the events buffered for one live subscriber before it is switched back to
// reading from disk.
inline constexpr size_t kMaxSubscribers = 256;
// One caller's share of them (by identity; by address when ledgerd checks
// no tokens),
// so that one client cannot hold every slot.
inline constexpr size_t kMaxSubscribersPerCaller = 64;
// The shortest heartbeat a subscriber may ask for: each one is a write to
// every idle stream.
inline constexpr uint32_t kMinHeartbeatMs = 50;
inline constexpr uint32_t kMaxHeartbeatMs = 3'600'000;
inline constexpr size_t kSubscriberBufferEvents = 16384;
// While commits are arriving, subscriptions catching up on the log from
// disk read this many events a second, all together (SubscriptionHub::
// PaceCatchUp); an idle ledger lets them read at full speed.
inline constexpr double kCatchUpEventsPerSecondWhileWriting = 20000;

// Commands (ledger/complaint). Ids of complaints, agents, stations,
// departments and assist requests: letters, digits, '.', '_', '-'.
inline constexpr size_t kMaxIdBytes = 64;
// A complaint's content, as the customer told it.
inline constexpr size_t kMaxContentBytes = 16 * 1024;
// Every other free text: notes, replies, reasons, names.
inline constexpr size_t kMaxTextBytes = 4 * 1024;
inline constexpr size_t kMaxAssistTargets = 32;
// Money in minor units (fen): a penalty per complaint at most 1,000,000.00.
// Sums of such amounts over a month's complaints cannot overflow int64.
inline constexpr int64_t kMaxPenaltyMinorUnits = 100'000'000;
// Copies a station handles in a month.
inline constexpr int64_t kMaxMonthlyCopies = 1'000'000'000;
inline constexpr size_t kMaxLinkedComplaints = 32;
// Events of one complaint: a stream longer than this is refused further
// commands (a complaint that went round that often needs a person).
inline constexpr uint64_t kMaxComplaintEvents = 1000;
// Commands in one ComplaintService.ExecuteBatch call. Its result is about
// the size of its request (the events, not the complaints' states), so
// kMaxRequestBytes bounds both.
inline constexpr size_t kMaxBatchCommands = 1000;

static_assert(kDefaultPageSize <= kMaxPageSize);
static_assert(kMaxContentBytes + 8 * kMaxTextBytes < kMaxEventBytes,
              "the largest intake must fit in one event");
static_assert(kMaxEventBytes <= kMaxAppendBytes);
static_assert(kMaxEventBytes <= kMaxPageBytes,
              "a page must be able to hold the largest event");
static_assert(kMaxAppendBytes < kMaxRequestBytes,
              "an append must fit in one gRPC request");
static_assert(kMaxPageBytes < kMaxResponseBytes,
              "a page must fit in one gRPC response");
static_assert(kMaxEventsPerAppend <= kMaxEventsPerCommit,
              "the largest append must fit in one commit");

}  // namespace ledger

#endif  // LEDGER_STORE_LIMITS_H_
