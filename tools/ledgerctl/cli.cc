#include "tools/ledgerctl/cli.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "app/commands.h"
#include "google/protobuf/descriptor.h"
#include "ledger/v1/common.pb.h"
#include "tools/ledgerctl/proto_flags.h"
#include "tools/ledgerctl/text_width.h"

namespace ledger::ctl {

std::string Dashed(std::string name) {
  for (char& c : name) c = c == '_' ? '-' : c;
  return name;
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Underscored(std::string name) {
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

constexpr char kTimeSyntax[] =
    "a time in the site's zone: \"YYYY-MM-DD HH:MM\", YYYY-MM-DDTHH:MM, or "
    "RFC 3339 with an offset";

// What the complaint commands' fields mean, by flag name: the protos'
// comments, shortened (proto/ledger/v1/commands.proto).
const std::map<std::string, std::string>& FieldHelp() {
  static const auto* help = new std::map<std::string, std::string>{
      {"command-id",
       "makes a retry safe: the same id gets the first call's result"},
      {"correlation-id", "ties the events to a wider piece of work"},
      {"expected-revision",
       "refuse unless the complaint is still at this revision (a stale view)"},
      {"actor-agent-id", "who acts (same as --agent)"},
      {"complaint-id", "the complaint (also the operand ID)"},
      {"channel", "how the complaint came in"},
      {"customer-name", "the customer's name (personal data)"},
      {"customer-phone",
       "the customer's phone: required for a phone complaint; other "
       "channels need a phone, e-mail or address"},
      {"customer-address", "the customer's postal address (personal data)"},
      {"customer-email", "the customer's e-mail (personal data)"},
      {"content", "what the customer said"},
      {"receiving-agent-id", "who took it in (default: the caller)"},
      {"green-channel", "the green channel: answer first, paperwork after"},
      {"customer-type",
       "the customer's type, a code of the published list (the month-end "
       "revisit sample's strata)"},
      {"types", "a customer type CODE=NAME"},
      {"wait-seconds",
       "phone or chat: how long the customer waited to be answered, "
       "seconds"},
      {"order-ref", "the customer's order number"},
      {"account-ref", "the customer's account number"},
      {"station-id", "the distribution station concerned"},
      {"department-id", "the department concerned"},
      {"handler-agent-id", "visit: who handled the visitor (the owner)"},
      {"head-assigned-agent-id", "e-mail: the agent the centre head assigned"},
      {"on-duty-head-agent-id", "fax: the centre head on duty (the owner)"},
      {"on-duty-clerk-agent-id", "fax: the clerk on duty (the owner)"},
      {"classification-kind", "inquiry, complaint, repair request, ..."},
      {"classification-category", "a complaint's category"},
      {"classification-subcategory", "free text under the category"},
      {"classification-importance", "general, important or major"},
      {"kind", "what kind of information or chase"},
      {"owner-agent-id", "the new owner"},
      {"to-agent-id", "the agent taking the case over"},
      {"handover-note", "what the next shift must know"},
      {"reason", "why (kept in the log)"},
      {"severity", "repeat or malicious"},
      {"linked-complaint-ids", "the earlier complaints it repeats"},
      {"track", "on-the-spot, internal study or coordinated handling"},
      {"targets", "a unit to assist: station:ID or department:ID"},
      {"request", "what the unit is asked to do"},
      {"assist-request-id", "the assist request answered or chased"},
      {"unit",
       "the unit that answers or is chased: station:ID or "
       "department:ID"},
      {"answer", "the unit's answer"},
      {"answered-immediately", "answered at once (else --promised-due-us)"},
      {"promised-due-us",
       std::string("the unit's own deadline: ") + kTimeSyntax},
      {"answered-by", "who in the unit answered (free text)"},
      {"note", "a note kept with the event"},
      {"proposal", "the proposal to the general manager"},
      {"decision", "the general manager's decision"},
      {"decided-by", "who decided"},
      {"outcome", "resolved, explained, ..."},
      {"reply", "the reply given to the customer"},
      {"satisfaction", "the customer's satisfaction at the revisit"},
      {"resolved", "the customer says the problem is solved"},
      {"unresolved-items-passed-on", "what is passed on as unresolved"},
      {"record-complete", "the record table is complete"},
      {"review-note", "the centre head's review"},
      {"record-accurate", "the spot check found the record accurate"},
      {"finding", "what the spot check looked at and found"},
      {"override-reason",
       "why the head signs off a case whose customer was left dissatisfied"},
      {"points-tenths",
       "tenths of a point: teamwork's points (0..100), or an adjustment of "
       "attitude (-300..300) or ability (-400..400)"},
      {"appeal-id", "the appeal decided (YYYY-MM-N)"},
      {"summary", "what happened, without the customer's personal data"},
      {"solution", "how it was solved"},
      {"points-to-watch", "what to watch for next time"},
      {"tags", "a tag to find it by (up to 10)"},
      {"half", "first (days 1-15) or second (16 to the end)"},
      {"drawn-position",
       "the draw signed: its log position (ledgerctl penalty-table)"},
      {"accept", "accept the appeal (with --corrected-points-tenths)"},
      {"corrected-points-tenths",
       "an accepted appeal: the part's points, tenths (0 up to its weight)"},
      {"name", "its name"},
      {"head-agent-id", "its head (an agent id)"},
      {"region", "its region"},
      {"routing-targets", "kinds routed to it by default"},
      {"agent-id", "the agent's id"},
      {"display-name", "the name shown beside the id"},
      {"roles", "roles, comma-separated or repeated"},
      {"active", "may act (false: retired)"},
      {"service-grant-event-types", "a service agent may read these types"},
      {"service-grant-station-ids", "a service agent may read these stations"},
      {"service-grant-stream-prefixes",
       "a service agent may read these streams"},
      {"month", "the month, YYYY-MM"},
      {"copies", "copies the station handled in the month"},
      {"effective-from", "the first month it applies, YYYY-MM"},
      {"rates", "a rate per complaint: repeat=CNY:200.00"},
      {"first-day", "the first day, YYYY-MM-DD"},
      {"last-day", "the last day, YYYY-MM-DD"},
      {"declared-by-agent-id", "who declared it"},
      {"calendar-version", "the calendar's version name"},
      {"time-zone", "the site's time zone (IANA name)"},
      {"years", "the years it covers"},
      {"public-holidays", "a day off, YYYY-MM-DD (repeat the flag)"},
      {"makeup-working-days", "a weekend day worked, YYYY-MM-DD"},
      {"day-shift-start", "HH:MM"},
      {"day-shift-end", "HH:MM"},
      {"day-assist-cutoff", "HH:MM"},
      {"night-assist-cutoff", "HH:MM"},
  };
  return *help;
}

// The fields each complaint command cannot do without (the lifecycle
// refuses the command without them: docs/rules.md).
const std::map<std::string, std::set<std::string>>& RequiredFields() {
  static const auto* required =
      new std::map<std::string, std::set<std::string>>{
          {"receive", {"channel", "content"}},
          {"assign-owner", {"owner-agent-id", "reason"}},
          {"hand-over", {"to-agent-id", "handover-note"}},
          {"classify", {"classification-kind", "classification-importance"}},
          {"raise-severity", {"severity", "reason"}},
          {"choose-track", {"track"}},
          {"dispatch", {"targets", "request"}},
          {"answer-assist", {"answer"}},
          {"chase", {"kind"}},
          {"escalate", {"proposal"}},
          {"gm-decision", {"decision"}},
          {"reply", {"outcome", "reply"}},
          {"revisit", {"satisfaction"}},
          {"waive-revisit", {"reason"}},
          {"reopen", {"reason"}},
          {"erase-customer-data", {"reason"}},
          {"register-station", {"station-id", "name"}},
          {"register-department", {"department-id", "name"}},
          {"register-agent", {"agent-id", "roles"}},
          {"record-volume", {"station-id", "month", "copies"}},
          {"publish-penalties", {"effective-from", "rates"}},
          {"declare-special-period", {"first-day", "last-day", "reason"}},
      };
  return *required;
}

// The flags of a command message, as proto_flags.h reads them.
void CommandFlags(const std::string& command, const Descriptor* d,
                  const std::string& prefix, std::vector<FlagHelp>* out) {
  const auto required = RequiredFields().find(command);
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !f->is_repeated() && !HasShorthand(f->message_type())) {
      // Context fields and a reference command's one payload are found
      // without their prefix (--command-id, --station-id).
      const bool flat = f->name() == "context" || d->field_count() == 2;
      CommandFlags(command, f->message_type(),
                   flat ? prefix : prefix + f->name() + "_", out);
      continue;
    }
    FlagHelp flag;
    flag.name = prefix + f->name();
    const std::string dashed = Dashed(flag.name);
    auto help = FieldHelp().find(dashed);
    flag.help = help != FieldHelp().end() ? help->second : "";
    flag.repeatable = f->is_repeated();
    flag.required = required != RequiredFields().end() &&
                    required->second.count(dashed) > 0;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      flag.value = "";
    } else if (f->enum_type() != nullptr) {
      flag.value = "VALUE";
      absl::StrAppend(&flag.help, flag.help.empty() ? "" : "; ", "one of ",
                      EnumChoices(f->enum_type()));
    } else if (f->message_type() != nullptr) {
      const std::string& type = f->message_type()->name();
      flag.value = type == "AssistTarget"  ? "station:ID|department:ID"
                   : type == "Date"        ? "YYYY-MM-DD"
                   : type == "YearMonth"   ? "YYYY-MM"
                   : type == "TimeOfDay"   ? "HH:MM"
                   : type == "Money"       ? "CNY:0.00"
                   : type == "PenaltyRate" ? "SEVERITY=CNY:0.00"
                                           : "TEXTPROTO";
    } else if (absl::EndsWith(f->name(), "_us")) {
      flag.value = "TIME";
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      flag.value = absl::EndsWith(f->name(), "_id") ? "ID" : "TEXT";
    } else {
      flag.value = "N";
    }
    if (flag.name == "target" && prefix.empty()) {
      // --target is ledgerd's address: a unit answering is --unit.
      flag.name = "unit";
      flag.help = FieldHelp().at("unit");
    }
    out->push_back(std::move(flag));
  }
}

