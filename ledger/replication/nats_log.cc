#include "ledger/replication/nats_log.h"

#include <nats/nats.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ledger/base/check.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"

namespace ledger {
namespace {

// Groups a copy writes at most at once while it follows (catching up,
// it takes what has arrived). A new node's catch-up of ~200,000 events
// in groups of ~100 (tools/cluster_bench.sh): one group a write 34-38k
// events/s, 4 49k, 16 48k, 64 40k, 256 28-31k (a 13 MB write batch).
constexpr size_t kFollowBatch = 16;
// How often a follower paused while its node writes (PauseFollowingWhile)
// looks whether it still does.
constexpr absl::Duration kPausedPoll = absl::Milliseconds(20);

// What a failed NATS call says: its status and the library's last error
// on this thread.
std::string Why(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return absl::StrCat(natsStatus_GetText(s), last != nullptr && *last != '\0'
                                                 ? absl::StrCat(" (", last, ")")
                                                 : std::string());
}

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

// A group message's encoding, in a header of its own: absent, the message
// is the GroupRecord itself (as every ledgerd before compression wrote
// it); "zstd", a Zstandard frame of it.
constexpr char kEncodingHeader[] = "Ledger-Encoding";
constexpr char kZstd[] = "zstd";
// Zstandard's fastest level but one: ~3.7x smaller groups for ~1 us of the
// writer's CPU an event (BENCHMARKS.md, "Replication").
constexpr int kZstdLevel = 1;
// The most a message may decode to: above any group (kMaxBytesPerCommit of
// records, in a message NATS caps at its max_payload), so that a damaged
// frame cannot claim gigabytes.
constexpr unsigned long long kMaxDecodedBytes = 64ull << 20;

struct ZstdContexts {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> compress{ZSTD_createCCtx(),
                                                              ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> decompress{
      ZSTD_createDCtx(), ZSTD_freeDCtx};
};
// One of each a thread (the writer's and the follower's), made once.
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

std::string Compress(const std::string& plain) {
  std::string frame(ZSTD_compressBound(plain.size()), '\0');
  const size_t n =
      ZSTD_compressCCtx(Zstd().compress.get(), frame.data(), frame.size(),
                        plain.data(), plain.size(), kZstdLevel);
  // Fails only for a buffer below ZSTD_compressBound, or without memory.
  LEDGER_CHECK(!ZSTD_isError(n), ZSTD_getErrorName(n));
  frame.resize(n);
  return frame;
}

// The group record a message of the stream holds, at `sequence`.
absl::Status ParseGroup(natsMsg* msg, uint64_t sequence,
                        v1::GroupRecord* record) {
  const char* data = natsMsg_GetData(msg);
  const int size = natsMsg_GetDataLength(msg);
  auto unsound = [sequence](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "the log of record's message at sequence ", sequence, " ", why));
  };
  const char* encoding = nullptr;
  if (natsMsgHeader_Get(msg, kEncodingHeader, &encoding) != NATS_OK ||
      encoding == nullptr) {
    if (!record->ParseFromArray(data, size)) {
      return unsound("is not a group record");
    }
    return absl::OkStatus();
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
  const size_t n = ZSTD_decompressDCtx(Zstd().decompress.get(), plain.data(),
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

// A group's message id: where it starts and the hash it ends at (the one
// it continues from for a group that only signs a checkpoint). A retry of
// the same group has it; another writer's group at the same position does
// not.
std::string MessageId(const v1::GroupRecord& group) {
  const std::string& last = group.events().empty()
                                ? group.hash_before()
                                : group.events().rbegin()->hash();
  return absl::StrCat(group.position_first(), "-", absl::BytesToHexString(last),
                      group.events().empty()
                          ? absl::StrCat("-c", group.checkpoint_size())
                          : std::string());
}

void OnAsyncError(natsConnection*, natsSubscription*, natsStatus s, void*) {
  LogWarn(absl::StrFormat("NatsLog: %s", Why(s)));
}

// On the library's callback thread, which may run it after the NatsLog is
// gone (so no closure): the connection is the library's until then.
void OnDisconnected(natsConnection* nc, void*) {
  if (!natsConnection_IsClosed(nc)) {
    LogWarn("NatsLog: disconnected from NATS; reconnecting");
  }
}

void OnReconnected(natsConnection* nc, void*) {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  LogInfo(absl::StrFormat("NatsLog: reconnected to %s", url));
}

}  // namespace

NatsLog::NatsLog(NatsLogOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<NatsLog>> NatsLog::Connect(
    NatsLogOptions options) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("no NATS server given");
  }
  std::unique_ptr<NatsLog> log(new NatsLog(std::move(options)));
  if (absl::Status s = log->Open(); !s.ok()) return s;
  return log;
}

absl::Status NatsLog::Open() {
  std::vector<const char*> servers;
  for (const std::string& url : options_.servers)
    servers.push_back(url.c_str());
  const std::string where = absl::StrJoin(options_.servers, ",");
  natsStatus s = natsOptions_Create(&nats_options_);
  if (s == NATS_OK) {
    s = natsOptions_SetServers(nats_options_, servers.data(),
                               static_cast<int>(servers.size()));
  }
  // For ever, quickly: a ledger node outlives any one NATS server.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nats_options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(nats_options_, 100);
  if (s == NATS_OK) {
    s = natsOptions_SetErrorHandler(nats_options_, OnAsyncError, nullptr);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetDisconnectedCB(nats_options_, OnDisconnected, nullptr);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(nats_options_, OnReconnected, nullptr);
  }
  if (s == NATS_OK) s = natsConnection_Connect(&connection_, nats_options_);
  if (s != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to NATS at ", where, ": ", Why(s)));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = Millis(options_.request_wait);
  s = natsConnection_JetStream(&js_, connection_, &js_options);
  if (s != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("NATS at ", where, " has no JetStream: ", Why(s)));
  }
  RETURN_IF_ERROR(
      EnsureStream({options_.stream, options_.subject,
                    "complaint-ledger: one message per group commit"}));
  // Each taking and renewal of the lease (every lease / 3): the last
  // 10,000 say who wrote when, the older ones are dropped.
  RETURN_IF_ERROR(EnsureStream({options_.lease_stream, options_.lease_subject,
                                "complaint-ledger: the writer's lease",
                                /*max_messages=*/10000}));
  return EnsureStream({options_.keys_stream,
                       absl::StrCat(options_.keys_subject, ".>"),
                       "complaint-ledger: customers' wrapped data keys",
                       /*max_messages=*/-1, /*erasable=*/true});
}

absl::Status NatsLog::EnsureStream(const StreamSpec& spec) {
  const std::string& name = spec.name;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return absl::OkStatus();
  }
  if (code != JSStreamNotFoundErr) {
    return absl::UnavailableError(
        absl::StrCat("cannot read JetStream stream ", name, ": ", Why(s)));
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {spec.subject.c_str()};
  config.Name = name.c_str();
  config.Description = spec.description;
  config.MaxMsgs = spec.max_messages;
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = options_.replicas;
  config.Duplicates = int64_t{600} * 1000 * 1000 * 1000;  // 10 min, in ns.
  // The log and the lease: nothing of them can be removed. A key: its
  // one message, erased with the customer's data.
  config.DenyDelete = !spec.erasable;
  config.DenyPurge = !spec.erasable;
  if (spec.erasable) config.MaxMsgsPerSubject = 1;
  s = js_AddStream(&info, js_, &config, nullptr, &code);
  if (s == NATS_ERR && code == JSStreamNameExistErr) {
    return absl::OkStatus();  // Another node made it meanwhile.
  }
  if (s != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot make JetStream stream ",
                                               name, " (", options_.replicas,
                                               " replicas): ", Why(s)));
  }
  jsStreamInfo_Destroy(info);
  LogInfo(absl::StrFormat("NatsLog: made JetStream stream %s (%d replicas)",
                          name, options_.replicas));
  return absl::OkStatus();
}

