// The monthly penalty table for finance (003 §7.2: 抄發財務部門; docs/rules.md
// §11): a signed table's lines and adjustments, with the stations' heads
// answerable, the complaints behind each amount and the schedule applied,
// as CSV (RFC 4180, UTF-8) or as an Excel workbook (libxlsxwriter).
#ifndef LEDGER_SERVICES_PENALTY_EXPORT_H_
#define LEDGER_SERVICES_PENALTY_EXPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "ledger/v1/query_service.pb.h"

namespace ledger {

// One row per line, then per adjustment, then a totals row. Columns: kind
// (line/adjustment), station, station name, station head, complaint,
// severity, amount (yuan), charged, adjusts month, cause position,
// schedule from.
std::string PenaltyTableCsv(const v1::GetPenaltyTableResponse& table);
// The same rows on one sheet named after the month, with a title, who drew
// and signed the table, and the totals.
absl::StatusOr<std::string> PenaltyTableWorkbook(
    const v1::GetPenaltyTableResponse& table);

// What ExportPenaltyTable answers: FAILED_PRECONDITION for a table not
// signed (finance is given signed tables only), INVALID_ARGUMENT for no
// format.
absl::StatusOr<v1::ExportPenaltyTableResponse> ExportPenaltyTable(
    const v1::GetPenaltyTableResponse& table, v1::ExportFormat format);

}  // namespace ledger

#endif  // LEDGER_SERVICES_PENALTY_EXPORT_H_
