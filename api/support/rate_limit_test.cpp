#include "api/support/rate_limit.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace filament::api {
namespace {

int Allowed(TokenBucketLimiter& limiter, std::string_view key, int attempts) {
  int allowed = 0;
  for (int i = 0; i < attempts; ++i) allowed += limiter.Check(key).allowed ? 1 : 0;
  return allowed;
}

TEST(TokenBucket, BurstOfNThenRejected) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 600);
  EXPECT_EQ(Allowed(limiter, "ip:1.2.3.4", 600), 600);
  RateDecision next = limiter.Check("ip:1.2.3.4");
  EXPECT_FALSE(next.allowed);
  EXPECT_EQ(next.retry_after_secs, 1);  // one token per 100 ms -> rounds up to 1 s
  EXPECT_TRUE(limiter.Check("ip:5.6.7.8").allowed) << "keys are independent";
}

TEST(TokenBucket, RefillsNPerPeriodContinuously) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 60);  // one token per second
  EXPECT_EQ(Allowed(limiter, "k", 60), 60);
  EXPECT_FALSE(limiter.Check("k").allowed);
  clock.Advance(999);
  EXPECT_FALSE(limiter.Check("k").allowed) << "rejected checks must not consume";
  clock.Advance(1);
  EXPECT_TRUE(limiter.Check("k").allowed);
  EXPECT_FALSE(limiter.Check("k").allowed);
  clock.Advance(10'000);
  EXPECT_EQ(Allowed(limiter, "k", 20), 10);
  clock.Advance(3'600'000);
  EXPECT_EQ(Allowed(limiter, "k", 100), 60) << "never more than the burst";
}

TEST(TokenBucket, RetryAfterReflectsTimeToNextToken) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 2, 60'000);  // one token every 30 s
  EXPECT_EQ(Allowed(limiter, "k", 2), 2);
  EXPECT_EQ(limiter.Check("k").retry_after_secs, 30);
  clock.Advance(10'500);
  EXPECT_EQ(limiter.Check("k").retry_after_secs, 20);  // 19.5 s rounds up
  clock.Advance(19'500);
  EXPECT_TRUE(limiter.Check("k").allowed);
}

TEST(TokenBucket, ClockGoingBackwardsAddsNothing) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 1, 60'000);
  EXPECT_TRUE(limiter.Check("k").allowed);
  clock.Advance(-3'600'000);
  EXPECT_FALSE(limiter.Check("k").allowed);
  clock.Advance(3'600'000 + 59'999);
  EXPECT_FALSE(limiter.Check("k").allowed);
  clock.Advance(1);
  EXPECT_TRUE(limiter.Check("k").allowed);
}

TEST(TokenBucket, IdleKeysAreSweptWithoutChangingDecisions) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 5, 60'000, {.max_keys = 1000, .sweep_interval_ms = 30'000});
  for (int i = 0; i < 100; ++i) limiter.Check("k" + std::to_string(i));
  limiter.Check("busy");
  EXPECT_EQ(limiter.TrackedKeys(), 101u);
  clock.Advance(59'000);
  EXPECT_EQ(Allowed(limiter, "busy", 5), 5);
  EXPECT_EQ(limiter.TrackedKeys(), 101u) << "nothing is idle for a whole period yet";
  clock.Advance(30'000);  // next sweep: the 100 keys are full again, same as fresh keys
  limiter.Check("other");
  EXPECT_EQ(limiter.TrackedKeys(), 2u);
  EXPECT_EQ(Allowed(limiter, "busy", 5), 2) << "busy key kept its state (2.5 tokens)";
}

TEST(TokenBucket, KeyCountIsCappedByEvictingLeastRecentlyUsed) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 1, 60'000, {.max_keys = 3, .sweep_interval_ms = 30'000});
  limiter.Check("a");
  limiter.Check("b");
  limiter.Check("c");
  EXPECT_FALSE(limiter.Check("a").allowed);  // a is now the most recently used
  limiter.Check("d");                        // evicts b
  EXPECT_EQ(limiter.TrackedKeys(), 3u);
  EXPECT_FALSE(limiter.Check("a").allowed);
  EXPECT_TRUE(limiter.Check("b").allowed) << "b was evicted and starts afresh";
}

TEST(TokenBucket, ConcurrentChecksNeverExceedTheBurst) {
  core::FakeClock clock;
  TokenBucketLimiter limiter(clock, 1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += limiter.Check("shared").allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(SlidingWindow, LimitPerWindowAndRejectedAttemptsNotCounted) {
  core::FakeClock clock;
  SlidingWindowLimiter limiter(clock, 2, 60'000);
  EXPECT_TRUE(limiter.Check("login:1.2.3.4").allowed);
  clock.Advance(10'000);
  EXPECT_TRUE(limiter.Check("login:1.2.3.4").allowed);
  RateDecision third = limiter.Check("login:1.2.3.4");
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.retry_after_secs, 50);
  for (int i = 0; i < 100; ++i) {
    clock.Advance(400);
    EXPECT_FALSE(limiter.Check("login:1.2.3.4").allowed);
  }
  clock.Advance(10'000);  // t = 60 s: the first attempt has left the window
  EXPECT_TRUE(limiter.Check("login:1.2.3.4").allowed);
  EXPECT_FALSE(limiter.Check("login:1.2.3.4").allowed);
  clock.Advance(10'000);  // t = 70 s: the second attempt leaves
  EXPECT_TRUE(limiter.Check("login:1.2.3.4").allowed);
}

TEST(SlidingWindow, WindowEdgeIsExclusive) {
  core::FakeClock clock;
  SlidingWindowLimiter limiter(clock, 1, 1'000);
  EXPECT_TRUE(limiter.Check("k").allowed);
  clock.Advance(999);
  EXPECT_FALSE(limiter.Check("k").allowed);
  EXPECT_EQ(limiter.Check("k").retry_after_secs, 1);
  clock.Advance(1);
  EXPECT_TRUE(limiter.Check("k").allowed);
}

TEST(SlidingWindow, IdleKeysSweptAndCapped) {
  core::FakeClock clock;
  SlidingWindowLimiter limiter(clock, 1, 60'000, {.max_keys = 2, .sweep_interval_ms = 30'000});
  limiter.Check("a");
  limiter.Check("b");
  limiter.Check("c");
  EXPECT_EQ(limiter.TrackedKeys(), 2u);
  EXPECT_TRUE(limiter.Check("a").allowed) << "a was evicted";
  clock.Advance(60'000);
  limiter.Check("d");
  EXPECT_EQ(limiter.TrackedKeys(), 1u);
}

}  // namespace
}  // namespace filament::api
