#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/clock.hpp"

namespace filament::api {

// The outcome of one rate-limit check. `retry_after_secs` (>= 1) is set only when rejected:
// the whole seconds after which the same key would be allowed, for `retry-after`.
struct RateDecision {
  bool allowed = true;
  int64_t retry_after_secs = 0;
};

// Memory bounds shared by both limiters. Keys idle long enough to be indistinguishable from a
// fresh key are dropped every `sweep_interval_ms` (LIMITS.md §1.1: 30 s). When `max_keys` are
// tracked, a new key evicts the least recently used one (which then starts afresh: under a
// key flood the limiter fails open for the evicted key rather than growing without bound).
struct RateLimiterOptions {
  int64_t max_keys = 100'000;
  int64_t sweep_interval_ms = 30'000;
};

// Token bucket: `capacity` tokens, refilled continuously at `capacity` per `period_ms`
// (REST_API.md §9: a burst of N passes, the N+1st is rejected, tokens return at N/60 per
// second for the default 60 s period). Exact integer arithmetic; a rejected check consumes
// nothing. The clock going backwards never adds tokens.
// Thread-safe. `clock` must outlive the limiter.
class TokenBucketLimiter {
 public:
  // Requires capacity >= 1, period_ms >= 1 (FILAMENT_CHECK: configuration is validated first).
  TokenBucketLimiter(const core::Clock& clock, int64_t capacity, int64_t period_ms = 60'000,
                     RateLimiterOptions options = {});
  ~TokenBucketLimiter();
  TokenBucketLimiter(const TokenBucketLimiter&) = delete;
  TokenBucketLimiter& operator=(const TokenBucketLimiter&) = delete;

  // Takes one token for `key` if one is available.
  RateDecision Check(std::string_view key);
  // Number of keys currently tracked (for tests and metrics).
  size_t TrackedKeys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sliding log: at most `limit` accepted checks per key in any `window_ms` (REST_API.md §2.4:
// auth routes, directory join, media tokens). Rejected attempts are not recorded, so a client
// hammering a closed window gets in again as soon as its oldest accepted attempt expires.
// Thread-safe. `clock` must outlive the limiter.
class SlidingWindowLimiter {
 public:
  // Requires limit >= 1, window_ms >= 1 (FILAMENT_CHECK).
  SlidingWindowLimiter(const core::Clock& clock, int64_t limit, int64_t window_ms = 60'000,
                       RateLimiterOptions options = {});
  ~SlidingWindowLimiter();
  SlidingWindowLimiter(const SlidingWindowLimiter&) = delete;
  SlidingWindowLimiter& operator=(const SlidingWindowLimiter&) = delete;

  // Records an attempt for `key` if fewer than `limit` were accepted in the last window.
  RateDecision Check(std::string_view key);
  size_t TrackedKeys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::api
