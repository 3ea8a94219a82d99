// Fuzzes ledgerctl's flag parser (tools/ledgerctl/proto_flags.h) with
// command lines as ledgerctl takes them: a subcommand of the registry, then
// its operand and flags, "--name=value" or "--name value" (a flag without a
// value is a bool's true). SetFlag fills the subcommand's message from each;
// a flag it cannot take is INVALID_ARGUMENT, never a crash.
// Input: fuzz/inputs.h, ParseArgs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "app/commands.h"
#include "fuzz/inputs.h"
#include "ledger/base/check.h"
#include "ledger/calendar/business_calendar.h"
#include "tools/ledgerctl/proto_flags.h"

namespace ledger::fuzz {
namespace {

// The message of the subcommand `name`; nullptr when there is none.
const google::protobuf::Message* PrototypeOf(const std::string& name) {
  const google::protobuf::Message* prototype = nullptr;
  ForEachCommand([&](const auto& spec) {
    using Command = typename std::decay_t<decltype(spec)>::Type;
    if (name == spec.cli_name) prototype = &Command::default_instance();
  });
  return prototype;
}

const absl::TimeZone& Zone() {
  static const absl::TimeZone* const kZone = [] {
    auto* zone = new absl::TimeZone();
    LEDGER_CHECK(absl::LoadTimeZone(kDefaultTimeZone, zone),
                 "ledgerctl's default time zone is installed (tzdata)");
    return zone;
  }();
  return *kZone;
}

void ParseCommandLine(const std::vector<std::string>& args) {
  if (args.empty()) return;
  const google::protobuf::Message* prototype = PrototypeOf(args[0]);
  if (prototype == nullptr) return;
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  // Each flag may be refused; the next is tried all the same, so that one
  // input reaches many.
  for (size_t i = 1; i < args.size(); ++i) {
    if (!absl::StartsWith(args[i], "--")) {
      ctl::SetFlag("complaint-id", args[i], Zone(), message.get())
          .IgnoreError();
      continue;
    }
    std::string name = args[i].substr(2);
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    }
    ctl::SetFlag(name, value, Zone(), message.get()).IgnoreError();
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::ParseCommandLine(ledger::fuzz::ParseArgs(data, size));
  return 0;
}
