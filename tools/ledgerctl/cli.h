// ledgerctl's command line: which commands there are, what each takes and
// says in its help, how the words of a command line are read, and where
// the settings a person would otherwise type every time (server, identity,
// format) come from.
//
// Reading: the command is the first word that is no flag or flag value;
// flags may stand before or after it, as --name VALUE or --name=VALUE,
// '-' and '_' alike in names. A flag that takes a value always takes the
// next word (so a value may start with "--"); a boolean flag never does
// (--follow, or --follow=false). "--" ends the flags.
//
// Settings (target, profile, as, identity, token_file, tls_ca, format,
// time_zone, csv_bom): the command line wins, then the environment
// (LEDGER_TARGET, LEDGER_PROFILE, LEDGER_AS, LEDGER_IDENTITY,
// LEDGER_TOKEN_FILE, LEDGER_TLS_CA, LEDGER_FORMAT, LEDGER_TIME_ZONE,
// LEDGER_CSV_BOM), then the profile in the configuration file
// ($LEDGERCTL_CONFIG, else $XDG_CONFIG_HOME/ledgerctl/config, else
// ~/.config/ledgerctl/config):
//
//   [default]                      # used when no profile is named
//   target = 127.0.0.1:50051
//   identity = /home/wang/.ledger/identity
//   as = h1
//
//   [prod]
//   target = ledger.example.cn:50051
//   tls_ca = /etc/complaint-ledger/ca.pem
//   time_zone = Asia/Shanghai
#ifndef LEDGER_TOOLS_LEDGERCTL_CLI_H_
#define LEDGER_TOOLS_LEDGERCTL_CLI_H_

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace ledger::ctl {

// One flag as help shows it.
struct FlagHelp {
  std::string name;   // without "--", with '_'
  std::string value;  // "" for a boolean flag
  std::string help;
  bool required = false;
  bool repeatable = false;
};

// One command as help shows it.
struct CommandHelp {
  std::string name;
  std::string operands;  // "KIND", "[ID]", ...
  std::string summary;
  std::string group;
  std::vector<FlagHelp> flags;
  // Lines after the flags (structured values, examples).
  std::string more;
  // A complaint or reference command: its message, whose every field is a
  // flag (proto_flags.h), listed or not.
  const google::protobuf::Descriptor* message = nullptr;
};

// Every command, complaint commands included, in help's order.
const std::vector<CommandHelp>& AllCommands();
// nullptr when there is no such command.
const CommandHelp* FindCommandHelp(const std::string& name);
// The flags every command takes.
const std::vector<FlagHelp>& GlobalFlags();
// Whether `name` ('_' form) is one of them.
bool IsSettingFlag(const std::string& name);

// `ledgerctl help`: every command by group, with a line each.
void PrintOverview(std::ostream& out);
// `ledgerctl help COMMAND`: its synopsis, every flag with a line, required
// ones marked, the syntax of structured values.
void PrintCommandHelp(const CommandHelp& command, std::ostream& out);

// A command line read.
struct CommandLine {
  std::string command;                // "" when none was given
  std::vector<std::string> operands;  // after the command
  // Flag name ('_' for '-') -> its values in order; a boolean flag given
  // without a value has "true".
  std::map<std::string, std::vector<std::string>> flags;
  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  // The last value given, or `otherwise`.
  std::string Get(const std::string& name,
                  const std::string& otherwise = "") const;
};

// Reads `args` (argv without the program name). INVALID_ARGUMENT names an
// unknown command, a flag the command does not take, a flag without its
// value, a missing required flag.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args);

// A setting and where its value came from.
struct Setting {
  std::string value;
  std::string source;  // "--target", "$LEDGER_TARGET", "FILE [profile]", ...
};

// The settings that apply (see the top of this file), by name; `environ`
// is the environment (getenv), so tests can give their own. An unreadable
// or malformed configuration file, or a profile named but not in it, is
// INVALID_ARGUMENT naming file and line.
absl::StatusOr<std::map<std::string, Setting>> ResolveSettings(
    const CommandLine& line,
    const std::function<const char*(const char*)>& environ);

// `name` with '-' for '_' (a flag's or an enum value's spelling).
std::string Dashed(std::string name);

// "YYYY-MM" exactly, month 1..12; INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<std::pair<int, int>> ParseMonthFlag(const std::string& flag,
                                                   const std::string& value);
// A time in `zone`: "YYYY-MM-DD HH:MM", ISO 8601 "YYYY-MM-DDTHH:MM[:SS]",
// RFC 3339 with an offset; INVALID_ARGUMENT saying the formats otherwise.
absl::StatusOr<absl::Time> ParseTimeFlag(const std::string& flag,
                                         const std::string& value,
                                         const absl::TimeZone& zone);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_CLI_H_
