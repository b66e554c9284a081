#include "core/prometheus.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace filament::core::prom {

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  for (int precision = 15; precision <= 17; ++precision) {  // shortest that reads back equal
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(FormatValue(value)).append("\n");
}

std::vector<double> LatencyBucketsSeconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load();
  return total;
}

void Histogram::AppendSamples(std::string& out, std::string_view name,
                              std::string_view labels) const {
  const std::string bucket_name = std::string(name) + "_bucket";
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    AppendSample(out, bucket_name, prefix + "le=\"" + FormatValue(bounds_[i]) + "\"",
                 static_cast<double>(cumulative));
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  AppendSample(out, bucket_name, prefix + "le=\"+Inf\"", static_cast<double>(cumulative));
  AppendSample(out, std::string(name) + "_sum", labels, sum_.load(std::memory_order_relaxed));
  AppendSample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<double> upper_bounds)
    : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(upper_bounds)) {}

void HistogramFamily::Observe(std::string_view labels, double value) {
  Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = by_labels_.find(labels);
    if (it == by_labels_.end()) {
      it = by_labels_.emplace(std::string(labels), std::make_unique<Histogram>(bounds_)).first;
    }
    histogram = it->second.get();  // never erased: usable after the lock
  }
  histogram->Observe(value);
}

void HistogramFamily::AppendPrometheus(std::string& out) const {
  AppendHeader(out, name_, "histogram", help_);
  std::lock_guard lock(mu_);
  for (const auto& [labels, histogram] : by_labels_) histogram->AppendSamples(out, name_, labels);
}

uint64_t HistogramFamily::Count(std::string_view labels) const {
  std::lock_guard lock(mu_);
  auto it = by_labels_.find(labels);
  return it == by_labels_.end() ? 0 : it->second->Count();
}

}  // namespace filament::core::prom