NatsLog::~NatsLog() {
  Stop();
  jsCtx_Destroy(js_);
  natsConnection_Destroy(connection_);
  natsOptions_Destroy(nats_options_);
}

void NatsLog::Stop() {
  stopping_.store(true);
  if (follower_.joinable()) follower_.join();
}

absl::StatusOr<uint64_t> NatsLog::Publish(v1::GroupRecord* group,
                                          uint64_t after) {
  group->set_writer(options_.node_id);
  const std::string record = group->SerializeAsString();
  const std::string data = options_.compress ? Compress(record) : record;
  const std::string id = MessageId(*group);
  const absl::Time deadline = absl::Now() + options_.publish_retry;
  absl::Duration backoff = absl::Milliseconds(20);
  while (true) {
    const Attempt a = PublishOnce(
        options_.subject, data, after, id, options_.request_wait,
        "Nats-Expected-Last-Sequence", options_.compress ? kZstd : nullptr);
    if (a.status == NATS_OK) {
      published_.store(true);
      return a.sequence;
    }
    // Whether or not it was stored, the follower looks (FollowingPaused).
    published_.store(false);
    const std::string& why = a.why;
    if (a.status == NATS_ERR && a.code == JSStreamWrongLastSequenceErr) {
      return absl::UnavailableError(absl::StrCat(
          "the log of record has moved past this node's copy (sequence ", after,
          "): another node appended; this node catches up, retry (", why, ")"));
    }
    if (a.status == NATS_MAX_PAYLOAD ||
        (a.status == NATS_ERR && a.code == JSStreamMessageExceedsMaximumErr)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a group of ", data.size(),
          " bytes is more than NATS takes (raise max_payload): ", why));
    }
    if (absl::Now() + backoff > deadline) {
      return absl::UnavailableError(absl::StrCat(
          "the log of record (JetStream stream ", options_.stream,
          ") did not take the group within ",
          absl::FormatDuration(options_.publish_retry), ": ", why));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(500));
  }
}

