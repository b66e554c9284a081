#include "projections/runner/metrics.hpp"

#include <gtest/gtest.h>

namespace filament::projections {
namespace {

TEST(RunnerMetrics, PrometheusTextHasOneSamplePerProjection) {
  RunnerMetrics metrics;
  metrics.AddApplied("messages", 3);
  metrics.AddApplied("messages", 2);
  metrics.AddDecodeFailure("users");
  std::string text;
  metrics.AppendPrometheus(text);
  EXPECT_NE(text.find("# TYPE filament_projection_decode_failures_total counter"),
            std::string::npos);
  EXPECT_NE(text.find("filament_projection_records_applied_total{projection=\"messages\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("filament_projection_decode_failures_total{projection=\"users\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(metrics.DecodeFailures("messages"), 0u);
}

TEST(RunnerMetrics, LabelValuesAreEscaped) {
  RunnerMetrics metrics;
  metrics.AddSkipped("a\"b\\c", 1);
  std::string text;
  metrics.AppendPrometheus(text);
  EXPECT_NE(text.find("{projection=\"a\\\"b\\\\c\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace filament::projections
