#include "projections/runner/metrics.hpp"

namespace filament::projections {

namespace {

// Escapes a Prometheus label value (backslash, quote, newline).
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void RunnerMetrics::AddApplied(std::string_view projection, uint64_t count) {
  std::lock_guard lock(mu_);
  auto it = counters_.try_emplace(std::string(projection)).first;
  it->second.applied += count;
}

void RunnerMetrics::AddSkipped(std::string_view projection, uint64_t count) {
  std::lock_guard lock(mu_);
  counters_.try_emplace(std::string(projection)).first->second.skipped += count;
}

void RunnerMetrics::AddDecodeFailure(std::string_view projection) {
  std::lock_guard lock(mu_);
  counters_.try_emplace(std::string(projection)).first->second.decode_failures += 1;
}

uint64_t RunnerMetrics::Applied(std::string_view projection) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(projection);
  return it == counters_.end() ? 0 : it->second.applied;
}

uint64_t RunnerMetrics::Skipped(std::string_view projection) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(projection);
  return it == counters_.end() ? 0 : it->second.skipped;
}

uint64_t RunnerMetrics::DecodeFailures(std::string_view projection) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(projection);
  return it == counters_.end() ? 0 : it->second.decode_failures;
}

void RunnerMetrics::AppendPrometheus(std::string& out) const {
  struct Family {
    const char* name;
    const char* help;
    uint64_t Counters::*field;
  };
  static constexpr Family kFamilies[] = {
      {"filament_projection_records_applied_total", "Log records applied by a projection.",
       &Counters::applied},
      {"filament_projection_records_skipped_total",
       "Log records passed because an operator asked to skip them.", &Counters::skipped},
      {"filament_projection_decode_failures_total",
       "Log records a projection could not decode or apply (it stopped at them).",
       &Counters::decode_failures},
  };
  std::lock_guard lock(mu_);
  for (const auto& family : kFamilies) {
    out += std::string("# HELP ") + family.name + " " + family.help + "\n";
    out += std::string("# TYPE ") + family.name + " counter\n";
    for (const auto& [name, counters] : counters_) {
      out += std::string(family.name) + "{projection=\"" + EscapeLabel(name) + "\"} " +
             std::to_string(counters.*family.field) + "\n";
    }
  }
}

}  // namespace filament::projections
