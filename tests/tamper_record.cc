// tamper_record DIR POSITION [--rehash]: rewrites the record at POSITION
// with one payload byte changed and its old hash kept, as an insider editing
// the database would; with --rehash, its hash recomputed over the change (so
// only the link from the next record gives it away). For tests of
// verification.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "ledger/store/chain.h"
#include "ledger/v1/event.pb.h"
#include "tests/raw_db.h"

int main(int argc, char** argv) {
  uint64_t position = 0;
  const bool rehash = argc == 4 && std::string(argv[3]) == "--rehash";
  if ((argc != 3 && !rehash) || !absl::SimpleAtoi(argv[2], &position)) {
    std::fprintf(stderr, "usage: tamper_record DIR POSITION [--rehash]\n");
    return 2;
  }
  auto raw = ledger::testing::RawDb::Open(argv[1]);
  if (!raw.ok()) {
    std::fprintf(stderr, "%s\n", raw.status().ToString().c_str());
    return 1;
  }
  auto value = (*raw)->GetRecord(position);
  ledger::v1::Event event;
  if (!value.ok() || !event.ParseFromString(*value) ||
      event.payload().empty()) {
    std::fprintf(stderr, "no record with a payload at %s\n", argv[2]);
    return 1;
  }
  event.mutable_payload()->at(0) ^= 0x01;
  if (rehash) event.set_hash(ledger::ComputeEventHash(event));
  auto s = (*raw)->PutRecord(position, event.SerializeAsString());
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
