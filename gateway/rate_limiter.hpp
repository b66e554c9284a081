#pragma once

#include <cstdint>
#include <deque>

namespace filament::gateway {

// Sliding-window limiter: at most `limit` events in any `window_ms`. Not thread-safe (one per
// connection, used on its reactor thread). Memory is bounded by `limit` timestamps.
class SlidingWindowLimiter {
 public:
  SlidingWindowLimiter(int64_t limit, int64_t window_ms) : limit_(limit), window_ms_(window_ms) {}

  // Records an event at `now_ms` and returns true, or returns false (recording nothing) when
  // it would be the (limit+1)-th event within the window.
  bool Allow(int64_t now_ms) {
    while (!stamps_.empty() && stamps_.front() <= now_ms - window_ms_) stamps_.pop_front();
    if (static_cast<int64_t>(stamps_.size()) >= limit_) return false;
    stamps_.push_back(now_ms);
    return true;
  }

 private:
  int64_t limit_;
  int64_t window_ms_;
  std::deque<int64_t> stamps_;
};

}  // namespace filament::gateway
