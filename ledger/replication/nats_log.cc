#include "ledger/replication/nats_log.h"

#include <nats/nats.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ledger/base/log.h"
#include "ledger/base/status_macros.h"
#include "ledger/replication/internal/group_message.h"
#include "ledger/replication/internal/nats_util.h"

namespace ledger {
namespace {

using internal::Millis;
using internal::Why;

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

std::vector<std::string> NatsLog::Unfit(const jsStreamConfig& config,
                                        const StreamSpec& spec, int replicas) {
  std::vector<std::string> unfit;
  if (config.SubjectsLen != 1 || config.Subjects == nullptr ||
      config.Subjects[0] == nullptr || spec.subject != config.Subjects[0]) {
    std::vector<std::string> subjects;
    for (int i = 0; config.Subjects != nullptr && i < config.SubjectsLen; ++i) {
      subjects.push_back(config.Subjects[i] ? config.Subjects[i] : "");
    }
    unfit.push_back(absl::StrCat("it takes subjects [",
                                 absl::StrJoin(subjects, ", "), "], not only ",
                                 spec.subject));
  }
  if (config.Storage != js_FileStorage) {
    unfit.push_back(
        "it keeps its messages in memory (lost when its servers "
        "restart), not in files");
  }
  if (config.Replicas < replicas) {
    unfit.push_back(absl::StrCat("it keeps ", config.Replicas,
                                 config.Replicas == 1 ? " copy" : " copies",
                                 " of each message, fewer than the ", replicas,
                                 " asked (--nats_replicas)"));
  }
  if (config.Retention != js_LimitsPolicy) {
    unfit.push_back(
        "it drops messages once consumers took them (retention "
        "is not by limits)");
  }
  if (config.Sealed) unfit.push_back("it is sealed (it takes no messages)");
  if (config.Mirror != nullptr || config.SourcesLen > 0) {
    unfit.push_back("it takes messages from other streams (mirror, sources)");
  }
  if (!spec.erasable) {
    if (!config.DenyDelete) unfit.push_back("it lets messages be deleted");
    if (!config.DenyPurge) unfit.push_back("it lets it be purged");
  } else if (config.DenyDelete) {
    unfit.push_back(
        "it refuses to delete a message, which erasing a "
        "customer's data does");
  }
  if (config.AllowRollup) {
    unfit.push_back("it lets a message roll it up (purging the others)");
  }
  // The log and the keys keep everything; the lease keeps its last
  // message whatever its bounds (the older ones go, never the new one).
  if (config.MaxAge > 0) {
    unfit.push_back(absl::StrCat("it drops messages older than ",
                                 config.MaxAge / 1000000000, " s"));
  }
  if (spec.max_messages <= 0 &&
      (config.MaxMsgs > 0 || config.MaxBytes > 0 ||
       (!spec.erasable && config.MaxMsgsPerSubject > 0))) {
    unfit.push_back(
        absl::StrCat("it drops messages past a limit (max messages ",
                     config.MaxMsgs, ", bytes ", config.MaxBytes,
                     ", a subject's messages ", config.MaxMsgsPerSubject, ")"));
  }
  if (spec.max_messages > 0 && config.Discard != js_DiscardOld) {
    unfit.push_back("at its limits it refuses new messages (discard new)");
  }
  return unfit;
}

absl::Status NatsLog::EnsureStream(const StreamSpec& spec) {
  const std::string& name = spec.name;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    // Made before (by a node, or by hand): used as it is, if it is fit.
    const std::vector<std::string> unfit =
        info->Config != nullptr
            ? Unfit(*info->Config, spec, options_.replicas)
            : std::vector<std::string>{"its settings could not be read"};
    jsStreamInfo_Destroy(info);
    if (unfit.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "JetStream stream ", name,
        " exists with settings the ledger cannot use: ",
        absl::StrJoin(unfit, "; "),
        ". Change it (nats stream edit) or remove it, or name another"));
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
    return EnsureStream(spec);  // Another node made it meanwhile: as above.
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
  const std::string data =
      options_.compress ? internal::CompressGroup(record) : record;
  const std::string id = internal::GroupMessageId(*group);
  const absl::Time deadline = absl::Now() + options_.publish_retry;
  absl::Duration backoff = absl::Milliseconds(20);
  while (true) {
    const Attempt a =
        PublishOnce(options_.subject, data, after, id, options_.request_wait,
                    "Nats-Expected-Last-Sequence",
                    options_.compress ? internal::kZstd : nullptr);
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
    s = natsMsgHeader_Set(msg, internal::kEncodingHeader, encoding);
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

}  // namespace ledger