const char* GroupOf(CommandKind kind) {
  return kind == CommandKind::kReference ? "Reference data (centre head)"
                                         : "Complaints";
}

std::vector<CommandHelp>* MakeCommands() {
  auto* commands = new std::vector<CommandHelp>();
  auto add = [&](CommandHelp c) { commands->push_back(std::move(c)); };
  const FlagHelp as_of{"as_of", "N", "answer as of this log position", false};
  const FlagHelp month{"month", "YYYY-MM", "the month (site time zone)", true};

  // Complaints.
  add({"show",
       "ID",
       "a complaint's state, deadlines (overdue flagged) and timeline",
       "Complaints",
       {as_of},
       ""});
  add({"find",
       "",
       "a customer's complaints, by the contact they gave",
       "Complaints",
       {{"phone", "PHONE", "the customer's phone number"},
        {"email", "EMAIL", "the customer's e-mail address"},
        {"address", "TEXT", "the customer's postal address"}},
       "Give one of --phone, --email, --address."});
  ForEachCommand([&](const auto& spec) {
    using Type = typename std::decay_t<decltype(spec)>::Type;
    CommandHelp c;
    c.name = spec.cli_name;
    c.operands = spec.operand == CommandOperand::kComplaintId           ? "ID"
                 : spec.operand == CommandOperand::kOptionalComplaintId ? "[ID]"
                                                                        : "";
    c.summary = spec.summary;
    c.group = GroupOf(spec.kind);
    c.message = Type::descriptor();
    c.flags.push_back({"agent", "AGENT",
                       "who acts, when ledgerd checks no tokens (with tokens: "
                       "--as)"});
    CommandFlags(c.name, Type::descriptor(), "", &c.flags);
    if (c.name == "publish-calendar") {
      c.flags.push_back({"file", "FILE.textproto",
                         "the whole calendar in protobuf text format (as "
                         "ledger/calendar/data/)"});
    }
    c.more = "Times: " + std::string(kTimeSyntax) +
             ". Enum values by their short name (phone, service-quality).";
    add(std::move(c));
  });

  // Queues and reports.
  add({"queue",
       "KIND",
       "a work queue, soonest deadline first",
       "Queues and reports",
       {{"owner", "AGENT", "open-by-owner: whose cases (required there)"},
        {"station", "ID", "assists-pending: a station's"},
        {"department", "ID", "assists-pending: a department's"},
        {"now", "TIME",
         std::string("\"now\" for overdue: ") + kTimeSyntax +
             " (default: the server's clock)"},
        as_of,
        {"limit", "N", "at most N items (default: all, page by page)"}},
       "KIND: open-by-owner, assists-pending, revisits-due, "
       "sign-offs-waiting, paperwork-pending, escalations-waiting, "
       "important, overdue."});
  add({"stations",
       "",
       "the station month: ratio per 10,000 copies, rank, penalties",
       "Queues and reports",
       {month, as_of},
       ""});
  add({"analysis",
       "",
       "the monthly analysis: counts and KPIs against their targets",
       "Queues and reports",
       {month,
        as_of,
        {"now", "TIME",
         "judge a running month at this time (default: the server's clock)"}},
       "A month still running shows its KPIs as pending; a month without "
       "cases as n/a."});
  add({"scorecard",
       "AGENT",
       "an agent's month",
       "Queues and reports",
       {month, as_of},
       ""});
  add({"sample",
       "[AGENT]",
       "the month-end second revisit sample: quota, progress, whom to call",
       "Queues and reports",
       {month, as_of},
       "Half of the complaints each agent handled (owned, received in the "
       "month, signed off), spread over the customer types. Without AGENT: "
       "every agent (an agent gets their own)."});
  add({"knowledge",
       "[WORDS...]",
       "typical cases of the knowledge base, by words, category, month",
       "Queues and reports",
       {{"category", "CATEGORY", "one category (e.g. service-quality)"},
        {"month", "YYYY-MM", "marked in this month"},
        as_of},
       "Every word must appear (case-folded) in the summary, solution, "
       "points to watch or tags. With --month and --format csv: the month's "
       "archive of typical cases."});
  add({"digest",
       "",
       "a half-month digest: the cases received, their solutions, typical "
       "cases",
       "Queues and reports",
       {month,
        {"half", "first|second", "days 1-15, or 16 to the end", true},
        as_of},
       "Drawn up (draw-up-digest) once its half has ended; before that, "
       "what a draw would give now."});
  add({"readings",
       "",
       "who read a digest in the month, and who did not",
       "Queues and reports",
       {month, as_of},
       ""});
  add({"penalty-table",
       "",
       "the month's station penalty table: lines, adjustments, who signed",
       "Queues and reports",
       {month,
        as_of,
        {"export", "csv|xlsx", "write the signed table's file for finance"},
        {"out", "FILE", "--export: write here (default: its own name)"}},
       "Drawn up by a centre head, signed by the general manager, "
       "published, sent to finance (docs/rules.md §11). Before the first "
       "draw: what a draw would give now."});
  add({"assessment",
       "[AGENT]",
       "the monthly assessment: points of the four parts, total, appeals",
       "Queues and reports",
       {month, as_of},
       "Attitude 30, ability 40, efficiency 20, teamwork 10 "
       "(docs/rules.md §12). Before publication a draft (centre heads, the "
       "general manager, auditors); an agent reads their own published "
       "row."});
  add({"list",
       "agents|stations|departments",
       "who and what the ledger knows, with names",
       "Queues and reports",
       {},
       ""});

  // The log.
  add({"log",
       "",
       "the log in order",
       "The log",
       {{"from", "N", "the first position (default 1)"},
        {"last", "N", "the last N events instead"},
        {"limit", "N", "at most N events (default 100)"}},
       ""});
  add({"read",
       "STREAM",
       "one stream's events (NOT_FOUND for a stream never written)",
       "The log",
       {{"from_revision", "N", "the first revision"},
        {"backward", "", "newest first"},
        {"limit", "N", "at most N events (default: all)"}},
       ""});
  add({"head",
       "STREAM",
       "a stream's last revision and position",
       "The log",
       {},
       ""});
  add({"tail",
       "",
       "events as they are appended (a subscription)",
       "The log",
       {{"from", "N", "the first position (default 1)"},
        {"from_now", "", "only events appended from now on (implies --follow)"},
        {"type", "T,...", "only these event types, e.g. Replied", false, true},
        {"station", "ID", "only events concerning a station"},
        {"stream", "ID", "only one stream"},
        {"prefix", "P", "only streams with this prefix"},
        {"follow", "", "keep printing new events until interrupted"},
        {"durable", "NAME",
         "a durable subscription: resume after its last acknowledged "
         "position, acknowledge what is printed"}},
       ""});
  add({"verify",
       "",
       "check the hash chain (and the latest signed checkpoint)",
       "The log",
       {{"data_dir", "DIR", "check a stopped ledger's directory offline"}},
       ""});
  add({"audit",
       "SUBCOMMAND ...",
       "Merkle proofs and signed checkpoints (ledgerctl help audit)",
       "The log",
       {{"size", "N", "checkpoint, prove: a tree size (0: the latest)"},
        {"checkpoint", "FILE", "prove: against this saved checkpoint"},
        {"out", "FILE", "checkpoint, consistency: save the checkpoint here"},
        {"month", "YYYY-MM", "export: the month"}},
       "  checkpoint [--size N] [--out FILE]   fetch, check, print, save\n"
       "  prove POSITION [--checkpoint FILE]   the event is in the log\n"
       "  consistency FILE [--out NEW]         today's log extends FILE's\n"
       "  export DIR --month YYYY-MM           a month for offline audit\n"
       "  verify-export DIR                    check an export, no server\n"
       "  keygen ORIGIN FILE                   a new signing key"});

  // Operations.
  add({"projections",
       "",
       "the views, their checkpoints and lag",
       "Operations",
       {},
       ""});
  add({"rebuild", "VIEW", "rebuild a view from the log", "Operations", {}, ""});
  add({"backup",
       "NAME",
       "a checked copy in ledgerd's --backup_dir/NAME, while it runs",
       "Operations",
       {},
       ""});
  add({"config",
       "",
       "the settings in force and where each comes from",
       "Operations",
       {},
       ""});
  add({"help",
       "[COMMAND]",
       "this overview, or a command's flags",
       "Operations",
       {},
       ""});
  add({"version", "", "the version, commit and build", "Operations", {}, ""});
  return commands;
}

}  // namespace

