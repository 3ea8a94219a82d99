// Running real processes from tests: ledgerd, ledgerctl, crash children.
#ifndef LEDGER_TESTS_SUBPROCESS_H_
#define LEDGER_TESTS_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ledger::testing {

// Starts argv[0] with `argv`, its stdout and stderr sent to the given file
// descriptors (-1: inherit). Returns the pid; aborts the test run if the
// process cannot start.
pid_t Spawn(const std::vector<std::string>& argv, int stdout_fd = -1,
            int stderr_fd = -1);

// Waits for `pid`; returns its raw wait status.
int WaitFor(pid_t pid);

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal.
  std::string out;
  std::string err;
};

// Runs a process to completion and returns its exit code and output.
ProcessResult Run(const std::vector<std::string>& argv);

// Waits until `path` exists and returns its contents; empty on timeout.
std::string WaitForFile(const std::string& path, absl::Duration timeout);

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_SUBPROCESS_H_
