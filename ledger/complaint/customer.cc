#include "ledger/complaint/customer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "ledger/base/check.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"
#include "ledger/v1/complaint_events.pb.h"

namespace ledger {

absl::StatusOr<std::string> NormalizePhone(absl::string_view phone) {
  std::string digits;
  bool plus = false;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return absl::InvalidArgumentError(absl::StrCat(
          "customer.phone \"", phone,
          "\" may only hold digits, spaces, '+', '-', '.', '(' and ')'"));
    }
  }
  if (plus && absl::StartsWith(digits, "86")) {
    digits.erase(0, 2);
  } else if (!plus && absl::StartsWith(digits, "0086")) {
    digits.erase(0, 4);
  }
  if (digits.size() < 5 || digits.size() > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer.phone \"", phone, "\" has ", digits.size(),
                     " digits; a phone number has 5 to 20"));
  }
  return digits;
}

std::string CustomerRef(absl::string_view normalized_phone) {
  Sha256 sha;
  sha.Update("complaint-ledger/customer/v1:");
  sha.Update(normalized_phone);
  return absl::BytesToHexString(sha.Finish());
}

namespace {

// Each byte's value as a lowercase hex digit (CustomerRef's digits), or
// -1: a table, since a branch per digit mispredicts on random digits.
constexpr std::array<int8_t, 256> kHexDigits = [] {
  std::array<int8_t, 256> digits{};
  for (int c = 0; c < 256; ++c) {
    digits[c] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
                : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
                                       : -1;
  }
  return digits;
}();

}  // namespace

// Reads those three fields straight from the payload's bytes, skipping the
// rest as a parse would skip unknown fields (and a later occurrence of a
// field wins, as in a parse). Unwrap would copy the personal data and the
// free text as well, on every intake and for the whole log at a restart.
// False when the bytes are not a well-formed message.
bool CustomerIndex::ReadIntake(absl::string_view payload, Intake* intake) {
  using google::protobuf::internal::WireFormatLite;
  using Received = v1::ComplaintReceived;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(payload.data()),
      static_cast<int>(payload.size()));
  auto read_bytes = [&](absl::string_view* out) {
    uint32_t size;
    if (!in.ReadVarint32(&size)) return false;
    const void* data;
    int available;
    if (!in.GetDirectBufferPointer(&data, &available)) {
      // No bytes left: only an empty field is well formed.
      *out = absl::string_view();
      return size == 0;
    }
    if (size > static_cast<uint32_t>(available)) return false;
    *out = absl::string_view(static_cast<const char*>(data), size);
    return in.Skip(static_cast<int>(size));
  };
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    bool read;
    if (type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
        field == Received::kComplaintIdFieldNumber) {
      read = read_bytes(&intake->complaint_id);
    } else if (type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
               field == Received::kCustomerRefFieldNumber) {
      read = read_bytes(&intake->customer_ref);
    } else if (type == WireFormatLite::WIRETYPE_VARINT &&
               field == Received::kReceivedTimeUsFieldNumber) {
      uint64_t value;
      read = in.ReadVarint64(&value);
      intake->received_time_us = static_cast<int64_t>(value);
    } else {
      read = WireFormatLite::SkipField(&in, tag);
    }
    if (!read) return false;
  }
  // ReadTag's 0 is the end of the bytes, or a malformed tag.
  return in.ConsumedEntireMessage();
}

CustomerIndex::Key CustomerIndex::KeyOf(absl::string_view customer_ref) {
  Key key;
  if (customer_ref.size() == 2 * key.size()) {
    int invalid = 0;  // Negative once any digit is not one.
    for (size_t i = 0; i < key.size(); ++i) {
      const int high = kHexDigits[static_cast<uint8_t>(customer_ref[2 * i])];
      const int low = kHexDigits[static_cast<uint8_t>(customer_ref[2 * i + 1])];
      invalid |= high | low;
      key[i] = static_cast<char>(high << 4 | low);
    }
    if (invalid >= 0) return key;
  }
  Sha256 sha;
  sha.Update(customer_ref);
  sha.Finish(reinterpret_cast<unsigned char*>(key.data()));
  return key;
}

absl::Status CustomerIndex::Apply(const v1::Event& event) {
  if (Is<v1::ComplaintReceived>(event)) {
    Intake received;
    if (!ReadIntake(event.payload(), &received)) {
      return PayloadDoesNotParse(event);
    }
    if (received.customer_ref.empty()) return absl::OkStatus();
    Insert(received, KeyOf(received.customer_ref));
  } else if (Is<v1::ComplaintClassified>(event)) {
    auto it = entry_of_.find(ComplaintIdOfStream(event.stream_id()));
    if (it == entry_of_.end()) return absl::OkStatus();
    ASSIGN_OR_RETURN(auto classified, Unwrap<v1::ComplaintClassified>(event));
    PriorComplaint& prior = entry(it->second).prior;
    prior.kind = classified.kind();
    prior.category = classified.category();
  }
  return absl::OkStatus();
}

void CustomerIndex::Insert(const Intake& intake, const Key& key) {
  LEDGER_CHECK(size_ < kNoEntry, "the customer index holds 2^32 - 1 intakes");
  const uint32_t i = size_;
  if (!entry_of_.try_emplace(intake.complaint_id, i).second) {
    return;  // Received once only (its stream's first).
  }
  if ((i >> kChunkBits) == chunks_.size()) {
    chunks_.push_back(std::make_unique<Entry[]>(size_t{1} << kChunkBits));
  }
  ++size_;
  PriorComplaint& prior = entry(i).prior;
  prior.complaint_id = std::string(intake.complaint_id);
  prior.received_time_us = intake.received_time_us;
  auto [chain, first] = by_customer_.try_emplace(key, Chain{i, i});
  if (!first) {
    entry(chain->second.last).next = i;
    chain->second.last = i;
  }
}

absl::Status CustomerIndex::ApplyAll(
    absl::Span<const v1::Event* const> events) {
  if (events.size() == 1) return Apply(*events[0]);
  // Each intake read once, and the memory of its slots requested, before
  // the first insert waits for any of it.
  struct Prepared {
    Intake intake;
    Key key;
  };
  std::vector<Prepared> intakes;
  std::vector<bool> prepared(events.size());
  intakes.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Prepared p;
    if (!Is<v1::ComplaintReceived>(*events[i]) ||
        !ReadIntake(events[i]->payload(), &p.intake) ||
        p.intake.customer_ref.empty()) {
      continue;  // Applied one at a time below.
    }
    p.key = KeyOf(p.intake.customer_ref);
    entry_of_.prefetch(p.intake.complaint_id);
    by_customer_.prefetch(p.key);
    intakes.push_back(p);
    prepared[i] = true;
  }
  absl::Status status;
  size_t next = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (prepared[i]) {
      Insert(intakes[next].intake, intakes[next].key);
      ++next;
    } else {
      status.Update(Apply(*events[i]));
    }
  }
  return status;
}

std::vector<PriorComplaint> CustomerIndex::History(
    const std::string& customer_ref) const {
  auto it = by_customer_.find(KeyOf(customer_ref));
  if (it == by_customer_.end()) return {};
  std::vector<PriorComplaint> history;
  for (uint32_t i = it->second.first; i != kNoEntry; i = entry(i).next) {
    history.push_back(entry(i).prior);
  }
  return history;
}

}  // namespace ledger
