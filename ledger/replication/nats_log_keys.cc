// NatsLog's stream of customers' wrapped data keys
// (ledger/replication/nats_log.h; app/personal_data.h, KeyReplica).
#include <nats/nats.h>

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/data_key_id.h"
#include "ledger/base/status_macros.h"
#include "ledger/replication/internal/nats_util.h"
#include "ledger/replication/nats_log.h"

namespace ledger {

using internal::Millis;
using internal::Why;

absl::StatusOr<std::string> NatsLog::KeySubject(
    const std::string& key_id) const {
  ASSIGN_OR_RETURN(const DataKeyId id, ParseDataKeyId(key_id));
  // Its ref is a token of the subject.
  const std::string& ref = id.customer_ref;
  if (ref.empty() || !std::all_of(ref.begin(), ref.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key_id, "\" is not a data key id"));
  }
  return absl::StrCat(options_.keys_subject, ".", ref, ".", id.generation);
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

}  // namespace ledger
