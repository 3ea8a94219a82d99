#include "tools/ledgerctl/commands.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "app/commands.h"
#include "grpcpp/grpcpp.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "rpc/command_client.h"
#include "rpc/status.h"
#include "tools/ledgerctl/client.h"
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

std::shared_ptr<grpc::Channel> Connect(const Options& options,
                                       const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
  return MakeChannel(target, options.security, args);
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

// Calls the command's RPC on `target`: a node of a replicated log that
// does not write it names the one that does (kWriterMetadata), where the
// call goes, once.
absl::Status Call(const Options& options, const Message& request,
                  v1::CommandResult* result, const std::string& target,
                  bool redirected = false) {
  CommandClient client(Connect(options, target));
  grpc::ClientContext context;
  SetDeadline(&context);
  const grpc::Status called = client.Execute(&context, request, result);
  if (auto writer = NamedWriter(called, context);
      writer.has_value() && !redirected) {
    return Call(options, request, result, *writer, /*redirected=*/true);
  }
  return WithRequestId(FromGrpcStatus(called),
                       context.GetServerTrailingMetadata());
}

int PrintResult(const v1::CommandResult& result, const Options& options,
                const absl::TimeZone& zone, std::ostream& out) {
  if (options.format != Format::kText) {
    // Events in their one JSON form (event_format.h), the rest as protobuf
    // prints it.
    v1::CommandResult rest = result;
    rest.clear_events();
    std::string json = MessageJson(rest);
    if (json.empty()) json = "{}";
    json.pop_back();  // '}'
    std::vector<std::string> events;
    for (const v1::Event& e : result.events()) {
      events.push_back(EventJson(e, zone));
    }
    out << json << (json.size() > 1 ? "," : "") << "\"events\":["
        << absl::StrJoin(events, ",") << "]}\n";
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
  v1::GetComplaintRequest request;
  request.set_complaint_id(id);
  if (options.as_of > 0) request.set_as_of_position(options.as_of);
  v1::ComplaintView view;
  absl::Status s = Client<v1::ComplaintService>(options).Call(
      &v1::ComplaintService::Stub::GetComplaint, request, &view);
  if (!s.ok()) return Fail(err, s);
  if (options.format != Format::kText) {
    std::vector<std::string> events;
    for (const v1::Event& e : view.timeline()) {
      events.push_back(EventJson(e, zone));
    }
    out << "{\"state\":" << MessageJson(view.state()) << ",\"timeline\":["
        << absl::StrJoin(events, ",") << "]}\n";
    return kExitOk;
  }
  // Overdue as of now, or of the last event shown for an answer as of a
  // past position.
  const int64_t now = options.as_of > 0 && !view.timeline().empty()
                          ? view.timeline().rbegin()->recorded_time_us()
                          : absl::ToUnixMicros(absl::Now());
  out << StateSummary(view.state(), zone, now) << "\n"
      << TimelineHeader() << "\n";
  for (const v1::Event& e : view.timeline())
    out << TimelineLine(e, zone) << "\n";
  return kExitOk;
}

}  // namespace

bool IsComplaintCommand(const std::string& name) {
  return name == "show" || FindCommand(name) != nullptr;
}

int RunComplaintCommand(const CommandLine& line, const Options& options,
                        std::ostream& out, std::ostream& err) {
  const absl::TimeZone& zone = options.zone;
  const std::string& name = line.command;
  auto usage = [&err, &name](absl::string_view what) {
    err << "ledgerctl " << name << ": " << what << " (ledgerctl help " << name
        << ")\n";
    return kExitUsage;
  };
  if (options.format == Format::kCsv) {
    return usage("--format csv is not available here: text or json");
  }
  if (name == "show") {
    if (line.operands.size() != 1) return usage("takes the complaint id");
    return Show(line.operands[0], options, zone, out, err);
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) return usage("no such command");
  std::unique_ptr<Message> request(command->prototype->New());
  const size_t max_operands = command->operand == CommandOperand::kNone ? 0 : 1;
  if (line.operands.size() > max_operands ||
      (command->operand == CommandOperand::kComplaintId &&
       line.operands.empty())) {
    return usage(absl::StrCat("takes ",
                              command->operand == CommandOperand::kNone
                                  ? "no operand"
                                  : "the complaint id",
                              "; got ", line.operands.size(), " operands"));
  }
  auto fail = [&err, &name](const absl::Status& s) {
    err << "ledgerctl " << name << ": " << s.message() << "\n";
    return kExitUsage;
  };
  if (!line.operands.empty()) {
    absl::Status s =
        SetFlag("complaint-id", line.operands[0], zone, request.get());
    if (!s.ok()) return fail(s);
  }
  // --file (a whole calendar) first, so that a field given beside it
  // overrides the file's.
  std::vector<std::pair<std::string, std::vector<std::string>>> flags(
      line.flags.begin(), line.flags.end());
  std::stable_partition(flags.begin(), flags.end(),
                        [](const auto& f) { return f.first == "file"; });
  for (const auto& [flag, values] : flags) {
    if (IsSettingFlag(flag)) continue;
    for (const std::string& value : values) {
      absl::Status s;
      if (flag == "agent" || flag == "actor") {
        s = SetFlag("context-actor-agent-id", value, zone, request.get());
      } else if (flag == "file" && name == "publish-calendar") {
        absl::StatusOr<v1::CalendarPublished> calendar =
            BusinessCalendar::ReadTextFile(value);
        s = calendar.status();
        if (s.ok()) {
          *static_cast<v1::PublishCalendar*>(request.get())
               ->mutable_calendar() = *calendar;
        }
      } else {
        s = SetFlag(flag, value, zone, request.get());
      }
      if (!s.ok()) return fail(s);
    }
  }
  v1::CommandResult result;
  absl::Status s = Call(options, *request, &result, options.target);
  if (!s.ok()) {
    err << "ledgerctl: " << name << ": " << s.ToString() << "\n";
    return kExitFailed;
  }
  return PrintResult(result, options, zone, out);
}

}  // namespace ledger::ctl
