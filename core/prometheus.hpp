#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// The Prometheus text exposition format 0.0.4, written by hand (no I/O, no library): family
// headers, samples, and fixed-bucket histograms. Label sets are passed pre-formatted, e.g.
// `route="/health",method="GET"` (values escaped with EscapeLabelValue).
namespace filament::core::prom {

// Escapes `\`, `"` and newline for a label value.
std::string EscapeLabelValue(std::string_view value);
// A sample value: integers without exponent or fraction, "+Inf"/"-Inf"/"NaN", else the shortest %g
// that reads back.
std::string FormatValue(double value);
// `# HELP name help` and `# TYPE name type` (type: counter, gauge, histogram).
void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help);
// `name{labels} value` (no braces when `labels` is empty).
void AppendSample(std::string& out, std::string_view name, std::string_view labels, double value);

// Request-latency style buckets in seconds: 0.5 ms .. 10 s.
std::vector<double> LatencyBucketsSeconds();

// One histogram (one label set). Observe is lock-free and thread-safe; a concurrent scrape
// sees a consistent count (_count equals the +Inf bucket).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // ascending, finite
  void Observe(double value);
  // name_bucket{labels,le=...} (cumulative, +Inf last), name_sum, name_count.
  void AppendSamples(std::string& out, std::string_view name, std::string_view labels) const;
  uint64_t Count() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Histograms of one family keyed by label set, each created at its first observation.
// Thread-safe.
class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<double> upper_bounds);
  void Observe(std::string_view labels, double value);
  // HELP/TYPE, then every label set's samples in label order.
  void AppendPrometheus(std::string& out) const;
  uint64_t Count(std::string_view labels) const;  // 0 when never observed

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> by_labels_;
};

}  // namespace filament::core::prom
