// The share of CPU time the hypervisor took from this machine (the "steal"
// column of /proc/stat) over a stretch of a benchmark. On a shared virtual
// machine latency tails follow it: printed beside the figures they affect.
#ifndef LEDGER_TOOLS_CPU_STEAL_H_
#define LEDGER_TOOLS_CPU_STEAL_H_

#include <cstdint>
#include <fstream>
#include <string>

namespace ledger {

class StealMeter {
 public:
  StealMeter() { Read(&steal_, &total_); }

  // Percent of all CPU time since construction that was stolen; -1 where
  // /proc/stat cannot be read.
  double Percent() const {
    uint64_t steal = 0, total = 0;
    if (!Read(&steal, &total) || total <= total_) return -1;
    return 100.0 * static_cast<double>(steal - steal_) /
           static_cast<double>(total - total_);
  }

 private:
  // The first line of /proc/stat: "cpu user nice system idle iowait irq
  // softirq steal ...", in clock ticks.
  static bool Read(uint64_t* steal, uint64_t* total) {
    std::ifstream in("/proc/stat");
    std::string cpu;
    uint64_t t[8];
    if (!(in >> cpu) || cpu != "cpu") return false;
    for (uint64_t& v : t) {
      if (!(in >> v)) return false;
    }
    *total = 0;
    for (uint64_t v : t) *total += v;
    *steal = t[7];
    return true;
  }

  uint64_t steal_ = 0;
  uint64_t total_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_TOOLS_CPU_STEAL_H_
