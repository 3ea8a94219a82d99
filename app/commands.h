// The command registry: every command of the ledger, listed once, in
// kCommands below. Everything that handles commands one by one comes from
// it:
//   - ComplaintApp::Execute / ExecuteAsync (app/complaint_app.cc) dispatch a
//     command to its Decide by the registry's types;
//   - ExecuteBatch runs whichever registered command a BatchCommand holds;
//   - the gRPC handlers: services/command_handlers.h installs one for each
//     command on the service whose RPC takes it (ComplaintService for
//     kComplaint, ReferenceDataService for kReference); the RPC of a
//     command is the method of that service named like its message, so the
//     handler of ComplaintService.ReceiveComplaint is
//     CommandHandlers::Handle, called with a v1::ReceiveComplaint;
//   - ledgerctl's subcommands (tools/ledgerctl/commands.cc): `cli_name`,
//     `operand` and `summary`.
// tests/command_registry_test.cc checks the registry against the protos:
// every command RPC of both services, every BatchCommand field and every
// Decide overload has its line here, and no line lacks them.
//
// Adding a command (the README's "Development" says it step by step): its
// message in proto/ledger/v1/commands.proto, its RPC in
// complaint_service.proto (and, for a complaint command, a field of
// BatchCommand), its Decide in ledger/complaint/ with a test, and one line
// here.
#ifndef LEDGER_APP_COMMANDS_H_
#define LEDGER_APP_COMMANDS_H_

#include <tuple>
#include <type_traits>

#include "google/protobuf/message.h"
#include "ledger/v1/commands.pb.h"

