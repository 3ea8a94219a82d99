#include "ledger/complaint/customer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/check.h"
#include "ledger/base/sha256.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
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

absl::StatusOr<std::string> ContactKey(v1::Channel channel,
                                       const v1::CustomerContact& customer) {
  if (!customer.phone().empty()) return NormalizePhone(customer.phone());
  if (channel == v1::CHANNEL_PHONE) {
    return absl::InvalidArgumentError(
        "customer.phone is required for a phone complaint (the number that "
        "called)");
  }
  const std::string email(absl::StripAsciiWhitespace(customer.email()));
  if (!email.empty()) {
    const size_t at = email.find('@');
    if (at == 0 || at == std::string::npos || at + 1 == email.size() ||
        email.find_first_of(" \t\r\n", 0) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("customer.email \"", customer.email(),
                       "\" is not an e-mail address (name@domain)"));
    }
    return absl::StrCat("email:", absl::AsciiStrToLower(email));
  }
  std::string address;
  for (absl::string_view word : absl::StrSplit(
           customer.address(), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    absl::StrAppend(&address, address.empty() ? "" : " ", word);
  }
  if (!address.empty()) return absl::StrCat("address:", address);
  return absl::InvalidArgumentError(
      "customer: a phone number, an e-mail address or a postal address is "
      "needed, to reach the customer for the reply and the revisit");
}

std::string CustomerRef(absl::string_view contact_key) {
  Sha256 sha;
  sha.Update("complaint-ledger/customer/v1:");
  sha.Update(contact_key);
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

// What the index takes from the events: each intake's customer, and each
// classification of an indexed complaint.
class CustomerIndex::Fold final : public EventVisitor {
 public:
  explicit Fold(CustomerIndex* index) : index_(*index) {}

  // The Visits this class does not override stay in scope rather than
  // hidden (clang's -Woverloaded-virtual, in -Wall, refuses hiding them).
  using EventVisitor::Visit;

  absl::Status Visit(const v1::Event&,
                     const v1::ComplaintReceived& received) override {
    Intake intake = IntakeOf(received);
    if (!intake.customer_ref.empty()) {
      index_.Insert(intake, KeyOf(intake.customer_ref));
    }
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event& event,
                     const v1::ComplaintClassified& classified) override {
    auto it = index_.entry_of_.find(ComplaintIdView(event.stream_id()));
    if (it == index_.entry_of_.end()) return absl::OkStatus();
    PriorComplaint& prior = index_.entry(it->second).prior;
    prior.kind = classified.kind();
    prior.category = classified.category();
    return absl::OkStatus();
  }

 private:
  CustomerIndex& index_;
};

CustomerIndex::Intake CustomerIndex::IntakeOf(
    const v1::ComplaintReceived& received) {
  return Intake{received.complaint_id(), received.customer_ref(),
                received.received_time_us()};
}

absl::Status CustomerIndex::Apply(const DecodedEvent& event) {
  Fold fold(this);
  return event.Accept(fold);
}

absl::Status CustomerIndex::Apply(const v1::Event& event) {
  Fold fold(this);
  return Visit(event, fold);
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
  std::vector<DecodedEvent> decoded;
  decoded.reserve(events.size());
  absl::Status status;
  for (const v1::Event* event : events) {
    absl::StatusOr<DecodedEvent> d = DecodedEvent::Decode(*event);
    if (!d.ok()) {
      status.Update(d.status());
      continue;
    }
    decoded.push_back(*std::move(d));
  }
  status.Update(ApplyAll(decoded));
  return status;
}

absl::Status CustomerIndex::ApplyAll(absl::Span<const DecodedEvent> events) {
  if (events.size() == 1) return Apply(events[0]);
  // The memory of each intake's slots requested before the first insert
  // waits for any of it.
  struct Prepared {
    Intake intake;
    Key key;
  };
  std::vector<Prepared> intakes;
  std::vector<bool> prepared(events.size());
  intakes.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const auto* received = events[i].As<v1::ComplaintReceived>();
    if (received == nullptr || received->customer_ref().empty()) continue;
    Prepared p{IntakeOf(*received), KeyOf(received->customer_ref())};
    entry_of_.prefetch(p.intake.complaint_id);
    by_customer_.prefetch(p.key);
    intakes.push_back(p);
    prepared[i] = true;
  }
  absl::Status status;
  Fold fold(this);
  size_t next = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (prepared[i]) {
      Insert(intakes[next].intake, intakes[next].key);
      ++next;
    } else {
      status.Update(events[i].Accept(fold));
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
