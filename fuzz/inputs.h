// The layouts of the fuzzers' inputs, in one place: the fuzzers (fuzz/
// *_fuzzer.cc) read them with Parse*, and make_corpus writes the seed
// corpora with Encode, so that the two never disagree.
//
// Any bytes are some input: a layout read past its end gives zeros and
// empty strings, never an error, so that every mutation is tried.
//
// inputs.cc also defines every target's LLVMFuzzerInitialize (libFuzzer
// and replay_main.cc call it once, first).
#ifndef LEDGER_FUZZ_INPUTS_H_
#define LEDGER_FUZZ_INPUTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/reference_data.h"

namespace ledger::fuzz {

// Reads integers (little-endian) and length-prefixed strings from the front
// of an input.
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return rest_.empty(); }
  uint8_t Byte();
  int64_t Int64();
  // At most 65535 bytes, the count in the two bytes before them.
  std::string Chunk();
  // Everything not read yet.
  std::string Rest();

 private:
  std::string_view rest_;
};

// Writes what InputReader reads, in the same order.
class InputWriter {
 public:
  void Byte(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void Int64(int64_t value);
  // `chunk` must be at most 65535 bytes.
  void Chunk(std::string_view chunk);
  void Rest(std::string_view rest) { bytes_.append(rest); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// --- record_fuzzer: a record of the events column family, its 8-byte key
// (the position, big-endian; a shorter input is zero-filled) then its value
// (the serialized Event). The whole input is also read as an anchor file.
struct RecordInput {
  uint64_t position = 0;
  std::string value;
};
RecordInput ParseRecord(const uint8_t* data, size_t size);
std::string Encode(const RecordInput& input);

// --- decide_fuzzer: a command of the registry decided on a state, in this
// order:
//   command   byte   which of RegisteredCommands() (modulo their number)
//   actor     byte   which of kActors (modulo their number)
//   clock     byte   even: now is `now_us` modulo kClockSpan after
//                    kClockStart; odd: now is `now_us` as it is
//   now_us    int64
//   history   byte   how many prior complaints follow (modulo 5), each a
//                    chunk (its id), int64 (received_time_us), byte (kind),
//                    byte (category)
//   state     chunk  a serialized ComplaintState
//   command   rest   the serialized command
struct DecideInput {
  uint8_t command = 0;
  uint8_t actor = 0;
  uint8_t clock = 0;
  int64_t now_us = 0;
  std::vector<PriorComplaint> history;
  std::string state;
  std::string command_bytes;
};
DecideInput ParseDecide(const uint8_t* data, size_t size);
std::string Encode(const DecideInput& input);

// Agents of FuzzReference(), by role, then an inactive one, an unknown one
// and none.
inline constexpr const char* kActors[] = {
    "h1", "a17", "c1", "gm", "x1", "nobody", "",
};
// The calendar of FuzzReference() covers 2025 and 2026; the clock of a
// DecideInput spans them and half a year on either side, from 2024-07-01
// 00:00 in Asia/Shanghai.
inline constexpr absl::Time kClockStart = absl::FromUnixSeconds(1719763200);
inline constexpr absl::Duration kClockSpan = absl::Hours(24 * 365 * 3);
absl::Time NowOf(const DecideInput& input);

// The reference data commands are decided against: agents h1 (centre
// head), a17 (agent), c1 (clerk), gm (general manager), x1 (inactive);
// station s1, departments eng and svc; the shipped calendar.
const ReferenceData& FuzzReference();

// A default instance of every command of the registry (app/commands.h), in
// its order.
const std::vector<const google::protobuf::Message*>& RegisteredCommands();

// --- calendar_fuzzer: a calendar, then up to kMaxCalendarProbes probes of
// it, each: choice (byte), time_us (int64), days (byte), shift (byte).
//   choice   even: the probe is time_us modulo a year after the start of
//            one of the calendar's years (choice / 2 picks it, modulo);
//            odd: the probe is time_us as it is
//   days     working days to add, days - 1 (so -1 to 254)
//   shift    a v1::Shift, or no shift at all
inline constexpr size_t kMaxCalendarProbes = 16;
struct CalendarProbe {
  uint8_t choice = 0;
  int64_t time_us = 0;
  uint8_t days = 0;
  uint8_t shift = 0;
};
struct CalendarInput {
  std::string calendar;  // A serialized CalendarPublished.
  std::vector<CalendarProbe> probes;
};
CalendarInput ParseCalendar(const uint8_t* data, size_t size);
std::string Encode(const CalendarInput& input);

// --- flags_fuzzer: a ledgerctl command line after the program's name, its
// arguments separated by NUL bytes (which no argument can hold).
std::vector<std::string> ParseArgs(const uint8_t* data, size_t size);
std::string EncodeArgs(const std::vector<std::string>& args);

}  // namespace ledger::fuzz

#endif  // LEDGER_FUZZ_INPUTS_H_
