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

}  // namespace ledger
