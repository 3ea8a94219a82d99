// Metrics: what ledgerd's /metrics shows, in the Prometheus text format
// 0.0.4 (services/http_server.h serves it). There is no Prometheus client
// library for C++ in Debian, and the format is a few lines of text, so it
// is written here: MetricsText puts out families (HELP, TYPE, samples),
// CallMetrics keeps the latency histogram of every gRPC call by method and
// status code (fed by the call log, services/call_log.h). Counters that
// other parts keep already (the store's writer, the subscription hub, the
// projections) are read when scraped, in services/ledger_server.cc.
#ifndef LEDGER_SERVICES_METRICS_H_
#define LEDGER_SERVICES_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ledger {

// Families in the text format, each written whole (HELP, TYPE, samples).
class MetricsText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family: `type` "counter", "gauge" or "histogram". A counter's
  // name ends in "_total".
  void Family(absl::string_view name, absl::string_view type,
              absl::string_view help);
  void Sample(absl::string_view name, const Labels& labels, double value);
  // One family of a single sample.
  void Counter(absl::string_view name, absl::string_view help, double value);
  void Gauge(absl::string_view name, absl::string_view help, double value);
  // A histogram's samples: `upper` the buckets' bounds (ascending),
  // `counts` the observations in each (not cumulative; one more, for those
  // above the last bound), `sum` of all observed values.
  void Histogram(absl::string_view name, const Labels& labels,
                 const std::vector<double>& upper,
                 const std::vector<uint64_t>& counts, double sum);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The latency of every gRPC call, by method and status code.
class CallMetrics {
 public:
  // Seconds; the last bucket is everything slower.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};

  // `method`: the RPC's full path ("/ledger.v1.ComplaintService/Classify").
  void Observe(absl::string_view method, int code, absl::Duration latency);
  // The family ledger_rpc_duration_seconds.
  void Write(MetricsText* out) const;

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts{};
    std::atomic<uint64_t> sum_ns{0};
  };
  using Key = std::pair<std::string, int>;
  mutable absl::Mutex mu_;
  absl::node_hash_map<Key, Histogram> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_METRICS_H_
