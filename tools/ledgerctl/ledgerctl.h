// ledgerctl: the command-line client of ledgerd. This library holds the
// commands and reads the command line (cli.h); main.cc only calls Main.
// Output goes to the given streams so tests and other tools can run
// commands in process. `ledgerctl help` lists every command.
//
//   ledgerctl read <stream> [--from_revision N] [--backward] [--limit M]
//   ledgerctl log [--from N | --last N] [--limit M]
//   ledgerctl head <stream>
//   ledgerctl verify [--data_dir DIR]
//   ledgerctl tail [--from N | --from_now] [--type T,...] [--station S]
//                  [--stream ID] [--prefix P] [--follow] [--durable NAME]
//   ledgerctl queue KIND [--owner A] [--station S] [--department D]
//                  [--now "YYYY-MM-DD HH:MM"] [--as_of N] [--limit M]
//   ledgerctl stations --month YYYY-MM [--as_of N]
//   ledgerctl analysis --month YYYY-MM [--as_of N]
//   ledgerctl scorecard AGENT --month YYYY-MM [--as_of N]
//   ledgerctl list agents|stations|departments
//   ledgerctl find --phone P | --email E | --address A
//   ledgerctl projections
//   ledgerctl rebuild VIEW
//   ledgerctl backup NAME
//   ledgerctl config | help [COMMAND] | version
//   ledgerctl audit ... (tools/ledgerctl/audit.h)
//
// Who calls (a ledgerd that checks tokens): --as AGENT takes the token
// DIR/tokens/AGENT.token and the CA DIR/ca.pem of the identity directory
// DIR (--identity, or $LEDGER_IDENTITY; tools/run.sh makes one);
// --token_file and --tls_ca name them directly; $LEDGER_TOKEN is a token.
//
// Exit codes: 0 success; 1 the operation failed (including a broken chain
// found by verify); 2 bad usage.
#ifndef LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_
#define LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rpc/channel.h"

namespace ledger::ctl {

// kCsv: for the commands that print tables or events; the others refuse
// it.
enum class Format { kText, kJson, kCsv };

struct Options {
  std::string target = "127.0.0.1:50051";
  Format format = Format::kText;
  // CSV starts with a UTF-8 byte order mark (for Excel).
  bool csv_bom = false;
  // Where times are shown and read: the site's zone.
  absl::TimeZone zone;
  // log: first position.
  uint64_t from = 1;
  // read/log: most events to print; 0 means all for read, 100 for log.
  uint64_t limit = 0;
  // log: the last N events instead (0: not asked).
  uint64_t last = 0;
  // read: first revision (default: the first, or the last when backward).
  std::optional<uint64_t> from_revision;
  bool backward = false;
  // verify: check this data directory offline instead of asking a server.
  std::string data_dir;
  // tail: the subscription's filter; keep following after catching up;
  // a durable subscription to resume and acknowledge.
  std::vector<std::string> types;
  std::string station;
  std::string stream;
  std::string prefix;
  bool follow = false;
  // tail: from the end of the log as it is now.
  bool from_now = false;
  std::string durable;
  // queue: whose queue, and "now" for overdue (site-local time, or empty
  // for the server's clock); answer as of a past position (0: now).
  std::string owner;
  std::string department;
  std::string now;
  uint64_t as_of = 0;
  // stations: the month, YYYY-MM.
  std::string month;
  // find: the customer's contact.
  std::string phone;
  std::string email;
  std::string address;
  // audit: the log's verifier key (text, or a file holding it); a tree
  // size (0: the latest checkpoint); a saved checkpoint; where to save one.
  std::string log_key;
  std::string log_key_file;
  uint64_t tree_size = 0;
  std::string checkpoint_file;
  std::string out_file;
  // penalty-table: "csv" or "xlsx", the file for finance.
  std::string export_format;
  // digest: "first" or "second"; knowledge: a complaint category.
  std::string half;
  std::string category;
  // Who calls; see the top of this file. LoadSecurity fills `security`.
  std::string identity;
  std::string as;
  std::string token_file;
  std::string tls_ca;
  ClientSecurity security;
};

// Reads the token and CA that `options` name into options.security; an
// error names the file or what is missing.
absl::Status LoadSecurity(Options& options);

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Runs the command line `args` (argv without the program name); settings
// not on it come from `environ` (getenv) and the configuration file (see
// cli.h). Returns the exit code.
int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err,
         const std::function<const char*(const char*)>& environ);

// Runs the command in args[0] with its operands, `options` filled.
int Run(const std::vector<std::string>& args, const Options& options,
        std::ostream& out, std::ostream& err);

// One CSV cell: quoted when it must be; a text starting with = + - @ (a
// formula to a spreadsheet) is prefixed with ' so that it stays text.
std::string CsvCell(absl::string_view text);
// Writes `content` to `path` (replacing it); UNAVAILABLE when it cannot.
absl::Status WriteFile(const std::string& path, const std::string& content);
// What starts a CSV output: the byte order mark when asked.
void StartCsv(const Options& options, std::ostream& out);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_
