#include "projections/runner/applied_positions.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

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

// Records each WhenApplied answer and the thread it came on.
struct Told {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<bool, std::thread::id>> answers;
  std::function<void(bool)> Callback() {
    return [this](bool reached) {
      std::lock_guard lock(mu);
      answers.emplace_back(reached, std::this_thread::get_id());
      cv.notify_all();
    };
  }
  bool WaitCount(size_t n, std::chrono::milliseconds timeout = 2s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return answers.size() >= n; });
  }
};

TEST(AppliedPositions, WhenAppliedAnswersAtOnceWhenAlreadyApplied) {
  Told told;
  AppliedPositions applied;
  applied.Update("a", {0, 3});
  applied.WhenApplied({"a"}, {0, 3}, 1s, told.Callback());
  applied.WhenApplied({}, {0, 9}, 1s, told.Callback());
  ASSERT_EQ(told.answers.size(), 2u);
  EXPECT_EQ(told.answers[0], std::make_pair(true, std::this_thread::get_id()));
  EXPECT_TRUE(told.answers[1].first);
  EXPECT_EQ(applied.pending_waiters(), 0u);
}

TEST(AppliedPositions, WhenAppliedAnswersOnTheUpdateThatCompletesEveryProjection) {
  Told told;  // outlives `applied`, which tells its pending waiters when it goes
  AppliedPositions applied;
  applied.WhenApplied({"a", "b"}, {1, 5}, 5s, told.Callback());
  applied.WhenApplied({"a"}, {0, 5}, 5s, told.Callback());  // another partition: not satisfied
  applied.Update("a", {1, 9});
  EXPECT_TRUE(told.answers.empty());
  std::thread updater([&] { applied.Update("b", {1, 5}); });
  const auto updater_id = updater.get_id();
  updater.join();
  ASSERT_EQ(told.answers.size(), 1u);
  EXPECT_EQ(told.answers[0], std::make_pair(true, updater_id));
  EXPECT_EQ(applied.pending_waiters(), 1u);
}

TEST(AppliedPositions, WhenAppliedAnswersFalseAtTheDeadlineOnlyOnce) {
  Told told;  // outlives `applied`, which tells its pending waiters when it goes
  AppliedPositions applied;
  const auto start = std::chrono::steady_clock::now();
  applied.WhenApplied({"a"}, {0, 0}, 50ms, told.Callback());
  applied.WhenApplied({"a"}, {0, 0}, 5s, told.Callback());
  ASSERT_TRUE(told.WaitCount(1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_FALSE(told.answers[0].first);
  EXPECT_NE(told.answers[0].second, std::this_thread::get_id());
  applied.Update("a", {0, 0});  // the second one; the first is not told again
  ASSERT_TRUE(told.WaitCount(2));
  EXPECT_TRUE(told.answers[1].first);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(told.answers.size(), 2u);
}

TEST(AppliedPositions, WhenAppliedWithNoTimeLeftAnswersFalseAtOnce) {
  Told told;  // outlives `applied`, which tells its pending waiters when it goes
  AppliedPositions applied;
  applied.WhenApplied({"a"}, {0, 0}, 0ms, told.Callback());
  ASSERT_EQ(told.answers.size(), 1u);
  EXPECT_FALSE(told.answers[0].first);
}

TEST(AppliedPositions, PendingWaitersAreToldFalseOnDestruction) {
  Told told;
  {
    AppliedPositions applied;
    applied.WhenApplied({"a"}, {0, 0}, 60s, told.Callback());
    applied.WhenApplied({"b"}, {3, 1}, 60s, told.Callback());
  }
  ASSERT_EQ(told.answers.size(), 2u);
  EXPECT_FALSE(told.answers[0].first);
  EXPECT_FALSE(told.answers[1].first);
}

TEST(AppliedPositions, ManyConcurrentWaitersAreEachToldExactlyOnce) {
  Told told;  // outlives `applied`, which tells its pending waiters when it goes
  AppliedPositions applied;
  constexpr int kWaiters = 400;
  std::thread adder([&] {
    for (int i = 0; i < kWaiters; ++i) applied.WhenApplied({"a"}, {i % 4, i}, 10s, told.Callback());
  });
  for (int64_t offset = 0; offset < kWaiters; ++offset) {
    for (int32_t partition = 0; partition < 4; ++partition)
      applied.Update("a", {partition, offset});
  }
  adder.join();
  ASSERT_TRUE(told.WaitCount(kWaiters));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(told.answers.size(), static_cast<size_t>(kWaiters));
  for (const auto& answer : told.answers) EXPECT_TRUE(answer.first);
  EXPECT_EQ(applied.pending_waiters(), 0u);
}

}  // namespace
}  // namespace filament::projections
