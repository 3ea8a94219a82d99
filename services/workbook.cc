#include "services/workbook.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ledger {

absl::StatusOr<std::string> WorkbookBytes(
    const std::function<void(lxw_workbook*)>& fill) {
  char path[] = "/tmp/ledger-export-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("cannot make a temporary file");
  close(fd);
  lxw_workbook* book = workbook_new(path);
  if (book == nullptr) {
    unlink(path);
    return absl::InternalError("libxlsxwriter cannot make a workbook");
  }
  fill(book);
  const lxw_error closed = workbook_close(book);
  std::string bytes;
  if (closed == LXW_NO_ERROR) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream read;
    read << in.rdbuf();
    bytes = read.str();
  }
  unlink(path);
  if (closed != LXW_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("libxlsxwriter: ", lxw_strerror(closed)));
  }
  return bytes;
}

ReportSheet AddReportSheet(lxw_workbook* book, const std::string& name,
                           const std::string& title, const std::string& subject,
                           absl::Span<const char* const> headers) {
  lxw_doc_properties properties{};
  properties.title = const_cast<char*>(title.c_str());
  properties.comments = const_cast<char*>(subject.c_str());
  workbook_set_properties(book, &properties);
  ReportSheet report;
  report.sheet = workbook_add_worksheet(book, name.c_str());
  report.header = workbook_add_format(book);
  format_set_bold(report.header);
  format_set_border(report.header, LXW_BORDER_THIN);
  report.cell = workbook_add_format(book);
  format_set_border(report.cell, LXW_BORDER_THIN);
  report.money = workbook_add_format(book);
  format_set_border(report.money, LXW_BORDER_THIN);
  format_set_num_format(report.money, "#,##0.00");
  worksheet_set_paper(report.sheet, 9);  // A4
  worksheet_set_landscape(report.sheet);
  worksheet_write_string(report.sheet, 0, 0, title.c_str(), nullptr);
  worksheet_write_string(report.sheet, 1, 0, subject.c_str(), nullptr);
  const lxw_row_t header_row = 3;
  for (size_t c = 0; c < headers.size(); ++c) {
    worksheet_write_string(report.sheet, header_row, static_cast<lxw_col_t>(c),
                           headers[c], report.header);
  }
  report.first_row = header_row + 1;
  return report;
}

double Yuan(const v1::Money& money) {
  return static_cast<double>(money.minor_units()) / 100.0;
}

}  // namespace ledger