namespace ledger {

enum class CommandKind {
  // Acts on one complaint's stream (complaint_id); may be batched.
  kComplaint,
  // Changes the reference data (agents, stations, calendar, penalties).
  kReference,
};

// What ledgerctl takes as the command's operand.
enum class CommandOperand { kNone, kComplaintId, kOptionalComplaintId };

template <typename Command>
struct CommandSpec {
  using Type = Command;
  CommandKind kind;
  // ledgerctl's subcommand.
  const char* cli_name;
  CommandOperand operand;
  // One line: what the command does (ledgerctl's help).
  const char* summary;
};

// The registry. (A struct so that the enumerators read short here without
// leaking into the namespace.)
struct CommandRegistry {
  using enum CommandKind;
  using enum CommandOperand;
  // clang-format off
  static constexpr std::tuple kCommands{
    // The complaint lifecycle (ComplaintService; ledger/complaint/decide.h).
    CommandSpec<v1::ReceiveComplaint>{kComplaint, "receive", kOptionalComplaintId, "take a complaint in"},
    CommandSpec<v1::AssignOwner>{kComplaint, "assign-owner", kComplaintId, "the centre head names a new owner"},
    CommandSpec<v1::HandOver>{kComplaint, "hand-over", kComplaintId, "pass the case on at a shift handover"},
    CommandSpec<v1::Classify>{kComplaint, "classify", kComplaintId, "set kind, category, importance"},
    CommandSpec<v1::RaiseSeverity>{kComplaint, "raise-severity", kComplaintId, "repeat, or malicious (centre head)"},
    CommandSpec<v1::ChooseTrack>{kComplaint, "choose-track", kComplaintId, "on-the-spot, internal-study or coordinated"},
    CommandSpec<v1::RequestAssist>{kComplaint, "dispatch", kComplaintId, "send an assist request to departments or stations"},
    CommandSpec<v1::AnswerAssist>{kComplaint, "answer-assist", kComplaintId, "record an assisting unit's answer"},
    CommandSpec<v1::ChaseAssist>{kComplaint, "chase", kComplaintId, "chase or supervise an assisting unit"},
    CommandSpec<v1::EscalateToGm>{kComplaint, "escalate", kComplaintId, "the centre head's proposal to the general manager"},
    CommandSpec<v1::RecordGmDecision>{kComplaint, "gm-decision", kComplaintId, "record the general manager's decision"},
    CommandSpec<v1::Reply>{kComplaint, "reply", kComplaintId, "answer the customer"},
    CommandSpec<v1::RecordRevisit>{kComplaint, "revisit", kComplaintId, "record a revisit (call-back) of the customer"},
    CommandSpec<v1::WaiveRevisit>{kComplaint, "waive-revisit", kComplaintId, "waive a non-complaint's revisit (centre head)"},
    CommandSpec<v1::Reopen>{kComplaint, "reopen", kComplaintId, "start the flow again"},
    CommandSpec<v1::CompletePaperwork>{kComplaint, "complete-paperwork", kComplaintId, "a green-channel case's paperwork"},
    CommandSpec<v1::SignOff>{kComplaint, "sign-off", kComplaintId, "the centre head's review and signature"},
    CommandSpec<v1::EraseCustomerData>{kComplaint, "erase-customer-data", kComplaintId, "destroy the customer's personal data (centre head)"},
    CommandSpec<v1::RecordSpotCheck>{kComplaint, "spot-check", kComplaintId, "the supervision's check of a case's record"},
    CommandSpec<v1::MarkTypicalCase>{kComplaint, "mark-typical", kComplaintId, "file the case in the knowledge base (centre head)"},
    // Reference data (ReferenceDataService; ledger/complaint/reference_data.h).
    CommandSpec<v1::RegisterStation>{kReference, "register-station", kNone, "add or change a distribution station"},
    CommandSpec<v1::RegisterDepartment>{kReference, "register-department", kNone, "add or change a department"},
    CommandSpec<v1::RegisterAgent>{kReference, "register-agent", kNone, "add or change an agent and their roles"},
    CommandSpec<v1::RecordStationVolume>{kReference, "record-volume", kNone, "copies a station handled in a month"},
    CommandSpec<v1::PublishCalendar>{kReference, "publish-calendar", kNone, "publish a working-day calendar (--file FILE.textproto)"},
    CommandSpec<v1::PublishPenaltySchedule>{kReference, "publish-penalties", kNone, "publish the penalty schedule"},
    CommandSpec<v1::DeclareSpecialPeriod>{kReference, "declare-special-period", kNone, "a period with penalties not charged"},
    CommandSpec<v1::PublishCustomerTypes>{kReference, "publish-customer-types", kNone, "the customer types of the month-end revisit sample"},
    // The monthly assessment of agents (ReferenceDataService; docs/rules.md §12).
    CommandSpec<v1::EnterAssessmentPoints>{kReference, "enter-points", kNone, "teamwork's points, or an adjustment, for an agent's month"},
    CommandSpec<v1::PublishAssessment>{kReference, "publish-assessment", kNone, "publish an ended month's assessment (freezes it)"},
    CommandSpec<v1::AppealAssessment>{kReference, "appeal", kNone, "an agent appeals a part of their assessment"},
    CommandSpec<v1::DecideAppeal>{kReference, "decide-appeal", kNone, "the centre head accepts or rejects an appeal"},
    // The monthly station penalty table (ReferenceDataService; docs/rules.md §11).
    CommandSpec<v1::DrawUpPenaltyTable>{kReference, "draw-up-penalty-table", kNone, "freeze an ended month's penalty table (again until signed)"},
    CommandSpec<v1::SignPenaltyTable>{kReference, "sign-penalty-table", kNone, "the general manager signs the draw in force"},
    CommandSpec<v1::PublishPenaltyTable>{kReference, "publish-penalty-table", kNone, "publish a signed penalty table"},
    CommandSpec<v1::SendPenaltyTableToFinance>{kReference, "send-penalty-table", kNone, "record that the published table went to finance"},
    // The knowledge base's digests (ReferenceDataService; docs/rules.md §9).
    CommandSpec<v1::DrawUpDigest>{kReference, "draw-up-digest", kNone, "the half-month digest of cases and solutions"},
    CommandSpec<v1::CirculateDigest>{kReference, "circulate-digest", kNone, "send the digest round"},
    CommandSpec<v1::RecordReading>{kReference, "record-reading", kNone, "an agent read a circulated digest"},
  };
  // clang-format on
};
inline constexpr const auto& kCommands = CommandRegistry::kCommands;

// Calls `f(spec)` with each CommandSpec of kCommands, in order.
template <typename F>
constexpr void ForEachCommand(F&& f) {
  std::apply([&f](const auto&... spec) { (f(spec), ...); }, kCommands);
}

// True for a command listed in kCommands.
template <typename T>
inline constexpr bool kIsCommand = std::apply(
    [](const auto&... spec) {
      return (std::is_same_v<T, typename std::decay_t<decltype(spec)>::Type> ||
              ...);
    },
    kCommands);

// The spec of a registered command.
template <typename Command>
  requires kIsCommand<Command>
constexpr const CommandSpec<Command>& SpecOf() {
  return std::get<CommandSpec<Command>>(kCommands);
}

// The context of `command`; nullptr when it is no registered command.
const v1::CommandContext* CommandContextOf(
    const google::protobuf::Message& command);

}  // namespace ledger

#endif  // LEDGER_APP_COMMANDS_H_
