// Fuzzes every command of the registry (app/commands.h): its validation
// and Decide on an arbitrary complaint state, clock, actor and customer
// history, or DecideReference on the reference data of FuzzReference().
// A refusal is any status; what Decide accepts must fold into the state it
// was decided on, and what DecideReference accepts into the reference data,
// as the application commits them. Input: fuzz/inputs.h, DecideInput.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>

#include "app/internal/command_ops.h"
#include "fuzz/inputs.h"
#include "ledger/base/check.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/complaint/validation.h"

namespace ledger::fuzz {
namespace {

// Aborts, so that libFuzzer keeps the input, when an event the ledger
// decided does not fold as it would be committed.
void CheckFolds(const v1::Event& event, const absl::Status& folded) {
  if (folded.ok()) return;
  std::fprintf(stderr, "a decided %s does not fold: %s\n",
               event.event_type().c_str(), folded.ToString().c_str());
  std::abort();
}

void DecideComplaintCommand(const internal::CommandOps& ops,
                            const google::protobuf::Message& command,
                            const std::string& state_bytes,
                            const DecideContext& context) {
  v1::ComplaintState state;
  if (!state.ParseFromString(state_bytes)) return;
  absl::StatusOr<Decision> decision = ops.decide(state, command, context);
  if (!decision.ok()) return;
  for (v1::Event event : *decision) {
    event.set_stream_id(ComplaintStream(ops.complaint_id(command)));
    event.set_revision(
        state.stage() == v1::STAGE_UNSPECIFIED ? 0 : state.revision() + 1);
    event.set_recorded_time_us(absl::ToUnixMicros(context.now));
    CheckFolds(event, Apply(event, &state));
  }
}

void DecideReferenceCommand(const internal::CommandOps& ops,
                            const google::protobuf::Message& command,
                            const DecideContext& context) {
  absl::StatusOr<ReferenceChange> change = ops.decide_reference(
      *context.reference, context.actor, context.now, command);
  if (!change.ok()) return;
  ReferenceData reference = *context.reference;
  CheckFolds(change->event, reference.Apply(change->event));
}

void DecideOne(const uint8_t* data, size_t size) {
  const DecideInput input = ParseDecide(data, size);
  const auto& commands = RegisteredCommands();
  std::unique_ptr<google::protobuf::Message> command(
      commands[input.command % commands.size()]->New());
  if (!command->ParseFromString(input.command_bytes)) return;
  const internal::CommandOps* ops = internal::OpsOf(*command);
  LEDGER_CHECK(ops != nullptr, "every registered command has its ops");

  static const LifecyclePolicy kPolicy;
  DecideContext context;
  context.now = NowOf(input);
  context.actor = kActors[input.actor % std::size(kActors)];
  context.reference = &FuzzReference();
  context.policy = &kPolicy;
  // The customer index holds complaints whose intake was accepted, and
  // intake accepts only ids that CheckId does.
  for (const PriorComplaint& prior : input.history) {
    if (CheckId("", prior.complaint_id).ok()) {
      context.customer_history.push_back(prior);
    }
  }
  if (ops->kind == CommandKind::kComplaint) {
    DecideComplaintCommand(*ops, *command, input.state, context);
  } else {
    DecideReferenceCommand(*ops, *command, context);
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::DecideOne(data, size);
  return 0;
}
