#include "fuzz/inputs.h"

#include <algorithm>
#include <cstring>

#include "app/commands.h"
#include "google/protobuf/stubs/common.h"
#include "ledger/base/check.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/events/payload.h"
#include "ledger/store/internal/keys.h"

namespace ledger::fuzz {

uint8_t InputReader::Byte() {
  if (rest_.empty()) return 0;
  const auto value = static_cast<uint8_t>(rest_.front());
  rest_.remove_prefix(1);
  return value;
}

int64_t InputReader::Int64() {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{Byte()} << (8 * i);
  return static_cast<int64_t>(value);
}

std::string InputReader::Chunk() {
  size_t size = Byte();
  size |= size_t{Byte()} << 8;
  size = std::min(size, rest_.size());
  std::string chunk(rest_.substr(0, size));
  rest_.remove_prefix(size);
  return chunk;
}

std::string InputReader::Rest() {
  std::string rest(rest_);
  rest_ = {};
  return rest;
}

void InputWriter::Int64(int64_t value) {
  for (int i = 0; i < 8; ++i) {
    Byte(static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i)));
  }
}

void InputWriter::Chunk(std::string_view chunk) {
  LEDGER_CHECK(chunk.size() <= 0xffff, "a chunk's size fits its two bytes");
  Byte(static_cast<uint8_t>(chunk.size()));
  Byte(static_cast<uint8_t>(chunk.size() >> 8));
  bytes_.append(chunk);
}

RecordInput ParseRecord(const uint8_t* data, size_t size) {
  const size_t key_size = std::min<size_t>(size, 8);
  char key[8] = {};
  if (key_size > 0) std::memcpy(key, data, key_size);
  return {internal::DecodeFixed64BE(std::string_view(key, 8)),
          std::string(reinterpret_cast<const char*>(data) + key_size,
                      size - key_size)};
}

std::string Encode(const RecordInput& input) {
  return internal::PositionKey(input.position) + input.value;
}

DecideInput ParseDecide(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  DecideInput input;
  input.command = in.Byte();
  input.actor = in.Byte();
  input.clock = in.Byte();
  input.now_us = in.Int64();
  for (int n = in.Byte() % 5; n > 0; --n) {
    PriorComplaint& prior = input.history.emplace_back();
    prior.complaint_id = in.Chunk();
    prior.received_time_us = in.Int64();
    prior.kind = static_cast<v1::InfoKind>(in.Byte());
    prior.category = static_cast<v1::ComplaintCategory>(in.Byte());
  }
  input.state = in.Chunk();
  input.command_bytes = in.Rest();
  return input;
}

std::string Encode(const DecideInput& input) {
  InputWriter out;
  out.Byte(input.command);
  out.Byte(input.actor);
  out.Byte(input.clock);
  out.Int64(input.now_us);
  LEDGER_CHECK(input.history.size() < 5, "ParseDecide reads at most 4");
  out.Byte(static_cast<uint8_t>(input.history.size()));
  for (const PriorComplaint& prior : input.history) {
    out.Chunk(prior.complaint_id);
    out.Int64(prior.received_time_us);
    out.Byte(static_cast<uint8_t>(prior.kind));
    out.Byte(static_cast<uint8_t>(prior.category));
  }
  out.Chunk(input.state);
  out.Rest(input.command_bytes);
  return out.bytes();
}

absl::Time NowOf(const DecideInput& input) {
  if (input.clock % 2 == 1) return absl::FromUnixMicros(input.now_us);
  const auto span =
      static_cast<uint64_t>(absl::ToInt64Microseconds(kClockSpan));
  return kClockStart +
         absl::Microseconds(static_cast<uint64_t>(input.now_us) % span);
}

namespace {

void AddAgent(ReferenceData& reference, const char* id, v1::Role role,
              bool active) {
  v1::AgentRegistered agent;
  agent.set_agent_id(id);
  agent.set_display_name(id);
  agent.add_roles(role);
  agent.set_active(active);
  LEDGER_CHECK(reference.Apply(Wrap(agent)).ok(), "the agents are valid");
}

}  // namespace

const ReferenceData& FuzzReference() {
  static const ReferenceData* const kReference = [] {
    auto* reference = new ReferenceData();
    AddAgent(*reference, "h1", v1::ROLE_CENTRE_HEAD, true);
    AddAgent(*reference, "a17", v1::ROLE_AGENT, true);
    AddAgent(*reference, "c1", v1::ROLE_CLERK, true);
    AddAgent(*reference, "gm", v1::ROLE_GENERAL_MANAGER, true);
    AddAgent(*reference, "x1", v1::ROLE_AGENT, false);
    v1::StationRegistered station;
    station.set_station_id("s1");
    station.set_name("East station");
    LEDGER_CHECK(reference->Apply(Wrap(station)).ok(), "the station is valid");
    for (const char* id : {"eng", "svc"}) {
      v1::DepartmentRegistered department;
      department.set_department_id(id);
      department.set_name(id);
      LEDGER_CHECK(reference->Apply(Wrap(department)).ok(),
                   "the departments are valid");
    }
    absl::StatusOr<v1::CalendarPublished> calendar =
        BusinessCalendar::Shipped();
    LEDGER_CHECK(calendar.ok() && reference->Apply(Wrap(*calendar)).ok(),
                 "the shipped calendar is valid");
    return reference;
  }();
  return *kReference;
}

const std::vector<const google::protobuf::Message*>& RegisteredCommands() {
  static const auto* const kCommands = [] {
    auto* commands = new std::vector<const google::protobuf::Message*>();
    ForEachCommand([commands](const auto& spec) {
      using Command = typename std::decay_t<decltype(spec)>::Type;
      commands->push_back(&Command::default_instance());
    });
    return commands;
  }();
  return *kCommands;
}

CalendarInput ParseCalendar(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  CalendarInput input;
  input.calendar = in.Chunk();
  while (!in.empty() && input.probes.size() < kMaxCalendarProbes) {
    CalendarProbe& probe = input.probes.emplace_back();
    probe.choice = in.Byte();
    probe.time_us = in.Int64();
    probe.days = in.Byte();
    probe.shift = in.Byte();
  }
  return input;
}

std::string Encode(const CalendarInput& input) {
  InputWriter out;
  out.Chunk(input.calendar);
  for (const CalendarProbe& probe : input.probes) {
    out.Byte(probe.choice);
    out.Int64(probe.time_us);
    out.Byte(probe.days);
    out.Byte(probe.shift);
  }
  return out.bytes();
}

std::vector<std::string> ParseArgs(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  if (size == 0) return args;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (size_t nul = rest.find('\0'); nul != std::string_view::npos;
       nul = rest.find('\0')) {
    args.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  args.emplace_back(rest);
  return args;
}

std::string EncodeArgs(const std::vector<std::string>& args) {
  std::string bytes;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) bytes.push_back('\0');
    bytes += args[i];
  }
  return bytes;
}

}  // namespace ledger::fuzz

// Protobuf logs every parse error it meets, and a fuzzer meets thousands a
// second: they would bury the fuzzer's own output and slow it down.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}
