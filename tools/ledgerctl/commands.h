// ledgerctl's complaint commands: one subcommand per command of the
// complaint and reference-data services, and `show`.
//
//   ledgerctl receive [ID] --agent a17 --channel phone
//       --customer-phone 13800138000 --content "..." [--green-channel]
//   ledgerctl classify ID --agent a17 --kind complaint
//       --category service-quality --importance general
//   ledgerctl dispatch ID --agent a17 --targets station:s1 --request "..."
//   ledgerctl reply ID --agent a17 --outcome resolved --reply "..."
//   ledgerctl show ID
//
// Every field of the command's message is a flag (tools/ledgerctl/
// proto_flags.h); `ledgerctl help COMMAND` lists them. --agent names the
// actor; --command-id makes a retry safe; --expected-revision guards
// against acting on a stale view. Errors print the server's message and
// exit 1; bad usage exits 2.
#ifndef LEDGER_TOOLS_LEDGERCTL_COMMANDS_H_
#define LEDGER_TOOLS_LEDGERCTL_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "tools/ledgerctl/cli.h"
#include "tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

// True when `name` is one of these subcommands (or "show").
bool IsComplaintCommand(const std::string& name);

// Runs the complaint command `line` names, with its operand and flags
// (those of every command already in `options`).
int RunComplaintCommand(const CommandLine& line, const Options& options,
                        std::ostream& out, std::ostream& err);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_COMMANDS_H_
