// Telling a script or a test which port a server bound (flags such as
// --port_file, for --listen 127.0.0.1:0).
#ifndef LEDGER_BASE_PORT_FILE_H_
#define LEDGER_BASE_PORT_FILE_H_

#include <cstdio>
#include <fstream>
#include <string>

namespace ledger {

// Writes `port` and a newline to `path`, whole to a temporary name and then
// renamed, so that a reader polling for the file never sees a partial
// port. Nothing when `path` is empty (no file asked for).
inline void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace ledger

#endif  // LEDGER_BASE_PORT_FILE_H_