absl::StatusOr<NatsLog::StreamState> NatsLog::ReadStream() const {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &code);
  if (s != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot read JetStream stream ",
                                               options_.stream, ": ", Why(s)));
  }
  StreamState state;
  state.last_sequence = info->State.LastSeq;
  if (info->Cluster != nullptr && info->Cluster->Leader != nullptr) {
    state.leader = info->Cluster->Leader;
  }
  jsStreamInfo_Destroy(info);
  return state;
}

absl::StatusOr<uint64_t> NatsLog::LastSequence() const {
  absl::StatusOr<StreamState> state = ReadStream();
  if (!state.ok()) return state.status();
  return state->last_sequence;
}

absl::StatusOr<std::string> NatsLog::StreamLeader() const {
  absl::StatusOr<StreamState> state = ReadStream();
  if (!state.ok()) return state.status();
  if (state->leader.empty()) {
    return absl::UnavailableError("the stream has no leader");
  }
  return state->leader;
}

absl::StatusOr<NatsLog::LeaseMessage> NatsLog::ReadLease(
    absl::Duration wait) const {
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = std::max<int64_t>(Millis(wait), 1);
  natsStatus s = js_GetLastMsg(&msg, js_, options_.lease_stream.c_str(),
                               options_.lease_subject.c_str(), &options, &code);
  LeaseMessage last;
  if (s == NATS_NOT_FOUND || (s == NATS_ERR && code == JSNoMessageFoundErr)) {
    return last;  // Never taken.
  }
  if (s != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the writer's lease (JetStream stream ",
                     options_.lease_stream, "): ", Why(s)));
  }
  last.sequence = natsMsg_GetSequence(msg);
  const bool parsed = last.lease.ParseFromArray(natsMsg_GetData(msg),
                                                natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
  if (!parsed) {
    return absl::DataLossError(
        absl::StrCat("the writer's lease at sequence ", last.sequence, " of ",
                     options_.lease_stream, " is not a lease"));
  }
  return last;
}

absl::StatusOr<uint64_t> NatsLog::PublishLease(const v1::WriterLease& lease,
                                               uint64_t after,
                                               const std::string& id,
                                               absl::Duration wait) {
  const Attempt a = PublishOnce(options_.lease_subject,
                                lease.SerializeAsString(), after, id, wait);
  if (a.status == NATS_OK) return a.sequence;
  if (a.status == NATS_ERR && a.code == JSStreamWrongLastSequenceErr) {
    return absl::AbortedError(absl::StrCat(
        "the writer's lease moved past sequence ", after, ": ", a.why));
  }
  return absl::UnavailableError(
      absl::StrCat("the writer's lease (JetStream stream ",
                   options_.lease_stream, ") was not written: ", a.why));
}

