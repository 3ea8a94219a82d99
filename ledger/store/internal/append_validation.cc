#include "ledger/store/internal/append_validation.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/internal/keys.h"
#include "ledger/store/limits.h"

namespace ledger::internal {
namespace {

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", value.size(), " bytes, the limit is ", max_bytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateEvent(size_t index, const ProposedEvent& event) {
  const std::string where = absl::StrCat("events[", index, "].");
  if (event.event_type.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "event_type is empty"));
  }
  RETURN_IF_ERROR(
      CheckLength(where + "event_type", event.event_type, kMaxEventTypeBytes));
  RETURN_IF_ERROR(CheckLength(where + "actor", event.actor, kMaxActorBytes));
  RETURN_IF_ERROR(CheckLength(where + "correlation_id", event.correlation_id,
                              kMaxCorrelationIdBytes));
  RETURN_IF_ERROR(CheckLength(where + "causation_id", event.causation_id,
                              kMaxCorrelationIdBytes));
  if (event.schema_version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "schema_version must be at least 1"));
  }
  const size_t bytes = event.event_type.size() + event.payload.size() +
                       event.actor.size() + event.correlation_id.size() +
                       event.causation_id.size();
  if (bytes > kMaxEventBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "events[", index, "] is ", bytes,
        " bytes with its metadata, the limit is ", kMaxEventBytes));
  }
  return absl::OkStatus();
}

// Length-prefixed, so that field boundaries are part of the digest.
void DigestField(Sha256* sha, absl::string_view field) {
  std::string length;
  PutFixed64BE(&length, field.size());
  sha->Update(length);
  sha->Update(field);
}

}  // namespace

absl::Status ValidateStreamId(absl::string_view stream_id) {
  if (stream_id.empty()) {
    return absl::InvalidArgumentError("stream_id is empty");
  }
  RETURN_IF_ERROR(CheckLength("stream_id", stream_id, kMaxStreamIdBytes));
  for (char c : stream_id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream_id may only hold printable ASCII without spaces; found "
          "byte 0x",
          absl::Hex(static_cast<unsigned char>(c))));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAppend(const AppendRequest& request) {
  RETURN_IF_ERROR(ValidateStreamId(request.stream_id));
  RETURN_IF_ERROR(
      CheckLength("command_id", request.command_id, kMaxCommandIdBytes));
  if (request.events.empty()) {
    return absl::InvalidArgumentError("an append needs at least one event");
  }
  if (request.events.size() > kMaxEventsPerAppend) {
    return absl::InvalidArgumentError(
        absl::StrCat("an append holds ", request.events.size(),
                     " events, the limit is ", kMaxEventsPerAppend));
  }
  size_t bytes = 0;
  for (size_t i = 0; i < request.events.size(); ++i) {
    RETURN_IF_ERROR(ValidateEvent(i, request.events[i]));
    bytes += request.events[i].payload.size();
  }
  if (bytes > kMaxAppendBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an append holds ", bytes, " payload bytes, the limit is ",
                     kMaxAppendBytes));
  }
  return absl::OkStatus();
}

size_t RecordBytes(const AppendRequest& request) {
  // Position, revision, times, the two hashes and the protobuf tags.
  constexpr size_t kFixed = 112;
  size_t bytes = 0;
  for (const ProposedEvent& e : request.events) {
    bytes += kFixed + request.stream_id.size() + request.command_id.size() +
             e.event_type.size() + e.payload.size() + e.actor.size() +
             e.correlation_id.size() + e.causation_id.size();
  }
  return bytes;
}

std::string FingerprintDigest(const std::string& fingerprint) {
  Sha256 sha;
  // A tag no stream id can be (stream ids are never empty), so that a
  // fingerprint digest never equals an events digest.
  DigestField(&sha, "");
  DigestField(&sha, fingerprint);
  return sha.Finish();
}

std::string ContentDigest(const AppendRequest& request) {
  if (!request.command_fingerprint.empty()) {
    return FingerprintDigest(request.command_fingerprint);
  }
  Sha256 sha;
  DigestField(&sha, request.stream_id);
  for (const ProposedEvent& e : request.events) {
    DigestField(&sha, e.event_type);
    DigestField(&sha, e.payload);
    DigestField(&sha, e.actor);
    DigestField(&sha, e.correlation_id);
    DigestField(&sha, e.causation_id);
    DigestField(&sha, std::to_string(e.schema_version));
  }
  return sha.Finish();
}

}  // namespace ledger::internal
