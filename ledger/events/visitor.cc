#include "ledger/events/visitor.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

// Parses bytes into the alternative `Payload` of a payload variant.
template <typename Payload, typename Variant>
bool ParseAs(const std::string& bytes, Variant& out) {
  return out.template emplace<Payload>().ParseFromString(bytes);
}

template <typename Variant>
using Parser = bool (*)(const std::string&, Variant&);

// event_type -> the parser of its payload.
template <typename Variant, typename... Payloads>
const absl::flat_hash_map<std::string, Parser<Variant>>& ParsersOf(
    TypeList<Payloads...>) {
  static const auto* const kParsers = [] {
    auto* parsers = new absl::flat_hash_map<std::string, Parser<Variant>>();
    (parsers->emplace(Payloads::descriptor()->full_name(),
                      &ParseAs<Payloads, Variant>),
     ...);
    return parsers;
  }();
  return *kParsers;
}

}  // namespace

absl::StatusOr<DecodedEvent> DecodedEvent::Decode(const v1::Event& event) {
  auto payload = std::make_unique<EventPayload>();
  const auto& parsers = ParsersOf<EventPayload>(EventTypes());
  auto it = parsers.find(event.event_type());
  if (it != parsers.end() && !it->second(event.payload(), *payload)) {
    return absl::DataLossError(absl::StrCat("the ", event.event_type(),
                                            " payload at position ",
                                            event.position(),
                                            " does not parse"));
  }
  return DecodedEvent(event, std::move(payload));
}

absl::Status DecodedEvent::Accept(EventVisitor& visitor) const {
  return std::visit(
      [&](const auto& payload) -> absl::Status {
        using Payload = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<Payload, std::monostate>) {
          return visitor.VisitUnknown(*event_);
        } else {
          return static_cast<events_internal::VisitOne<Payload>&>(visitor)
              .Visit(*event_, payload);
        }
      },
      *payload_);
}

absl::Status Visit(const v1::Event& event, EventVisitor& visitor) {
  absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(event);
  if (!decoded.ok()) return decoded.status();
  return decoded->Accept(visitor);
}

}  // namespace ledger
