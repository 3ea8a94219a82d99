// tamper_record DIR POSITION [--rehash]: rewrites the record at POSITION
// with one payload byte changed and its old hash kept, as an insider editing
// the database would; with --rehash, its hash recomputed over the change (so
// only the link from the next record gives it away). For tests of
// verification.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
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
  if (absl::Status s = (*raw)->ChangePayload(position, rehash); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