NatsLog::Attempt NatsLog::PublishOnce(const std::string& subject,
                                      const std::string& data, uint64_t after,
                                      const std::string& id,
                                      absl::Duration wait,
                                      const char* expect_header,
                                      const char* encoding) {
  const std::string expect = absl::StrCat(after);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  // nats.c 3.4.1 sends ExpectLastSeq only when it is above 0: the header
  // by hand, so that the first message expects an empty stream too.
  if (s == NATS_OK) {
    s = natsMsgHeader_Set(msg, expect_header, expect.c_str());
  }
  if (s == NATS_OK && encoding != nullptr) {
    s = natsMsgHeader_Set(msg, kEncodingHeader, encoding);
  }
  jsPubOptions publish;
  jsPubOptions_Init(&publish);
  publish.MsgId = id.c_str();
  publish.MaxWait = std::max<int64_t>(Millis(wait), 1);
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, js_, msg, &publish, &code);
  natsMsg_Destroy(msg);
  Attempt attempt;
  attempt.status = s;
  attempt.code = code;
  if (s == NATS_OK) {
    attempt.sequence = ack->Sequence;
    attempt.duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
  } else {
    attempt.why = Why(s);  // The library's last error, on this thread.
  }
  return attempt;
}

absl::StatusOr<std::string> NatsLog::KeySubject(
    const std::string& key_id) const {
  const size_t hash = key_id.rfind('#');
  const absl::string_view ref = absl::string_view(key_id).substr(0, hash);
  uint64_t generation = 0;
  if (hash == std::string::npos || ref.empty() ||
      !absl::SimpleAtoi(absl::string_view(key_id).substr(hash + 1),
                        &generation) ||
      !std::all_of(ref.begin(), ref.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key_id, "\" is not a data key id"));
  }
  return absl::StrCat(options_.keys_subject, ".", ref, ".", generation);
}

absl::StatusOr<std::string> NatsLog::CreateKey(const std::string& key_id,
                                               const std::string& wrapped) {
  ASSIGN_OR_RETURN(const std::string subject, KeySubject(key_id));
  // Ours (its random nonce first): a retry of it is stored once, another
  // node's key under the same id is not taken for it.
  const std::string id =
      absl::StrCat("key-", key_id, "-",
                   absl::BytesToHexString(absl::string_view(wrapped).substr(
                       0, std::min<size_t>(wrapped.size(), 12))));
  const absl::Time deadline = absl::Now() + options_.publish_retry;
  absl::Duration backoff = absl::Milliseconds(20);
  while (true) {
    // Expecting no message on the subject yet.
    const Attempt a =
        PublishOnce(subject, wrapped, /*after=*/0, id, options_.request_wait,
                    "Nats-Expected-Last-Subject-Sequence");
    if (a.status == NATS_OK && !a.duplicate) return wrapped;
    std::string why = a.why;
    // Stored before (a retry's duplicate: erased since?) or another's:
    // what the subject holds now.
    if (a.status == NATS_OK ||
        (a.status == NATS_ERR && a.code == JSStreamWrongLastSequenceErr)) {
      absl::StatusOr<std::optional<KeyMessage>> stored =
          LastKeyMessage(subject, key_id);
      if (stored.ok() && stored->has_value()) {
        if ((*stored)->data.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "data key ", key_id,
              " was erased: its id is not made again (the customer's next "
              "key is of a later generation)"));
        }
        return std::move((*stored)->data);
      }
      if (!stored.ok()) why = std::string(stored.status().message());
      if (stored.ok()) why = "stored once, then removed";
    }
    if (absl::Now() + backoff > deadline) {
      return absl::UnavailableError(absl::StrCat(
          "the customers' keys (JetStream stream ", options_.keys_stream,
          ") did not take data key ", key_id, " within ",
          absl::FormatDuration(options_.publish_retry), ": ", why));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(500));
  }
}

absl::StatusOr<std::optional<NatsLog::KeyMessage>> NatsLog::LastKeyMessage(
    const std::string& subject, const std::string& key_id) const {
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&msg, js_, options_.keys_stream.c_str(),
                               subject.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || (s == NATS_ERR && code == JSNoMessageFoundErr)) {
    return std::nullopt;
  }
  if (s != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot read data key ", key_id, " (JetStream stream ",
                     options_.keys_stream, "): ", Why(s)));
  }
  KeyMessage last;
  last.sequence = natsMsg_GetSequence(msg);
  last.data.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
  return last;
}

absl::StatusOr<std::optional<std::string>> NatsLog::ReadKey(
    const std::string& key_id) const {
  ASSIGN_OR_RETURN(const std::string subject, KeySubject(key_id));
  ASSIGN_OR_RETURN(std::optional<KeyMessage> last,
                   LastKeyMessage(subject, key_id));
  if (!last.has_value() || last->data.empty()) return std::nullopt;
  return std::move(last->data);
}

