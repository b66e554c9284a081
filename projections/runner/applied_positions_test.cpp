#include "projections/runner/applied_positions.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace filament::projections {
namespace {

using namespace std::chrono_literals;

TEST(AppliedPositions, WaitForSucceedsOnceEveryProjectionHasApplied) {
  AppliedPositions applied;
  applied.Update("messages", {1, 10});
  EXPECT_TRUE(applied.HasApplied({"messages"}, {1, 10}));
  EXPECT_TRUE(applied.HasApplied({"messages"}, {1, 3}));
  EXPECT_FALSE(applied.HasApplied({"messages"}, {1, 11}));
  EXPECT_FALSE(applied.HasApplied({"messages"}, {0, 0}));
  EXPECT_FALSE(applied.HasApplied({"messages", "users"}, {1, 10}));
  EXPECT_TRUE(applied.HasApplied({}, {1, 10}));
}

TEST(AppliedPositions, PositionsNeverMoveBackwards) {
  AppliedPositions applied;
  applied.Update("p", {0, 10});
  applied.Update("p", {0, 4});
  EXPECT_TRUE(applied.HasApplied({"p"}, {0, 10}));
}

TEST(AppliedPositions, WaitForTimesOut) {
  AppliedPositions applied;
  EXPECT_FALSE(applied.WaitFor({"p"}, {0, 0}, 10ms));
}

TEST(AppliedPositions, WaitForWakesOnUpdate) {
  AppliedPositions applied;
  std::thread updater([&] {
    std::this_thread::sleep_for(30ms);
    applied.Update("a", {2, 5});
    applied.Update("b", {2, 7});
  });
  EXPECT_TRUE(applied.WaitFor({"a", "b"}, {2, 5}, 5000ms));
  updater.join();
}

}  // namespace
}  // namespace filament::projections
