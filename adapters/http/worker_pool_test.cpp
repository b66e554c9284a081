// http::WorkerPool (ADR 0113): at most `running` of its threads run jobs at once, and a thread
// waiting inside a job (core::ScopedBlocking) lets another run. How marks nest: blocking_test.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/http/http_reactor.hpp"
#include "core/blocking.hpp"

namespace filament::http {
namespace {

using namespace std::chrono_literals;

// Jobs that spin until released, counting how many run at once.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};

  void Enter() {
    const int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
  }
  void Leave() {
    --inside;
    ++done;
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  bool IsOpen() {
    std::lock_guard lock(mu);
    return open;
  }
};

// Opens the gate when the test returns, also on a failed assertion, so that the pool (declared
// before it, destroyed after it) can join its threads instead of hanging the test.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.Open(); }
};

bool WaitUntil(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPool, RunsAtMostTheLimitAtOnce) {
  Gate gate;
  WorkerPool pool(8, 2);
  const OpenOnExit opener{gate};
  for (int i = 0; i < 6; ++i) {
    pool.Post([&gate] {
      gate.Enter();
      while (!gate.IsOpen()) std::this_thread::yield();  // busy: not waiting
      gate.Leave();
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return gate.inside.load() == 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(gate.inside.load(), 2);  // four jobs queued behind the two running
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return gate.done.load() == 6; }));
  EXPECT_EQ(gate.most.load(), 2);
}

TEST(WorkerPool, AJobWaitingInsideLetsAnotherRun) {
  Gate gate;
  WorkerPool pool(8, 1);
  const OpenOnExit opener{gate};
  for (int i = 0; i < 4; ++i) {
    pool.Post([&gate] {
      gate.Enter();
      const core::ScopedBlocking waiting;
      std::unique_lock lock(gate.mu);
      gate.cv.wait(lock, [&gate] { return gate.open; });
      lock.unlock();
      gate.Leave();
    });
  }
  // With one running thread, only jobs that wait let the next start: all four wait together.
  ASSERT_TRUE(WaitUntil([&] { return gate.inside.load() == 4; }));
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return gate.done.load() == 4; }));
}

TEST(WorkerPool, StopRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(4, 1);
    for (int i = 0; i < 50; ++i) {
      pool.Post([&ran] {
        std::this_thread::sleep_for(1ms);
        ++ran;
      });
    }
    pool.Stop();
    pool.Post([&ran] { ran += 1000; });  // dropped after Stop
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace filament::http
