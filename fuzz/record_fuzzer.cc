// Fuzzes the decoders of what the store reads from disk: a record of the
// events column family (RocksEventStore::DecodeRecord, then its payload by
// DecodedEvent::Decode and the folds that take it at replay) and the anchor
// file (AnchorFile::Read). Any bytes must give a status, never a crash.
// Input: fuzz/inputs.h, RecordInput.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/inputs.h"
#include "ledger/base/check.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/events/examples.h"
#include "ledger/events/visitor.h"
#include "ledger/store/internal/anchor.h"
#include "ledger/store/internal/rocks_event_store.h"

namespace ledger::fuzz {
namespace {

using internal::AnchorFile;
using internal::RocksEventStore;

// A directory of this process's own for the anchor file, removed at exit.
// In memory where there is /dev/shm: a disk file system may write a file
// that was truncated and written again out at once when it is closed
// (ext4's auto_da_alloc), which made each run a thousand times slower.
std::filesystem::path* anchor_dir = nullptr;

const std::filesystem::path& AnchorDir() {
  if (anchor_dir == nullptr) {
    const std::filesystem::path parent =
        std::filesystem::is_directory("/dev/shm")
            ? std::filesystem::path("/dev/shm")
            : std::filesystem::temp_directory_path();
    std::string pattern = (parent / "record_fuzzer.XXXXXX").string();
    LEDGER_CHECK(mkdtemp(pattern.data()) != nullptr,
                 "the fuzzer needs a temporary directory");
    anchor_dir = new std::filesystem::path(pattern);
    std::atexit([] {
      std::error_code ignored;  // Nothing to do about a leftover directory.
      std::filesystem::remove_all(*anchor_dir, ignored);
    });
  }
  return *anchor_dir;
}

void ReadAsAnchorFile(const uint8_t* data, size_t size) {
  {
    std::ofstream file(AnchorDir() / internal::kAnchorFileName,
                       std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data),
               static_cast<std::streamsize>(size));
    LEDGER_CHECK(file.good(), "the fuzzer can write its anchor file");
  }
  // Whatever the bytes, Read answers an anchor, none or DATA_LOSS; only
  // that it answers is under test.
  AnchorFile::Read(AnchorDir().string()).IgnoreError();
}

// The example complaint (ledger/events/examples.h) folded: a record of its
// next revision folds into it whatever its type, so every Visit of the fold
// is reachable.
const v1::ComplaintState& ExampleComplaint() {
  static const v1::ComplaintState* const kState = [] {
    auto* state = new v1::ComplaintState();
    uint64_t revision = 0;
    for (const ExampleEvent& example : ExampleEvents()) {
      if (ComplaintIdView(example.stream_id).empty()) continue;
      v1::Event event;
      event.set_stream_id(example.stream_id);
      event.set_revision(revision++);
      event.set_event_type(example.payload->GetDescriptor()->full_name());
      example.payload->SerializeToString(event.mutable_payload());
      LEDGER_CHECK(Apply(event, state).ok(), "the examples fold");
    }
    return state;
  }();
  return *kState;
}

void DecodeAsRecord(const RecordInput& record) {
  const rocksdb::Slice value(record.value);
  v1::Event event;
  // Any status will do: only that decoding any bytes is safe is under test.
  RocksEventStore::DecodeRecord(record.position, value, &event).IgnoreError();

  // The payload's decoders run on every record that parses where it is
  // stored, its hash sound or not: a fuzzer cannot forge SHA-256, but a
  // record changed with its hash recomputed passes DecodeRecord (tests/
  // tamper_record.cc --rehash) and reaches them.
  event.Clear();
  if (!RocksEventStore::ParseRecord(record.position, value, &event).ok()) {
    return;
  }
  absl::StatusOr<DecodedEvent> decoded = DecodedEvent::Decode(event);
  if (!decoded.ok()) return;
  // What replay hands a record to; each may refuse it (out of order, not
  // its type), none may crash.
  v1::ComplaintState fresh;
  Apply(*decoded, &fresh).IgnoreError();
  v1::ComplaintState received = ExampleComplaint();
  Apply(*decoded, &received).IgnoreError();
  ReferenceData reference;
  reference.Apply(*decoded).IgnoreError();
  CustomerIndex customers;
  customers.Apply(*decoded).IgnoreError();
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::DecodeAsRecord(ledger::fuzz::ParseRecord(data, size));
  ledger::fuzz::ReadAsAnchorFile(data, size);
  return 0;
}
