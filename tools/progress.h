// Progress of long work (seeding, simulating, verifying) on standard error.
// On a terminal: one line redrawn in place, a bar with the count, the rate
// and the time left. In a pipe or a file: a line every 10 seconds, and one
// at the end once there was any, so a log shows long work is alive without
// a flood (and work done within 10 seconds prints nothing).
#ifndef LEDGER_TOOLS_PROGRESS_H_
#define LEDGER_TOOLS_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/time/time.h"

namespace ledger {

class Progress {
 public:
  // `what` names the work ("ledger_sim: steps"); `total` 0 when unknown.
  Progress(std::string what, uint64_t total, FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` so far; cheap to call often (it draws at most 5 times a second
  // on a terminal, every 10 seconds elsewhere).
  void Update(uint64_t done);
  // The last line (also done by the destructor once).
  void Finish();

  // The text of one report: "what  [#####.....]  120,000 / 250,000  48%
  // 10,512/s  12s left" (the bar only with `bar`). Pure, for tests.
  static std::string Line(const std::string& what, uint64_t done,
                          uint64_t total, absl::Duration elapsed, bool bar);

 private:
  void Draw(bool last);

  const std::string what_;
  const uint64_t total_;
  FILE* const out_;
  const bool terminal_;
  const absl::Time start_;
  absl::Time last_draw_;
  uint64_t done_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace ledger

#endif  // LEDGER_TOOLS_PROGRESS_H_
