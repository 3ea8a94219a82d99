// An Excel workbook's bytes, made with libxlsxwriter (the station table's
// export in services/console.cc, the penalty table's in
// services/penalty_export.cc).
#ifndef LEDGER_SERVICES_WORKBOOK_H_
#define LEDGER_SERVICES_WORKBOOK_H_

#include <xlsxwriter.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace ledger {

// libxlsxwriter 1.1 writes to a file only: a workbook in a temporary file,
// filled by `fill`, closed and read back; the file is removed. INTERNAL
// when the file or the workbook cannot be made or written.
absl::StatusOr<std::string> WorkbookBytes(
    const std::function<void(lxw_workbook*)>& fill);

}  // namespace ledger

#endif  // LEDGER_SERVICES_WORKBOOK_H_
