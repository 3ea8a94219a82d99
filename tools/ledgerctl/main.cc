// ledgerctl: see tools/ledgerctl/ledgerctl.h.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ledger/store/version.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/ledgerctl.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "ledgerd address");
ABSL_FLAG(std::string, format, "text",
          "text (for people), json (one "
          "object per line, for scripts) or csv (queries)");
ABSL_FLAG(uint64_t, from, 1, "log, tail: first position");
ABSL_FLAG(uint64_t, limit, 0,
          "read/log: most events (0: all for read, 100 "
          "for log)");
ABSL_FLAG(int64_t, from_revision, -1,
          "read: first revision (-1: from the "
          "start, or the end with --backward)");
ABSL_FLAG(bool, backward, false, "read: newest first");
ABSL_FLAG(std::string, data_dir, "",
          "verify: check this data directory "
          "offline instead of asking the server");

ABSL_FLAG(std::vector<std::string>, type, {},
          "tail: only these event types (comma-separated, e.g. Replied)");
ABSL_FLAG(std::string, station, "", "tail: only events concerning a station");
ABSL_FLAG(std::string, stream, "", "tail: only one stream");
ABSL_FLAG(std::string, prefix, "", "tail: only streams with this prefix");
ABSL_FLAG(bool, follow, false, "tail: keep printing new events");
ABSL_FLAG(std::string, owner, "", "queue: the owner of an open-by-owner queue");
ABSL_FLAG(std::string, department, "",
          "queue: assists pending at a department");
ABSL_FLAG(std::string, now, "",
          "queue: \"now\" for overdue, YYYY-MM-DD HH:MM in Asia/Shanghai "
          "(default: the server's clock)");
ABSL_FLAG(uint64_t, as_of, 0,
          "queue, stations: answer as of this log position");
ABSL_FLAG(std::string, month, "", "stations: the month, YYYY-MM");
ABSL_FLAG(std::string, durable, "",
          "tail: a durable subscription: resume after its last "
          "acknowledged position, acknowledge what is printed");

ABSL_FLAG(std::string, log_key, "",
          "audit: the log's verifier key (<origin>+<id>+<key>), as its "
          "operator published it; default: what the server or the export "
          "says, with a warning");
ABSL_FLAG(std::string, log_key_file, "", "audit: a file holding --log_key");
ABSL_FLAG(uint64_t, size, 0,
          "audit checkpoint, prove: a tree size a checkpoint was issued at "
          "(0: the latest)");
ABSL_FLAG(std::string, checkpoint, "",
          "audit prove: prove against this saved checkpoint");
ABSL_FLAG(std::string, out, "",
          "audit checkpoint, consistency: save the checkpoint here "
          "(default for checkpoint: checkpoint-SIZE.note)");

ABSL_FLAG(std::string, as, "",
          "who calls: the token tokens/AGENT.token of --identity");
ABSL_FLAG(std::string, identity, "",
          "an identity directory (tools/dev_identity.sh): ca.pem and "
          "tokens/; default $LEDGER_IDENTITY");
ABSL_FLAG(std::string, token_file, "",
          "a file holding the bearer token (default: --as, or $LEDGER_TOKEN)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA of ledgerd's certificate: connect with TLS (default: "
          "ca.pem of --identity)");

int main(int argc, char** argv) {
  // A complaint command's flags are its message's fields (commands.h), not
  // absl flags: only what comes before the command is parsed here.
  int command_at = argc;
  for (int i = 1; i < argc; ++i) {
    if (ledger::ctl::IsComplaintCommand(argv[i])) {
      command_at = i;
      break;
    }
  }
  ledger::SetVersionFlag("ledgerctl");
  std::vector<char*> positional = absl::ParseCommandLine(command_at, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  args.insert(args.end(), argv + command_at, argv + argc);

  ledger::ctl::Options options;
  options.target = absl::GetFlag(FLAGS_target);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json" && format != "csv") {
    std::cerr << "ledgerctl: --format must be text, json or csv, not " << format
              << "\n";
    return ledger::ctl::kExitUsage;
  }
  options.format = format == "json"  ? ledger::ctl::Format::kJson
                   : format == "csv" ? ledger::ctl::Format::kCsv
                                     : ledger::ctl::Format::kText;
  options.from = absl::GetFlag(FLAGS_from);
  options.limit = absl::GetFlag(FLAGS_limit);
  if (const int64_t r = absl::GetFlag(FLAGS_from_revision); r >= 0) {
    options.from_revision = static_cast<uint64_t>(r);
  }
  options.backward = absl::GetFlag(FLAGS_backward);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.types = absl::GetFlag(FLAGS_type);
  options.station = absl::GetFlag(FLAGS_station);
  options.stream = absl::GetFlag(FLAGS_stream);
  options.prefix = absl::GetFlag(FLAGS_prefix);
  options.follow = absl::GetFlag(FLAGS_follow);
  options.durable = absl::GetFlag(FLAGS_durable);
  options.owner = absl::GetFlag(FLAGS_owner);
  options.department = absl::GetFlag(FLAGS_department);
  options.now = absl::GetFlag(FLAGS_now);
  options.as_of = absl::GetFlag(FLAGS_as_of);
  options.month = absl::GetFlag(FLAGS_month);
  options.log_key = absl::GetFlag(FLAGS_log_key);
  options.log_key_file = absl::GetFlag(FLAGS_log_key_file);
  options.tree_size = absl::GetFlag(FLAGS_size);
  options.checkpoint_file = absl::GetFlag(FLAGS_checkpoint);
  options.out_file = absl::GetFlag(FLAGS_out);
  options.as = absl::GetFlag(FLAGS_as);
  options.identity = absl::GetFlag(FLAGS_identity);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  options.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  if (command_at < argc) {
    return ledger::ctl::RunComplaintCommand(
        std::vector<std::string>(argv + command_at, argv + argc), options,
        std::cout, std::cerr);
  }
  if (absl::Status s = ledger::ctl::LoadSecurity(options); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return ledger::ctl::kExitUsage;
  }
  return ledger::ctl::Run(args, options, std::cout, std::cerr);
}
