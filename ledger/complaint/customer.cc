#include "ledger/complaint/customer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

absl::Status CustomerIndex::Apply(const v1::Event& event) {
  if (Is<v1::ComplaintReceived>(event)) {
    ASSIGN_OR_RETURN(auto received, Unwrap<v1::ComplaintReceived>(event));
    if (received.customer_ref().empty()) return absl::OkStatus();
    Entry& entry = complaints_[received.complaint_id()];
    entry.customer_ref = received.customer_ref();
    entry.complaint.complaint_id = received.complaint_id();
    entry.complaint.received_time_us = received.received_time_us();
    by_customer_[received.customer_ref()].push_back(received.complaint_id());
  } else if (Is<v1::ComplaintClassified>(event)) {
    auto it = complaints_.find(ComplaintIdOfStream(event.stream_id()));
    if (it == complaints_.end()) return absl::OkStatus();
    ASSIGN_OR_RETURN(auto classified, Unwrap<v1::ComplaintClassified>(event));
    it->second.complaint.kind = classified.kind();
    it->second.complaint.category = classified.category();
  }
  return absl::OkStatus();
}

std::vector<PriorComplaint> CustomerIndex::History(
    const std::string& customer_ref) const {
  std::vector<PriorComplaint> history;
  auto it = by_customer_.find(customer_ref);
  if (it == by_customer_.end()) return history;
  for (const std::string& id : it->second) {
    history.push_back(complaints_.at(id).complaint);
  }
  return history;
}

}  // namespace ledger
