#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace filament::projections {

// Counters of the projection runner, exposed in the Prometheus text format. Thread-safe.
//   filament_projection_records_applied_total{projection}  records applied (ignored ones too)
//   filament_projection_records_skipped_total{projection}  records passed by an operator skip
//   filament_projection_decode_failures_total{projection}  records that stopped a projection
class RunnerMetrics {
 public:
  void AddApplied(std::string_view projection, uint64_t count);
  void AddSkipped(std::string_view projection, uint64_t count);
  void AddDecodeFailure(std::string_view projection);

  uint64_t Applied(std::string_view projection) const;
  uint64_t Skipped(std::string_view projection) const;
  uint64_t DecodeFailures(std::string_view projection) const;

  // Appends HELP/TYPE lines and one sample per projection and counter to `out`.
  void AppendPrometheus(std::string& out) const;

 private:
  struct Counters {
    uint64_t applied = 0;
    uint64_t skipped = 0;
    uint64_t decode_failures = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Counters, std::less<>> counters_;
};

}  // namespace filament::projections
