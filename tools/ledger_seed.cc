// ledger_seed: puts the example events (ledger/events/examples.h), one of
// every type, into an empty ledger so a new one has something to look at.
// Does nothing when the ledger already holds events. Appends through the
// C++ API: the write RPCs arrive with the complaint lifecycle.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ledger/events/examples.h"
#include "ledger/store/event_store.h"

ABSL_FLAG(std::string, data_dir, "./ledger-data", "RocksDB directory");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  auto store = ledger::EventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "ledger_seed: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  if ((*store)->log_head().position_last > 0) {
    std::printf("ledger_seed: %s already holds events; nothing to do\n",
                dir.c_str());
    return 0;
  }
  absl::StatusOr<int> n = ledger::AppendExamples(**store, "seed");
  if (!n.ok()) {
    std::fprintf(stderr, "ledger_seed: %s\n", n.status().ToString().c_str());
    return 1;
  }
  std::printf("ledger_seed: appended %d example events to %s\n", *n,
              dir.c_str());
  return 0;
}
