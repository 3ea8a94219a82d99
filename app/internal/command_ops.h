// CommandOps: what the application layer does with a command whose type it
// knows only at run time, through functions made from the registry
// (app/commands.h) for each command type: its context, its complaint id
// and its Decide. Internal to app/.
#ifndef LEDGER_APP_INTERNAL_COMMAND_OPS_H_
#define LEDGER_APP_INTERNAL_COMMAND_OPS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "app/commands.h"
#include "google/protobuf/message.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/v1/commands.pb.h"
#include "ledger/v1/complaint_state.pb.h"

namespace ledger::internal {

struct CommandOps {
  CommandKind kind;
  const google::protobuf::Descriptor* descriptor;
  // A copy, by the generated class's own copy constructor (Message's
  // CopyFrom checks the copy with reflection in Debian's protobuf).
  std::unique_ptr<google::protobuf::Message> (*clone)(
      const google::protobuf::Message&);
  const v1::CommandContext& (*context)(const google::protobuf::Message&);
  v1::CommandContext* (*mutable_context)(google::protobuf::Message&);

  // Complaint commands only (nullptr for reference commands).
  const std::string& (*complaint_id)(const google::protobuf::Message&);
  void (*set_complaint_id)(google::protobuf::Message&, const std::string&);
  absl::StatusOr<Decision> (*decide)(const v1::ComplaintState&,
                                     const google::protobuf::Message&,
                                     const DecideContext&);

  // Reference commands only (nullptr for complaint commands), decided at
  // `now` (most ignore it).
  absl::StatusOr<ReferenceChange> (*decide_reference)(
      const ReferenceData&, const std::string& actor, absl::Time now,
      const google::protobuf::Message&);
};

// The ops of `command`'s type; nullptr when it is not a registered command.
const CommandOps* OpsOf(const google::protobuf::Message& command);

}  // namespace ledger::internal

#endif  // LEDGER_APP_INTERNAL_COMMAND_OPS_H_
