// RETURN_IF_ERROR and ASSIGN_OR_RETURN, which Debian's abseil (20220623) does
// not ship.
#ifndef LEDGER_BASE_STATUS_MACROS_H_
#define LEDGER_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                       \
  do {                                                              \
    if (absl::Status ledger_status_ = (expr); !ledger_status_.ok()) \
        [[unlikely]] {                                              \
      return ledger_status_;                                        \
    }                                                               \
  } while (false)

#define LEDGER_STATUS_CONCAT_INNER_(a, b) a##b
#define LEDGER_STATUS_CONCAT_(a, b) LEDGER_STATUS_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(T x, StatusOrExpr): declares or assigns the value, or
// returns the error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  LEDGER_ASSIGN_OR_RETURN_IMPL_(    \
      LEDGER_STATUS_CONCAT_(ledger_statusor_, __LINE__), lhs, expr)

#define LEDGER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) [[unlikely]] {                       \
    return std::move(statusor).status();                   \
  }                                                        \
  lhs = std::move(statusor).value()

#endif  // LEDGER_BASE_STATUS_MACROS_H_
