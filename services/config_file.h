// ledgerd's configuration file (`--config FILE`): the program's own flags,
// one per line as on the command line, so a file and a command line read
// alike and every flag's documentation (`ledgerd --helpon=ledgerd_main`,
// tools/ledgerd.conf) is the file's too:
//
//   # comments and blank lines are ignored
//   --data_dir=/var/lib/complaint-ledger/data
//   --listen=0.0.0.0:50051
//   --projections            (a boolean alone is true)
//
// The file's flags come before the command line's: a flag given on the
// command line wins over the file.
#ifndef LEDGER_SERVICES_CONFIG_FILE_H_
#define LEDGER_SERVICES_CONFIG_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ledger {

// `args` (argv, the program's name first) with `--config FILE` or
// `--config=FILE` replaced by FILE's flags, put right after the program's
// name. INVALID_ARGUMENT naming the file and line for a line that is not a
// flag (or is another --config), NOT_FOUND for a file that cannot be read,
// INVALID_ARGUMENT for --config given twice or without a file.
absl::StatusOr<std::vector<std::string>> WithConfigFile(
    const std::vector<std::string>& args);

// Every flag defined in `source_suffix` (e.g. "ledgerd_main.cc"), by name,
// as a configuration file: each flag's help as a comment, then
// "--name=<its current value>", commented out ("# --name=…") when
// `commented`. What `ledgerd --print_config` prints.
std::string ConfigFileText(const std::string& source_suffix, bool commented);

}  // namespace ledger

#endif  // LEDGER_SERVICES_CONFIG_FILE_H_
