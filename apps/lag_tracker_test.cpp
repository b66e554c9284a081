#include "apps/lag_tracker.hpp"

#include <gtest/gtest.h>

namespace filament::app {
namespace {

TEST(LagTracker, CaughtUpConsumerHasNoLag) {
  LagTracker lag;
  lag.AddSample(1000, {5, 0});
  EXPECT_EQ(lag.LagMs(1500, {5}), 0);
  EXPECT_EQ(lag.LagRecords({5}), 0);
}

TEST(LagTracker, LagIsTheAgeOfTheOldestUnreachedSample) {
  LagTracker lag;
  lag.AddSample(1000, {5, 0});
  lag.AddSample(1200, {7, 1});
  lag.AddSample(1400, {9, 1});
  EXPECT_EQ(lag.LagMs(1500, {4, 0}), 500);  // behind the first sample
  EXPECT_EQ(lag.LagMs(1500, {5, 0}), 300);  // reached the first, not the second
  EXPECT_EQ(lag.LagMs(1500, {8, 1}), 100);
  EXPECT_EQ(lag.LagRecords({5, 0}), 5);
}

TEST(LagTracker, PruneKeepsWhatSomeConsumerStillNeeds) {
  LagTracker lag;
  lag.AddSample(1000, {5});
  lag.AddSample(1200, {7});
  lag.Prune({{7}, {5}});  // the second consumer has not reached 7
  EXPECT_EQ(lag.LagMs(1300, {5}), 100);
  lag.Prune({{7}, {7}});
  EXPECT_EQ(lag.LagMs(1300, {6}), 100);  // the newest sample is kept
}

TEST(LagTracker, AFullWindowKeepsTheOldestSoAStuckConsumerKeepsAging) {
  LagTracker lag(2);
  lag.AddSample(1000, {1});
  lag.AddSample(2000, {2});
  lag.AddSample(3000, {3});  // not kept
  EXPECT_EQ(lag.LagMs(10'000, {0}), 9000);
  EXPECT_EQ(lag.LagRecords({0}), 3);
}

TEST(LagTracker, UnchangedEndsAddNoSample) {
  LagTracker lag;
  lag.AddSample(1000, {3});
  lag.AddSample(2000, {3});
  EXPECT_EQ(lag.LagMs(2500, {2}), 1500);  // the record was there at 1000
}

}  // namespace
}  // namespace filament::app
