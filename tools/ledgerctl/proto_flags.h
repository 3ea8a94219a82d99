// Fills a command message from command-line flags by protobuf reflection,
// so every field of every command is reachable and the CLI never drifts
// from the protos:
//
//   --content "..."          a field by name ('-' for '_')
//   --customer-phone 138...  a field of a message field (customer.phone)
//   --command-id c1          a field found inside a singular message field
//                            (context.command_id)
//   --green-channel          a bool with no value is true
//   --roles agent,clerk      enum values by their short name, or in full
//   --targets station:s1     repeated: give the flag again to add more
//
// Values of message type: AssistTarget "station:ID" or "department:ID";
// Date "YYYY-MM-DD"; YearMonth "YYYY-MM"; TimeOfDay "HH:MM"; Money
// "CNY:200.00"; PenaltyRate "repeat=CNY:200.00"; CustomerType
// "CODE=NAME"; anything else in protobuf
// text format. Times (int64 fields named *_us): "YYYY-MM-DD HH:MM" or
// ISO 8601 "YYYY-MM-DDTHH:MM" in the given time zone, RFC 3339, or
// microseconds since the epoch. A singular AssistTarget field named
// "target" is --unit (--target is ledgerd's address).
#ifndef LEDGER_TOOLS_LEDGERCTL_PROTO_FLAGS_H_
#define LEDGER_TOOLS_LEDGERCTL_PROTO_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace ledger::ctl {

// Sets the field `name` names in `message` from `value`. INVALID_ARGUMENT
// for an unknown name or a value that does not parse, saying which.
absl::Status SetFlag(const std::string& name, const std::string& value,
                     const absl::TimeZone& zone,
                     google::protobuf::Message* message);

// An enum's values as flags take them: "phone, visit, email, ...".
std::string EnumChoices(const google::protobuf::EnumDescriptor* e);

// Whether a message field of type `d` takes one of the short forms above
// (AssistTarget, Date, YearMonth, TimeOfDay, Money, PenaltyRate) rather
// than flags of its own fields.
bool HasShorthand(const google::protobuf::Descriptor* d);

// Whether `name` is a flag of messages of type `d`, and whether it takes
// a value (a bool field does not).
enum class FlagKind { kNone, kBool, kValue };
FlagKind KindOfFlag(const std::string& name,
                    const google::protobuf::Descriptor* d);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_PROTO_FLAGS_H_
