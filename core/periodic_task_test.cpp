#include "core/periodic_task.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/thread_name.hpp"

namespace filament::core {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(PeriodicTask, TicksAfterTheFirstDelayThenEveryInterval) {
  std::atomic<int> ticks{0};
  PeriodicTask task(
      50ms, 20ms, [&] { ++ticks; }, "test-task");
  task.Start();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks.load(), 0) << "ticked before its first delay";
  const auto deadline = Clock::now() + 5s;
  while (ticks.load() < 3 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_GE(ticks.load(), 3);
  task.Stop();
  const int after_stop = ticks.load();
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(ticks.load(), after_stop) << "ticked after Stop";
}

TEST(PeriodicTask, StopWakesALongWaitAtOnce) {
  PeriodicTask task(
      1h, 1h, [] {}, "test-task");
  task.Start();
  const auto start = Clock::now();
  task.Stop();
  EXPECT_LT(Clock::now() - start, 1s);
  task.Stop();  // idempotent
}

TEST(PeriodicTask, ALongTickSeesStoppingAndStopWaitsForIt) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  PeriodicTask* self = nullptr;
  PeriodicTask task(
      0ms, 1h,
      [&] {
        started = true;
        while (!self->stopping()) std::this_thread::sleep_for(1ms);
        finished = true;
      },
      "test-task");
  self = &task;
  task.Start();
  while (!started.load()) std::this_thread::sleep_for(1ms);
  task.Stop();
  EXPECT_TRUE(finished.load()) << "Stop returned before the tick in progress";
}

TEST(PeriodicTask, StopFromTheTickDoesNotDeadlock) {
  std::atomic<int> ticks{0};
  PeriodicTask* self = nullptr;
  PeriodicTask task(
      0ms, 1ms,
      [&] {
        ++ticks;
        self->Stop();
      },
      "test-task");
  self = &task;
  task.Start();
  const auto deadline = Clock::now() + 5s;
  while (ticks.load() < 1 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ticks.load(), 1);
}

TEST(PeriodicTask, TicksOnAThreadOfItsName) {
  std::mutex mu;
  std::string seen;
  std::atomic<bool> ticked{false};
  PeriodicTask task(
      0ms, 1h,
      [&] {
        std::lock_guard lock(mu);
        seen = ThreadName();
        ticked = true;
      },
      "blob-sweeper");
  task.Start();
  const auto deadline = Clock::now() + 5s;
  while (!ticked.load() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  task.Stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, "blob-sweeper");
}

}  // namespace
}  // namespace filament::core
