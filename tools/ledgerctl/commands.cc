#include "tools/ledgerctl/commands.h"

#include <chrono>
#include <functional>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "grpcpp/grpcpp.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "rpc/command_client.h"
#include "rpc/status.h"
#include "tools/ledgerctl/event_format.h"
#include "tools/ledgerctl/proto_flags.h"
#include "tools/ledgerctl/timeline.h"

namespace ledger::ctl {
namespace {

using google::protobuf::Message;

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
}

std::shared_ptr<grpc::Channel> Connect(const Options& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
  return MakeChannel(options.target, options.security, args);
}

// A subcommand: a command of the registry (app/commands.h).
struct Command {
  const char* name;
  const char* help;
  CommandOperand operand;
  const google::protobuf::Message* prototype;
};

const std::vector<Command>& Commands() {
  static const auto* commands = [] {
    auto* commands = new std::vector<Command>();
    ForEachCommand([commands](const auto& spec) {
      using Type = typename std::decay_t<decltype(spec)>::Type;
      commands->push_back(Command{spec.cli_name, spec.summary, spec.operand,
                                  &Type::default_instance()});
    });
    return commands;
  }();
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

// Calls the command's RPC.
grpc::Status Call(const Options& options, const Message& request,
                  v1::CommandResult* result) {
  CommandClient client(Connect(options));
  grpc::ClientContext context;
  SetDeadline(&context);
  return client.Execute(&context, request, result);
}

int Usage(std::ostream& err) {
  err << "usage: ledgerctl COMMAND [ID] --agent AGENT [--FIELD VALUE ...]\n"
         "  show ID                 a complaint's state and timeline\n";
  for (const Command& c : Commands()) {
    err << "  " << c.name << std::string(24 - std::string(c.name).size(), ' ')
        << c.help << "\n";
  }
  err << "ledgerctl help COMMAND lists a command's fields.\n";
  return kExitUsage;
}

void ListFields(const google::protobuf::Descriptor* d,
                const std::string& prefix, std::ostream& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    std::string flag = prefix + f->name();
    for (char& c : flag) c = c == '_' ? '-' : c;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        !f->is_repeated() && f->message_type()->field_count() <= 12 &&
        f->message_type()->full_name() != "ledger.v1.Date" &&
        f->message_type()->full_name() != "ledger.v1.YearMonth" &&
        f->message_type()->full_name() != "ledger.v1.TimeOfDay" &&
        f->message_type()->full_name() != "ledger.v1.Money") {
      // Context fields and a reference command's one payload are found
      // without their prefix (--command-id, --station-id).
      const bool flat = f->name() == "context" || d->field_count() == 2;
      ListFields(f->message_type(), flat ? prefix : prefix + f->name() + "_",
                 out);
      continue;
    }
    out << "  --" << flag;
    if (f->is_repeated()) out << " (repeatable)";
    if (f->enum_type() != nullptr) {
      out << " one of:";
      for (int v = 1; v < f->enum_type()->value_count(); ++v) {
        std::string name = f->enum_type()->value(v)->name();
        const std::string& zero = f->enum_type()->value(0)->name();
        name = name.substr(zero.size() - 11);
        for (char& c : name)
          c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
        out << " " << name;
      }
    } else if (f->message_type() != nullptr) {
      out << " (" << f->message_type()->name() << ")";
    }
    out << "\n";
  }
}

int PrintResult(const v1::CommandResult& result, const Options& options,
                const absl::TimeZone& zone, std::ostream& out) {
  if (options.format != Format::kText) {
    out << MessageJson(result) << "\n";
    return kExitOk;
  }
  if (result.duplicate()) out << "(a retry: nothing new was appended)\n";
  for (const v1::Event& e : result.events()) {
    out << "position " << e.position() << ": " << e.stream_id() << "@"
        << e.revision() << "  " << TimelineLine(e, zone) << "\n";
  }
  if (result.has_state()) out << StateSummary(result.state(), zone);
  return kExitOk;
}

int Show(const std::string& id, const Options& options,
         const absl::TimeZone& zone, std::ostream& out, std::ostream& err) {
  auto stub = v1::ComplaintService::NewStub(Connect(options));
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetComplaintRequest request;
  request.set_complaint_id(id);
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::ComplaintView view;
  absl::Status s =
      FromGrpcStatus(stub->GetComplaint(&context, request, &view));
  if (!s.ok()) {
    err << "ledgerctl: " << s.ToString() << "\n";
    return kExitFailed;
  }
  if (options.format != Format::kText) {
    out << MessageJson(view) << "\n";
    return kExitOk;
  }
  out << StateSummary(view.state(), zone) << "\n" << TimelineHeader() << "\n";
  for (const v1::Event& e : view.timeline())
    out << TimelineLine(e, zone) << "\n";
  return kExitOk;
}

}  // namespace

