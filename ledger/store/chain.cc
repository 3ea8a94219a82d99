#include "ledger/store/chain.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/errors.h"
#include "ledger/store/internal/keys.h"

namespace ledger {
namespace {

void AppendFixed32BE(std::string* dst, uint32_t v) {
  const char buf[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  dst->append(buf, 4);
}

void AppendBytes(std::string* dst, const std::string& bytes) {
  AppendFixed32BE(dst, static_cast<uint32_t>(bytes.size()));
  dst->append(bytes);
}

}  // namespace

const std::string& GenesisHash() {
  static const std::string* const kGenesis = new std::string(kHashBytes, '\0');
  return *kGenesis;
}

// The layout is drawn in ledger/FORMAT.md; changing it breaks every chain.
void AppendCanonicalBytes(const v1::Event& event, std::string* dst) {
  dst->append("CLEDGER1", 8);
  internal::PutFixed64BE(dst, event.position());
  AppendBytes(dst, event.stream_id());
  internal::PutFixed64BE(dst, event.revision());
  AppendBytes(dst, event.event_type());
  internal::PutFixed64BE(dst, static_cast<uint64_t>(event.recorded_time_us()));
  AppendBytes(dst, event.actor());
  AppendBytes(dst, event.command_id());
  AppendBytes(dst, event.correlation_id());
  AppendBytes(dst, event.causation_id());
  AppendFixed32BE(dst, event.schema_version());
  AppendBytes(dst, event.payload());
  AppendBytes(dst, event.previous_hash());
}

namespace {

// Hashing is on the write and replay hot paths: one canonical buffer per
// thread, and no allocation for the digest.
void HashInto(const v1::Event& event, unsigned char* digest) {
  thread_local std::string canonical;
  canonical.clear();
  AppendCanonicalBytes(event, &canonical);
  Sha256 sha;
  sha.Update(canonical);
  sha.Finish(digest);
}

}  // namespace

std::string ComputeEventHash(const v1::Event& event) {
  std::string hash(kHashBytes, '\0');
  HashInto(event, reinterpret_cast<unsigned char*>(hash.data()));
  return hash;
}

absl::Status CheckEventHash(const v1::Event& event) {
  if (event.hash().size() != kHashBytes ||
      event.previous_hash().size() != kHashBytes) {
    return DataLossAt(event.position(),
                      absl::StrCat("event at position ", event.position(),
                                   ": hash fields are ", event.hash().size(),
                                   " and ", event.previous_hash().size(),
                                   " bytes, want ", kHashBytes));
  }
  unsigned char digest[kHashBytes];
  HashInto(event, digest);
  if (std::memcmp(digest, event.hash().data(), kHashBytes) != 0) {
    return DataLossAt(event.position(),
                      absl::StrCat("event at position ", event.position(),
                                   ": hash does not match its content"));
  }
  return absl::OkStatus();
}

ChainVerifier::ChainVerifier() : ChainVerifier(0, GenesisHash()) {}

ChainVerifier::ChainVerifier(uint64_t position_last, std::string hash_last)
    : position_last_(position_last), hash_last_(std::move(hash_last)) {}

absl::Status ChainVerifier::Add(const v1::Event& event) {
  RETURN_IF_ERROR(CheckLink(event));
  RETURN_IF_ERROR(CheckEventHash(event));
  position_last_ = event.position();
  hash_last_ = event.hash();
  return absl::OkStatus();
}

absl::Status ChainVerifier::Link(const v1::Event& event) {
  RETURN_IF_ERROR(CheckLink(event));
  position_last_ = event.position();
  hash_last_ = event.hash();
  return absl::OkStatus();
}

absl::Status ChainVerifier::CheckLink(const v1::Event& event) const {
  if (event.position() != position_last_ + 1) {
    return DataLossAt(
        position_last_ + 1,
        absl::StrCat("chain broken at position ", position_last_ + 1,
                     ": next event has position ", event.position()));
  }
  if (event.previous_hash() != hash_last_) {
    return DataLossAt(
        event.position(),
        absl::StrCat("chain broken at position ", event.position(),
                     ": previous_hash does not match the hash of position ",
                     position_last_));
  }
  return absl::OkStatus();
}

}  // namespace ledger
