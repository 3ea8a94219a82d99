#include "services/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ledger {
namespace {

// A label value or HELP text with `\`, `"` (labels only) and newlines
// escaped.
std::string Escaped(absl::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.9g", value);
}

}  // namespace

void MetricsText::Family(absl::string_view name, absl::string_view type,
                         absl::string_view help) {
  // Text format 0.0.4: the family is named as its samples are (a
  // counter's with its "_total"; a histogram's without the suffixes).
  absl::StrAppend(&text_, "# HELP ", name, " ", Escaped(help, false), "\n",
                  "# TYPE ", name, " ", type, "\n");
}

void MetricsText::Sample(absl::string_view name, const Labels& labels,
                         double value) {
  text_.append(name.data(), name.size());
  if (!labels.empty()) {
    text_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&text_, i == 0 ? "" : ",", labels[i].first, "=\"",
                      Escaped(labels[i].second, true), "\"");
    }
    text_.push_back('}');
  }
  absl::StrAppend(&text_, " ", Number(value), "\n");
}

void MetricsText::Counter(absl::string_view name, absl::string_view help,
                          double value) {
  Family(name, "counter", help);
  Sample(name, {}, value);
}

void MetricsText::Gauge(absl::string_view name, absl::string_view help,
                        double value) {
  Family(name, "gauge", help);
  Sample(name, {}, value);
}

void MetricsText::Histogram(absl::string_view name, const Labels& labels,
                            const std::vector<double>& upper,
                            const std::vector<uint64_t>& counts, double sum) {
  const std::string bucket = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (size_t i = 0; i <= upper.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    with_le.back().second =
        i < upper.size() ? Number(upper[i]) : std::string("+Inf");
    Sample(bucket, with_le, static_cast<double>(cumulative));
  }
  Sample(absl::StrCat(name, "_sum"), labels, sum);
  Sample(absl::StrCat(name, "_count"), labels, static_cast<double>(cumulative));
}

void CallMetrics::Observe(absl::string_view method, int code,
                          absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t bucket =
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) -
      kBuckets.begin();
  Histogram* histogram = nullptr;
  Key key(std::string(method), code);
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = calls_.find(key); it != calls_.end()) {
      histogram = &it->second;
    }
  }
  if (histogram == nullptr) {
    absl::MutexLock lock(&mu_);
    histogram = &calls_[key];  // Node map: stays where it is.
  }
  histogram->counts[bucket].fetch_add(1, std::memory_order_relaxed);
  histogram->sum_ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(
                                  0, absl::ToInt64Nanoseconds(latency))),
                              std::memory_order_relaxed);
}

void CallMetrics::Write(MetricsText* out) const {
  // In order, so that a scrape reads the same way each time.
  std::map<Key, const Histogram*> sorted;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [key, histogram] : calls_) sorted[key] = &histogram;
  }
  const std::vector<double> upper(kBuckets.begin(), kBuckets.end());
  out->Family("ledger_rpc_duration_seconds", "histogram",
              "gRPC calls by method and status code: the time from the "
              "request's arrival to the answer");
  for (const auto& [key, histogram] : sorted) {
    std::vector<uint64_t> counts;
    for (const auto& c : histogram->counts) {
      counts.push_back(c.load(std::memory_order_relaxed));
    }
    out->Histogram(
        "ledger_rpc_duration_seconds",
        {{"method", key.first},
         {"code",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(key.second))}},
        upper, counts,
        static_cast<double>(histogram->sum_ns.load(std::memory_order_relaxed)) /
            1e9);
  }
}

}  // namespace ledger
