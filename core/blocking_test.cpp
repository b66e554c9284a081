#include "core/blocking.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

struct CountingObserver final : BlockingObserver {
  int blocked = 0;
  int unblocked = 0;
  void OnBlocked() override { ++blocked; }
  void OnUnblocked() override { ++unblocked; }
};

TEST(ScopedBlocking, TellsTheThreadsObserverOncePerOutermostWait) {
  CountingObserver observer;
  SetBlockingObserver(&observer);
  {
    const ScopedBlocking outer;
    EXPECT_EQ(observer.blocked, 1);
    { const ScopedBlocking inner; }
    EXPECT_EQ(observer.unblocked, 0);
  }
  EXPECT_EQ(observer.blocked, 1);
  EXPECT_EQ(observer.unblocked, 1);
  { const ScopedBlocking again; }
  EXPECT_EQ(observer.blocked, 2);
  EXPECT_EQ(observer.unblocked, 2);
  SetBlockingObserver(nullptr);
}

TEST(ScopedBlocking, OtherThreadsAndThreadsWithoutOneTellNobody) {
  CountingObserver observer;
  SetBlockingObserver(&observer);
  std::thread([] { const ScopedBlocking waiting; }).join();  // no observer on that thread
  EXPECT_EQ(observer.blocked, 0);
  SetBlockingObserver(nullptr);
  { const ScopedBlocking waiting; }
  EXPECT_EQ(observer.blocked, 0);
}

}  // namespace
}  // namespace filament::core