bool IsComplaintCommand(const std::string& name) {
  return name == "show" || name == "help" || FindCommand(name) != nullptr;
}

int RunComplaintCommand(const std::vector<std::string>& args,
                        const Options& given, std::ostream& out,
                        std::ostream& err) {
  Options options = given;
  std::string zone_name = kDefaultTimeZone;
  std::vector<std::string> operands;
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!absl::StartsWith(args[i], "--")) {
      operands.push_back(args[i]);
      continue;
    }
    std::string name = args[i].substr(2);
    std::string value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    }
    if (name == "target") {
      options.target = value;
    } else if (name == "as") {
      options.as = value;
    } else if (name == "identity") {
      options.identity = value;
    } else if (name == "token_file" || name == "token-file") {
      options.token_file = value;
    } else if (name == "tls_ca" || name == "tls-ca") {
      options.tls_ca = value;
    } else if (name == "format") {
      if (value != "text" && value != "json") return Usage(err);
      options.format = value == "json" ? Format::kJson : Format::kText;
    } else if (name == "time-zone" || name == "time_zone") {
      zone_name = value;
    } else if (args[0] == "show" && (name == "as_of" || name == "as-of")) {
      // show ID --as_of N: the complaint as it was at log position N.
      if (!absl::SimpleAtoi(value, &options.as_of) || options.as_of == 0) {
        err << "ledgerctl: --as_of takes a log position (1, 2, ...), not \""
            << value << "\"\n";
        return kExitUsage;
      }
    } else {
      flags.emplace_back(name, value);
    }
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(zone_name, &zone)) {
    err << "ledgerctl: unknown time zone " << zone_name << "\n";
    return kExitUsage;
  }

  if (absl::Status s = LoadSecurity(options); !s.ok()) {
    err << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "show") {
    if (operands.size() != 1 || !flags.empty()) return Usage(err);
    return Show(operands[0], options, zone, out, err);
  }
  if (name == "help") {
    const Command* c =
        operands.size() == 1 ? FindCommand(operands[0]) : nullptr;
    if (c == nullptr) return Usage(err);
    out << "ledgerctl " << c->name
        << (c->operand == CommandOperand::kComplaintId           ? " ID"
            : c->operand == CommandOperand::kOptionalComplaintId ? " [ID]"
                                                                 : "")
        << ": " << c->help
        << "\n  --as AGENT (who calls: tokens/AGENT.token of --identity DIR "
           "or $LEDGER_IDENTITY)"
        << "\n  --agent AGENT (who acts, when ledgerd checks no tokens; same "
           "as --actor-agent-id)\n";
    ListFields(c->prototype->GetDescriptor(), "", out);
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) return Usage(err);
  std::unique_ptr<Message> request(command->prototype->New());
  const size_t max_operands =
      command->operand == CommandOperand::kNone ? 0 : 1;
  if (operands.size() > max_operands ||
      (command->operand == CommandOperand::kComplaintId && operands.empty())) {
    err << "ledgerctl: " << name << " takes "
        << (command->operand == CommandOperand::kNone ? "no operand"
                                                      : "the complaint id")
        << "; got " << operands.size() << " operands\n";
    return kExitUsage;
  }
  auto fail = [&err](const absl::Status& s) {
    err << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  };
  if (!operands.empty()) {
    absl::Status s = SetFlag("complaint-id", operands[0], zone, request.get());
    if (!s.ok()) return fail(s);
  }
  for (const auto& [flag, value] : flags) {
    absl::Status s;
    if (flag == "agent" || flag == "actor") {
      s = SetFlag("context-actor-agent-id", value, zone, request.get());
    } else if (flag == "file" && name == "publish-calendar") {
      absl::StatusOr<v1::CalendarPublished> calendar =
          BusinessCalendar::ReadTextFile(value);
      s = calendar.status();
      if (s.ok()) {
        *static_cast<v1::PublishCalendar*>(request.get())->mutable_calendar() =
            *calendar;
      }
    } else {
      s = SetFlag(flag, value, zone, request.get());
    }
    if (!s.ok()) return fail(s);
  }
  v1::CommandResult result;
  absl::Status s = FromGrpcStatus(Call(options, *request, &result));
  if (!s.ok()) {
    err << "ledgerctl: " << name << ": " << s.ToString() << "\n";
    return kExitFailed;
  }
  return PrintResult(result, options, zone, out);
}

}  // namespace ledger::ctl
