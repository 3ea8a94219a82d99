// ledgerctl: the command-line client of ledgerd. This library holds the
// commands; main.cc only parses flags. Output goes to the given streams so
// tests and other tools can run commands in process.
//
//   ledgerctl read <stream> [--from_revision N] [--backward] [--limit M]
//   ledgerctl log [--from N] [--limit M]
//   ledgerctl head <stream>
//   ledgerctl verify [--data_dir DIR]
//   ledgerctl tail [--from N] [--type T,...] [--station S] [--stream ID]
//                  [--prefix P] [--follow] [--durable NAME]
//   ledgerctl queue KIND [--owner A] [--station S] [--department D]
//                  [--now "YYYY-MM-DD HH:MM"] [--as_of N] [--limit M]
//   ledgerctl stations --month YYYY-MM [--as_of N]
//   ledgerctl analysis --month YYYY-MM [--as_of N]
//   ledgerctl scorecard AGENT --month YYYY-MM [--as_of N]
//   ledgerctl projections
//   ledgerctl rebuild VIEW
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
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rpc/channel.h"

namespace ledger::ctl {

// kCsv: for queries (queue); other commands print JSON then.
enum class Format { kText, kJson, kCsv };

struct Options {
  std::string target = "127.0.0.1:50051";
  Format format = Format::kText;
  // log: first position.
  uint64_t from = 1;
  // read/log: most events to print; 0 means all for read, 100 for log.
  uint64_t limit = 0;
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
  std::string durable;
  // queue: whose queue, and "now" for overdue (site-local time, or empty
  // for the server's clock); answer as of a past position (0: now).
  std::string owner;
  std::string department;
  std::string now;
  uint64_t as_of = 0;
  // stations: the month, YYYY-MM.
  std::string month;
  // audit: the log's verifier key (text, or a file holding it); a tree
  // size (0: the latest checkpoint); a saved checkpoint; where to save one.
  std::string log_key;
  std::string log_key_file;
  uint64_t tree_size = 0;
  std::string checkpoint_file;
  std::string out_file;
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

// Runs the command in args[0] with its arguments.
int Run(const std::vector<std::string>& args, const Options& options,
        std::ostream& out, std::ostream& err);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_
