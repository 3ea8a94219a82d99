// An Excel workbook's bytes, made with libxlsxwriter (the station table's
// export in services/console.cc, the penalty table's in
// services/penalty_export.cc).
#ifndef LEDGER_SERVICES_WORKBOOK_H_
#define LEDGER_SERVICES_WORKBOOK_H_

#include <xlsxwriter.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ledger/v1/common.pb.h"

namespace ledger {

// libxlsxwriter 1.1 writes to a file only: a workbook in a temporary file,
// filled by `fill`, closed and read back; the file is removed. INTERNAL
// when the file or the workbook cannot be made or written.
absl::StatusOr<std::string> WorkbookBytes(
    const std::function<void(lxw_workbook*)>& fill);

// A report's one sheet, `name`, A4 landscape: the workbook's title and
// comments are `title` and `subject`, both also written on its first two
// rows, and `headers` are on row 3 in `header`'s format.
struct ReportSheet {
  lxw_worksheet* sheet = nullptr;
  lxw_format* header = nullptr;  // bold, thin border
  lxw_format* cell = nullptr;    // thin border
  lxw_format* money = nullptr;   // thin border, #,##0.00
  lxw_row_t first_row = 0;       // the row after the headers
};
ReportSheet AddReportSheet(lxw_workbook* book, const std::string& name,
                           const std::string& title, const std::string& subject,
                           absl::Span<const char* const> headers);

// `money` in yuan, for a `money` cell.
double Yuan(const v1::Money& money);

}  // namespace ledger

#endif  // LEDGER_SERVICES_WORKBOOK_H_