const std::vector<CommandHelp>& AllCommands() {
  static const std::vector<CommandHelp>* commands = MakeCommands();
  return *commands;
}

const CommandHelp* FindCommandHelp(const std::string& name) {
  for (const CommandHelp& c : AllCommands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const std::vector<FlagHelp>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagHelp>{
      {"target", "HOST:PORT", "ledgerd's address (default 127.0.0.1:50051)"},
      {"profile", "NAME", "a profile of the configuration file"},
      {"as", "AGENT", "who calls: the token tokens/AGENT.token of --identity"},
      {"identity", "DIR",
       "an identity directory (tools/dev_identity.sh): ca.pem, tokens/"},
      {"token_file", "FILE",
       "a file holding the bearer token ($LEDGER_TOKEN "
       "is one)"},
      {"tls_ca", "FILE",
       "ledgerd's CA: connect with TLS (default: ca.pem "
       "of --identity)"},
      {"format", "text|json|csv",
       "text for people, json (one object per line) or csv for "
       "spreadsheets; a command that cannot print csv refuses it"},
      {"csv_bom", "", "csv: start with a UTF-8 byte order mark, for Excel"},
      {"time_zone", "ZONE",
       "the zone times are shown and read in (default Asia/Shanghai)"},
      {"log_key", "KEY",
       "verify, audit: the log's verifier key (<origin>+<id>+<key>), as its "
       "operator published it"},
      {"log_key_file", "FILE", "verify, audit: a file holding --log_key"},
      {"help", "", "help on the command"},
      {"version", "", "the version, commit and build"},
  };
  return *flags;
}

bool IsSettingFlag(const std::string& name) {
  for (const FlagHelp& f : GlobalFlags()) {
    if (f.name == name) return true;
  }
  return false;
}

namespace {

// Complaint commands' flags are spelled with '-' (their fields' paths);
// the others' with '_' as ledgerd's: either is read.
bool dashed_flags = false;

std::string Synopsis(const FlagHelp& f) {
  std::string s = absl::StrCat("--", dashed_flags ? Dashed(f.name) : f.name);
  if (!f.value.empty()) absl::StrAppend(&s, " ", f.value);
  return s;
}

void PrintFlags(const std::vector<FlagHelp>& flags, std::ostream& out) {
  size_t width = 0;
  for (const FlagHelp& f : flags) width = std::max(width, Synopsis(f).size());
  width = std::min<size_t>(width, 34);
  for (const FlagHelp& f : flags) {
    const std::string syn = Synopsis(f);
    out << "  " << PadRight(syn, width) << "  " << f.help;
    if (f.required) out << " (required)";
    if (f.repeatable) out << " (repeatable)";
    out << "\n";
  }
}

}  // namespace

void PrintOverview(std::ostream& out) {
  out << "usage: ledgerctl COMMAND [OPERANDS] [--FLAG VALUE ...]\n";
  std::string group;
  for (const CommandHelp& c : AllCommands()) {
    if (c.group != group) {
      group = c.group;
      out << "\n" << group << ":\n";
    }
    const std::string head =
        c.operands.empty() ? c.name : absl::StrCat(c.name, " ", c.operands);
    out << "  " << PadRight(head, 28) << "  " << c.summary << "\n";
  }
  out << "\nFlags of every command:\n";
  PrintFlags(GlobalFlags(), out);
  out << "\nledgerctl help COMMAND (or COMMAND --help) lists a command's "
         "flags. Settings may come from $LEDGER_TARGET, $LEDGER_AS, ... or a "
         "profile in ~/.config/ledgerctl/config (ledgerctl config shows "
         "them; README, \"ledgerctl\").\n"
         "Exit codes: 0 done, 1 the operation failed, 2 bad usage.\n";
}

void PrintCommandHelp(const CommandHelp& c, std::ostream& out) {
  dashed_flags = c.message != nullptr;
  out << "usage: ledgerctl " << c.name;
  if (!c.operands.empty()) out << " " << c.operands;
  for (const FlagHelp& f : c.flags) {
    if (f.required) out << " " << Synopsis(f);
  }
  if (!c.flags.empty()) out << " [flags]";
  out << "\n" << c.summary << "\n";
  if (!c.flags.empty()) {
    out << "\nFlags:\n";
    PrintFlags(c.flags, out);
  }
  if (!c.more.empty()) out << "\n" << c.more << "\n";
  dashed_flags = false;
  out << "\nAnd every command's: --target, --profile, --as, --identity, "
         "--format, --time_zone, ... (ledgerctl help)\n";
}

std::string CommandLine::Get(const std::string& name,
                             const std::string& otherwise) const {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? otherwise
                                                 : it->second.back();
}

namespace {

const FlagHelp* FindFlag(const std::vector<FlagHelp>& flags,
                         const std::string& name) {
  for (const FlagHelp& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The flag `name` of `command` (nullptr: none yet) or of every command.
const FlagHelp* LookUp(const CommandHelp* command, const std::string& name) {
  if (const FlagHelp* f = FindFlag(GlobalFlags(), name)) return f;
  if (command == nullptr) return nullptr;
  if (const FlagHelp* f = FindFlag(command->flags, name)) return f;
  if (command->message == nullptr) return nullptr;
  // Any field of the command's message, by any name proto_flags.h finds
  // it by (--kind for --classification-kind), and --actor for --agent.
  static const FlagHelp kBool{"", "", ""};
  static const FlagHelp kValue{"", "VALUE", ""};
  if (name == "actor") return &kValue;
  switch (KindOfFlag(name, command->message)) {
    case FlagKind::kBool:
      return &kBool;
    case FlagKind::kValue:
      return &kValue;
    case FlagKind::kNone:
      return nullptr;
  }
  return nullptr;
}

absl::Status Usage(const std::string& command, absl::string_view what) {
  return absl::InvalidArgumentError(
      command.empty() ? std::string(what)
                      : absl::StrCat(command, ": ", what, " (ledgerctl help ",
                                     command, ")"));
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args) {
  CommandLine line;
  const CommandHelp* command = nullptr;
  // Flags seen before the command, checked once it is known.
  std::vector<std::string> early;
  bool flags_end = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_end || arg.size() < 2 || arg[0] != '-' ||
        (arg[1] != '-' && arg != "-h")) {
      if (line.command.empty()) {
        line.command = arg;
        command = FindCommandHelp(arg);
        if (command == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "unknown command \"", arg, "\" (ledgerctl help lists them)"));
        }
      } else {
        line.operands.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      flags_end = true;
      continue;
    }
    std::string name = arg == "-h" ? "help" : arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    name = Underscored(name);
    const FlagHelp* flag = LookUp(command, name);
    if (flag == nullptr && command == nullptr) {
      // Known to some command: checked against the command found later.
      for (const CommandHelp& c : AllCommands()) {
        if ((flag = FindFlag(c.flags, name)) != nullptr) break;
      }
      if (flag != nullptr) early.push_back(name);
    }
    if (flag == nullptr) {
      return Usage(line.command, absl::StrCat("unknown flag --", Dashed(name)));
    }
    if (!value.has_value()) {
      if (flag->value.empty()) {
        value = "true";
        // "--green-channel yes" would make "yes" an operand (an id):
        // refused, with the spelling that works.
        if (i + 1 < args.size()) {
          const std::string next = absl::AsciiStrToLower(args[i + 1]);
          if (next == "true" || next == "false" || next == "yes" ||
              next == "no") {
            return Usage(line.command, absl::StrCat("--", Dashed(name),
                                                    " takes no value; write --",
                                                    Dashed(name), "=", next));
          }
        }
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Usage(line.command,
                     absl::StrCat("--", Dashed(name), " needs a value (",
                                  flag->value, ")"));
      }
    } else if (flag->value.empty()) {
      const std::string v = absl::AsciiStrToLower(*value);
      if (v == "true" || v == "yes" || v == "1") {
        value = "true";
      } else if (v == "false" || v == "no" || v == "0") {
        value = "false";
      } else {
        return Usage(line.command,
                     absl::StrCat("--", Dashed(name),
                                  " is true or false, not \"", *value, "\""));
      }
    }
    line.flags[name].push_back(*value);
  }
  if (line.Get("help") == "true" || line.Get("version") == "true") {
    return line;
  }
  for (const std::string& name : early) {
    if (LookUp(command, name) == nullptr) {
      return Usage(line.command, absl::StrCat("unknown flag --", Dashed(name)));
    }
  }
  if (command != nullptr) {
    for (const FlagHelp& f : command->flags) {
      if (f.required && !line.Has(f.name) && command->group != "Complaints" &&
          command->group != "Reference data (centre head)") {
        return Usage(line.command, absl::StrCat("--", Dashed(f.name), " ",
                                                f.value, " is required"));
      }
    }
  }
  return line;
}

namespace {

struct Source {
  const char* name;
  const char* env;
};
constexpr Source kSettings[] = {
    {"target", "LEDGER_TARGET"},
    {"profile", "LEDGER_PROFILE"},
    {"as", "LEDGER_AS"},
    {"identity", "LEDGER_IDENTITY"},
    {"token_file", "LEDGER_TOKEN_FILE"},
    {"tls_ca", "LEDGER_TLS_CA"},
    {"format", "LEDGER_FORMAT"},
    {"time_zone", "LEDGER_TIME_ZONE"},
    {"csv_bom", "LEDGER_CSV_BOM"},
};

std::string ConfigPath(const std::function<const char*(const char*)>& environ) {
  if (const char* p = environ("LEDGERCTL_CONFIG"); p != nullptr && *p) {
    return p;
  }
  if (const char* x = environ("XDG_CONFIG_HOME"); x != nullptr && *x) {
    return absl::StrCat(x, "/ledgerctl/config");
  }
  if (const char* home = environ("HOME"); home != nullptr && *home) {
    return absl::StrCat(home, "/.config/ledgerctl/config");
  }
  return "";
}

// Reads `profile` of the file at `path` into *settings (those not set).
absl::Status ReadProfile(const std::string& path, const std::string& profile,
                         bool named, std::map<std::string, Setting>* settings) {
  std::ifstream in(path);
  if (!in) {
    if (named) {
      return absl::InvalidArgumentError(
          absl::StrCat("profile ", profile, ": no configuration file ", path));
    }
    return absl::OkStatus();
  }
  std::string section;
  bool found = false;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    absl::string_view l = absl::StripAsciiWhitespace(text);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    const std::string where = absl::StrCat(path, ":", number);
    if (l.front() == '[') {
      if (l.back() != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": a section is [NAME]"));
      }
      section =
          std::string(absl::StripAsciiWhitespace(l.substr(1, l.size() - 2)));
      found = found || section == profile;
      continue;
    }
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected NAME = VALUE or [PROFILE]"));
    }
    const std::string key =
        Underscored(std::string(absl::StripAsciiWhitespace(l.substr(0, eq))));
    const std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    bool known = false;
    for (const Source& s : kSettings) known = known || key == s.name;
    if (!known || key == "profile") {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown setting \"", key,
          "\" (target, as, identity, token_file, tls_ca, format, time_zone, "
          "csv_bom)"));
    }
    if (section != profile || settings->count(key) > 0) continue;
    (*settings)[key] = Setting{value, absl::StrCat(where, " [", profile, "]")};
  }
  if (named && !found) {
    return absl::InvalidArgumentError(
        absl::StrCat("profile ", profile, " is not in ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, Setting>> ResolveSettings(
    const CommandLine& line,
    const std::function<const char*(const char*)>& environ) {
  std::map<std::string, Setting> settings;
  for (const Source& s : kSettings) {
    if (line.Has(s.name)) {
      settings[s.name] = Setting{line.Get(s.name), absl::StrCat("--", s.name)};
    } else if (const char* v = environ(s.env); v != nullptr && *v) {
      settings[s.name] = Setting{v, absl::StrCat("$", s.env)};
    }
  }
  const bool named = settings.count("profile") > 0;
  const std::string profile = named ? settings["profile"].value : "default";
  if (const std::string path = ConfigPath(environ); !path.empty()) {
    absl::Status read = ReadProfile(path, profile, named, &settings);
    if (!read.ok()) return read;
  }
  auto fallback = [&](const char* name, const char* value) {
    if (settings.count(name) == 0) settings[name] = Setting{value, "default"};
  };
  fallback("target", "127.0.0.1:50051");
  fallback("format", "text");
  fallback("time_zone", "Asia/Shanghai");
  fallback("csv_bom", "false");
  return settings;
}

absl::StatusOr<std::pair<int, int>> ParseMonthFlag(const std::string& flag,
                                                   const std::string& value) {
  int year = 0, month = 0;
  const bool shaped = value.size() == 7 && value[4] == '-' &&
                      std::all_of(value.begin(), value.begin() + 4,
                                  [](char c) { return std::isdigit(c); }) &&
                      std::isdigit(value[5]) && std::isdigit(value[6]);
  if (!shaped || !absl::SimpleAtoi(value.substr(0, 4), &year) ||
      !absl::SimpleAtoi(value.substr(5, 2), &month) || month < 1 ||
      month > 12) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " \"", value, "\" is not a month YYYY-MM (2026-11)"));
  }
  return std::pair<int, int>{year, month};
}

absl::StatusOr<absl::Time> ParseTimeFlag(const std::string& flag,
                                         const std::string& value,
                                         const absl::TimeZone& zone) {
  absl::Time t;
  std::string error;
  for (const char* format : {"%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"}) {
    if (absl::ParseTime(format, value, zone, &t, &error)) return t;
  }
  if (absl::ParseTime(absl::RFC3339_full, value, &t, &error)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " \"", value, "\" is not ", kTimeSyntax));
}

}  // namespace ledger::ctl
