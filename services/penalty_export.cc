#include "services/penalty_export.h"

#include <stdlib.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "services/workbook.h"

namespace ledger {
namespace {

std::string Month(const v1::YearMonth& m) {
  return m.year() == 0 ? "" : absl::StrFormat("%04d-%02d", m.year(), m.month());
}

std::string YuanText(int64_t minor_units) {
  const uint64_t magnitude = minor_units < 0
                                 ? 0 - static_cast<uint64_t>(minor_units)
                                 : static_cast<uint64_t>(minor_units);
  return absl::StrFormat("%s%d.%02d", minor_units < 0 ? "-" : "",
                         magnitude / 100, magnitude % 100);
}

std::string SeverityName(v1::Severity s) {
  switch (s) {
    case v1::SEVERITY_REPEAT:
      return "repeat";
    case v1::SEVERITY_MALICIOUS:
      return "malicious";
    default:
      return "general";
  }
}

// Text a spreadsheet would take for a formula starts with a quote.
std::string Inert(const std::string& text) {
  return !text.empty() && std::string("=+-@").find(text[0]) != std::string::npos
             ? "'" + text
             : text;
}

// The cells of a row, as text. An adjustment is priced at the schedule of
// the month it adjusts (its "adjusts month"), not this table's: its
// schedule cell is left empty.
std::vector<std::string> Cells(const char* kind, const v1::PenaltyLine& line,
                               const v1::GetPenaltyTableResponse& table) {
  const bool adjustment = line.has_adjusts_month();
  return {kind,
          Inert(line.station_id()),
          Inert(line.station_name()),
          Inert(line.station_head_agent_id()),
          Inert(line.complaint_id()),
          SeverityName(line.severity()),
          YuanText(line.amount().minor_units()),
          line.charged() ? "yes" : "no (special period)",
          Month(line.adjusts_month()),
          line.cause_position() == 0 ? "" : absl::StrCat(line.cause_position()),
          adjustment ? "" : Month(table.schedule_effective_from())};
}

const char* const kHeaders[] = {
    "kind",          "station",        "station name", "station head",
    "complaint",     "severity",       "amount (CNY)", "charged",
    "adjusts month", "cause position", "schedule from"};

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

}  // namespace

std::string PenaltyTableCsv(const v1::GetPenaltyTableResponse& table) {
  std::string out;
  auto row = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ",", CsvCell(cells[i]));
    }
    absl::StrAppend(&out, "\r\n");
  };
  row(std::vector<std::string>(std::begin(kHeaders), std::end(kHeaders)));
  for (const v1::PenaltyLine& line : table.lines()) {
    row(Cells("line", line, table));
  }
  for (const v1::PenaltyLine& line : table.adjustments()) {
    row(Cells("adjustment", line, table));
  }
  row({"total charged", "", "", "", "", "",
       YuanText(table.total_charged().minor_units()), "yes", "", "",
       Month(table.schedule_effective_from())});
  row({"total not charged", "", "", "", "", "",
       YuanText(table.total_not_charged().minor_units()), "no (special period)",
       "", "", Month(table.schedule_effective_from())});
  return out;
}

absl::StatusOr<std::string> PenaltyTableWorkbook(
    const v1::GetPenaltyTableResponse& table) {
  const std::string month = Month(table.month());
  return WorkbookBytes([&](lxw_workbook* book) {
    const std::string title =
        absl::StrCat(month, " 客服中心投訴部月處罰匯總表 Penalties");
    const std::string subject = absl::StrFormat(
        "drawn up by %s at log position %d; signed by %s (complaint-ledger)",
        table.drawn_by_agent_id(), table.drawn_position(),
        table.signed_by_agent_id());
    const ReportSheet report =
        AddReportSheet(book, month, title, subject, kHeaders);
    lxw_worksheet* sheet = report.sheet;
    worksheet_set_column(sheet, 0, 10, 14, nullptr);
    lxw_row_t row = report.first_row;
    auto write = [&](const char* kind, const v1::PenaltyLine& line) {
      const std::vector<std::string> cells = Cells(kind, line, table);
      for (lxw_col_t c = 0; c < 11; ++c) {
        if (c == 6) {
          worksheet_write_number(sheet, row, c, Yuan(line.amount()),
                                 report.money);
        } else {
          worksheet_write_string(sheet, row, c, cells[c].c_str(), report.cell);
        }
      }
      ++row;
    };
    for (const v1::PenaltyLine& line : table.lines()) write("line", line);
    for (const v1::PenaltyLine& line : table.adjustments()) {
      write("adjustment", line);
    }
    worksheet_write_string(sheet, row, 0, "total charged", report.header);
    worksheet_write_number(sheet, row, 6, Yuan(table.total_charged()),
                           report.money);
    ++row;
    worksheet_write_string(sheet, row, 0, "total not charged", report.header);
    worksheet_write_number(sheet, row, 6, Yuan(table.total_not_charged()),
                           report.money);
  });
}

absl::StatusOr<v1::ExportPenaltyTableResponse> ExportPenaltyTable(
    const v1::GetPenaltyTableResponse& table, v1::ExportFormat format) {
  if (table.state() < v1::PENALTY_TABLE_STATE_SIGNED) {
    return absl::FailedPreconditionError(
        absl::StrCat("the penalty table of ", Month(table.month()),
                     " is not signed; finance is given signed tables only"));
  }
  v1::ExportPenaltyTableResponse out;
  const std::string name = absl::StrCat("penalties-", Month(table.month()),
                                        "-drawn-at-", table.drawn_position());
  switch (format) {
    case v1::EXPORT_FORMAT_CSV:
      out.set_file_name(name + ".csv");
      out.set_content_type("text/csv; charset=utf-8");
      out.set_content(PenaltyTableCsv(table));
      return out;
    case v1::EXPORT_FORMAT_XLSX: {
      absl::StatusOr<std::string> book = PenaltyTableWorkbook(table);
      if (!book.ok()) return book.status();
      out.set_file_name(name + ".xlsx");
      out.set_content_type(
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      out.set_content(*std::move(book));
      return out;
    }
    default:
      return absl::InvalidArgumentError("format is required: csv or xlsx");
  }
}

}  // namespace ledger