absl::Status NatsLog::EraseKey(const std::string& key_id) {
  ASSIGN_OR_RETURN(const std::string subject, KeySubject(key_id));
  // The key's message erased (overwritten on every replica), then an empty
  // one in its place, which no CreateKey gets past: the id is never made
  // again, by a node that has not yet folded the erasure either. Other
  // nodes erase the same key at the same time: exactly the message read is
  // erased, never a tombstone, and a tombstone is published expecting the
  // subject empty (under a message id of its own each time, so that no
  // duplicate is taken for it).
  std::string why;
  for (int attempt = 0; attempt < 4; ++attempt) {
    absl::StatusOr<std::optional<KeyMessage>> last =
        LastKeyMessage(subject, key_id);
    if (!last.ok()) {
      why = std::string(last.status().message());
      continue;
    }
    if (last->has_value() && (*last)->data.empty()) return absl::OkStatus();
    if (last->has_value()) {
      jsErrCode code = static_cast<jsErrCode>(0);
      const natsStatus s = js_EraseMsg(js_, options_.keys_stream.c_str(),
                                       (*last)->sequence, nullptr, &code);
      // Refused: gone already (another node), or not now; read again.
      if (s != NATS_OK) {
        why = Why(s);
        continue;
      }
    }
    const Attempt a = PublishOnce(
        subject, "", /*after=*/0,
        absl::StrCat("erased-", key_id, "-", absl::ToUnixNanos(absl::Now()),
                     "-", attempt),
        options_.request_wait, "Nats-Expected-Last-Subject-Sequence");
    if (a.status != NATS_OK &&
        !(a.status == NATS_ERR && a.code == JSStreamWrongLastSequenceErr)) {
      why = a.why;
    }
  }
  return absl::UnavailableError(absl::StrCat("cannot erase data key ", key_id,
                                             " (JetStream stream ",
                                             options_.keys_stream, "): ", why));
}

void NatsLog::Follow(EventStore* store) {
  Stop();
  {
    absl::MutexLock lock(&mu_);
    follow_error_ = absl::OkStatus();
    store_ = store;
  }
  stopping_.store(false);
  follower_ = std::thread([this, store] {
    NameThisThread("ledger-follow");
    FollowLoop(store);
  });
}

absl::Status NatsLog::follow_error() const {
  absl::MutexLock lock(&mu_);
  return follow_error_;
}

absl::Status NatsLog::CatchUp(absl::Duration timeout) {
  absl::StatusOr<uint64_t> last = LastSequence();
  if (!last.ok()) return last.status();
  absl::MutexLock lock(&mu_);
  if (store_ == nullptr) {
    return absl::FailedPreconditionError("no store follows the log");
  }
  auto done = [this, target = *last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Not mid-write: a group written has been handed on (on_replicated)
    // too once its write returned.
    return !follow_error_.ok() ||
           (!applying_ && store_->replicated_sequence() >= target);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("this node's copy is at sequence ",
                     store_->replicated_sequence(), " of the log of record's ",
                     *last, " after ", absl::FormatDuration(timeout)));
  }
  return follow_error_;
}

void NatsLog::PauseFollowingWhile(std::function<bool()> writing) {
  absl::MutexLock lock(&mu_);
  writing_ = std::move(writing);
}

bool NatsLog::FollowingPaused() const {
  if (!published_.load()) return false;
  std::function<bool()> writing;
  {
    absl::MutexLock lock(&mu_);
    writing = writing_;
  }
  return writing && writing();
}

