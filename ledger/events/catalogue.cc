#include "ledger/events/catalogue.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/log_events.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

const std::vector<const google::protobuf::Descriptor*>& AllEventTypes() {
  static const auto* const kTypes = [] {
    auto* types = new std::vector<const google::protobuf::Descriptor*>();
    // Naming one message of each file also links the file in.
    for (const google::protobuf::FileDescriptor* file :
         {v1::ComplaintReceived::descriptor()->file(),
          v1::StationRegistered::descriptor()->file(),
          v1::LogEndAccepted::descriptor()->file()}) {
      for (int i = 0; i < file->message_type_count(); ++i) {
        types->push_back(file->message_type(i));
      }
    }
    return types;
  }();
  return *kTypes;
}

std::string FullEventTypeName(const std::string& type) {
  return absl::StrContains(type, '.') ? type : absl::StrCat("ledger.v1.", type);
}

const google::protobuf::Descriptor* FindEventType(
    const std::string& event_type) {
  for (const google::protobuf::Descriptor* type : AllEventTypes()) {
    if (type->full_name() == event_type) return type;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> DecodePayload(
    const v1::Event& event) {
  const google::protobuf::Descriptor* type = FindEventType(event.event_type());
  if (type == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown event type ", event.event_type()));
  }
  std::unique_ptr<google::protobuf::Message> payload(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
  if (!payload->ParseFromString(event.payload())) {
    return absl::DataLossError(
        absl::StrCat("payload of event at position ", event.position(),
                     " is not a valid ", event.event_type()));
  }
  return payload;
}

}  // namespace ledger
