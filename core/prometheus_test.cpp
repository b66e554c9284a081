#include "core/prometheus.hpp"

#include <gtest/gtest.h>

namespace filament::core::prom {
namespace {

TEST(PrometheusText, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(PrometheusText, FormatsValues) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
}

TEST(PrometheusText, HistogramBucketsAreCumulative) {
  Histogram histogram({0.1, 1});
  histogram.Observe(0.05);
  histogram.Observe(0.5);
  histogram.Observe(0.5);
  histogram.Observe(7);
  std::string out;
  histogram.AppendSamples(out, "x_seconds", "route=\"/a\"");
  EXPECT_EQ(out,
            "x_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
            "x_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "x_seconds_sum{route=\"/a\"} 8.05\n"
            "x_seconds_count{route=\"/a\"} 4\n");
  EXPECT_EQ(histogram.Count(), 4u);
}

TEST(PrometheusText, FamilyWritesHeaderEvenWithoutSamples) {
  HistogramFamily family("y_seconds", "Y.", {1});
  std::string out;
  family.AppendPrometheus(out);
  EXPECT_EQ(out, "# HELP y_seconds Y.\n# TYPE y_seconds histogram\n");
  family.Observe("", 2);
  EXPECT_EQ(family.Count(""), 1u);
  EXPECT_EQ(family.Count("a=\"b\""), 0u);
}

}  // namespace
}  // namespace filament::core::prom
