// LEDGER_CHECK: invariants whose violation would corrupt the ledger. Checked
// in release builds too; on failure prints the condition and the reason and
// aborts. Never use it for input from clients, disk or network: those are
// operating errors and get an absl::Status.
#ifndef LEDGER_BASE_CHECK_H_
#define LEDGER_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define LEDGER_CHECK(condition, reason)                                       \
  do {                                                                        \
    if (!(condition)) [[unlikely]] {                                          \
      std::fprintf(stderr, "%s:%d: LEDGER_CHECK failed: %s (%s)\n", __FILE__, \
                   __LINE__, #condition, reason);                             \
      std::abort();                                                           \
    }                                                                         \
  } while (false)

#endif  // LEDGER_BASE_CHECK_H_