void NatsLog::FollowLoop(EventStore* store) {
  natsSubscription* sub = nullptr;
  auto unsubscribe = [&sub] {
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
      sub = nullptr;
    }
  };
  // The groups being written into the copy (by the store's writer thread)
  // while the next ones are received and parsed here: two batches at most,
  // one written, one read.
  struct Batch {
    std::vector<v1::GroupRecord> records;
    std::vector<ReplicatedGroup> groups;
    bool written = false;  // Under mu_, with status.
    absl::Status status;
  };
  std::unique_ptr<Batch> writing;
  // Waits for `writing`; false (following stops) when the copy refused it.
  auto written = [&]() -> bool {
    if (writing == nullptr) return true;
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&writing->written));
    const absl::Status status = std::move(writing->status);
    writing.reset();
    if (status.ok()) return true;
    if (status.code() == absl::StatusCode::kUnavailable && stopping_.load()) {
      return false;
    }
    // Damage is reported, never skipped: the node stops following.
    follow_error_ = status;
    LogWarn(absl::StrFormat("NatsLog: stopped following the log of record: %s",
                            status.ToString()));
    return false;
  };
  while (!stopping_.load()) {
    if (FollowingPaused()) {
      // What was received is written first; nothing more is received
      // until this node stops writing (looked at every kPausedPoll).
      if (!written()) break;
      unsubscribe();
      absl::SleepFor(kPausedPoll);
      continue;
    }
    const uint64_t next =
        std::max(store->replicated_sequence(),
                 writing != nullptr ? writing->groups.back().sequence : 0) +
        1;
    if (sub == nullptr) {
      // An ordered push consumer: in order, no acknowledgements, made
      // again by the library after a gap or lost heartbeats.
      jsSubOptions options;
      jsSubOptions_Init(&options);
      options.Stream = options_.stream.c_str();
      options.Ordered = true;
      options.Config.DeliverPolicy = js_DeliverByStartSequence;
      options.Config.OptStartSeq = next;
      jsErrCode code = static_cast<jsErrCode>(0);
      natsStatus s = js_SubscribeSync(&sub, js_, options_.subject.c_str(),
                                      nullptr, &options, &code);
      if (s != NATS_OK) {
        sub = nullptr;
        LogWarn(absl::StrFormat(
            "NatsLog: cannot follow the log of record from %d: %s; retrying",
            next, Why(s)));
        absl::SleepFor(absl::Milliseconds(200));
        continue;
      }
    }
    // The next groups that have arrived, up to kFollowBatch of them, into
    // the copy in one write (the first waited for).
    auto batch = std::make_unique<Batch>();
    std::vector<v1::GroupRecord>& records = batch->records;
    records.reserve(kFollowBatch);
    absl::Status unsound;
    bool resubscribe = false;
    while (records.size() < kFollowBatch) {
      natsMsg* msg = nullptr;
      natsStatus s =
          natsSubscription_NextMsg(&msg, sub, records.empty() ? 200 : 0);
      if (s == NATS_TIMEOUT) break;
      if (s != NATS_OK) {
        LogWarn(absl::StrFormat(
            "NatsLog: following the log of record: %s; subscribing again",
            Why(s)));
        resubscribe = true;
        break;
      }
      jsMsgMetaData* meta = nullptr;
      uint64_t sequence = 0;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        sequence = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
      }
      const uint64_t expected = next + records.size();
      if (sequence < expected) {  // Here already (this node wrote it).
        natsMsg_Destroy(msg);
        continue;
      }
      if (sequence > expected) {  // Not the next one: from the next again.
        natsMsg_Destroy(msg);
        resubscribe = true;
        break;
      }
      v1::GroupRecord& record = records.emplace_back();
      unsound = ParseGroup(msg, sequence, &record);
      natsMsg_Destroy(msg);
      if (!unsound.ok()) {
        records.pop_back();
        break;
      }
    }
    // The batch before is written first (these continue it); a copy that
    // refused it takes none after it.
    if (!written()) break;
    if (!records.empty()) {
      for (size_t i = 0; i < records.size(); ++i) {
        batch->groups.push_back(ReplicatedGroup{&records[i], next + i});
      }
      {
        absl::MutexLock lock(&mu_);
        applying_ = true;
      }
      writing = std::move(batch);
      Batch* b = writing.get();
      store->ApplyReplicatedGroupsAsync(b->groups, [this, b](absl::Status s) {
        // Written and handed on (on_replicated): what CatchUp waits for.
        absl::MutexLock lock(&mu_);
        b->status = std::move(s);
        b->written = true;
        applying_ = false;
      });
    }
    if (!unsound.ok()) {
      if (written()) {
        absl::MutexLock lock(&mu_);  // written() let go of it.
        follow_error_ = unsound;
        LogWarn(
            absl::StrFormat("NatsLog: stopped following the log of record: %s",
                            unsound.ToString()));
      }
      break;
    }
    if (resubscribe) {
      // From the group after the last one received (or written).
      unsubscribe();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  written();  // Before the store may close (Stop comes first).
  unsubscribe();
}

}  // namespace ledger
