#include "api/support/rate_limit.hpp"

#include <algorithm>
#include <limits>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/check.hpp"

namespace filament::api {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t RetryAfterSecs(int64_t wait_ms) { return std::max<int64_t>(1, CeilDiv(wait_ms, 1000)); }

// Per-key state in least-recently-used order, bounded in size and swept of idle keys.
// A key idle for `idle_ms` must be indistinguishable from a fresh one, so dropping it never
// changes a decision. Not thread-safe (the limiters hold a mutex).
template <typename State>
class KeyTable {
 public:
  KeyTable(RateLimiterOptions options, int64_t idle_ms) : options_(options), idle_ms_(idle_ms) {
    FILAMENT_CHECK(options.max_keys >= 1 && options.sweep_interval_ms >= 1);
  }

  // The state of `key` (`fresh` if untracked), marked as used at `now_ms`.
  State& Touch(std::string_view key, int64_t now_ms, const State& fresh) {
    MaybeSweep(now_ms);
    auto found = index_.find(key);
    if (found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      // Never moves backwards with the clock: the state may be newer than `now_ms`.
      found->second->last_used_ms = std::max(found->second->last_used_ms, now_ms);
      return found->second->state;
    }
    if (static_cast<int64_t>(lru_.size()) >= options_.max_keys) EraseOldest();
    lru_.push_front(Entry{std::string(key), now_ms, fresh});
    // The view points into the list node, which never moves (splice relinks nodes).
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
    return lru_.front().state;
  }

  size_t size() const { return lru_.size(); }

 private:
  struct Entry {
    std::string key;
    int64_t last_used_ms;
    State state;
  };

  void EraseOldest() {
    index_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }

  // Oldest entries sit at the back, so a sweep stops at the first key still in use.
  void MaybeSweep(int64_t now_ms) {
    if (now_ms - last_sweep_ms_ < options_.sweep_interval_ms && now_ms >= last_sweep_ms_) return;
    last_sweep_ms_ = now_ms;
    while (!lru_.empty() && now_ms - lru_.back().last_used_ms >= idle_ms_) EraseOldest();
  }

  RateLimiterOptions options_;
  int64_t idle_ms_;
  int64_t last_sweep_ms_ = std::numeric_limits<int64_t>::min() / 2;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index_;
};

}  // namespace

// Tokens are counted in units of 1/period_ms of a token times capacity: one token is
// `period_ms` units and each millisecond adds `capacity` units, so refill is exact.
struct TokenBucketLimiter::Impl {
  struct Bucket {
    int64_t units;
    int64_t at_ms;
  };

  const core::Clock& clock;
  int64_t capacity;
  int64_t period_ms;
  std::mutex mutex;
  KeyTable<Bucket> buckets;

  RateDecision Take(Bucket& bucket, int64_t now_ms) const {
    int64_t elapsed = std::clamp<int64_t>(now_ms - bucket.at_ms, 0, period_ms);
    bucket.units = std::min(capacity * period_ms, bucket.units + elapsed * capacity);
    bucket.at_ms = std::max(bucket.at_ms, now_ms);
    if (bucket.units >= period_ms) {
      bucket.units -= period_ms;
      return RateDecision{};
    }
    return RateDecision{false, RetryAfterSecs(CeilDiv(period_ms - bucket.units, capacity))};
  }
};

TokenBucketLimiter::TokenBucketLimiter(const core::Clock& clock, int64_t capacity,
                                       int64_t period_ms, RateLimiterOptions options) {
  FILAMENT_CHECK(capacity >= 1 && period_ms >= 1);
  FILAMENT_CHECK(capacity <= std::numeric_limits<int64_t>::max() / period_ms / 2);
  impl_.reset(new Impl{clock, capacity, period_ms, {}, KeyTable<Impl::Bucket>(options, period_ms)});
}

TokenBucketLimiter::~TokenBucketLimiter() = default;

RateDecision TokenBucketLimiter::Check(std::string_view key) {
  int64_t now_ms = impl_->clock.NowUnixMs();
  std::lock_guard lock(impl_->mutex);
  Impl::Bucket fresh{impl_->capacity * impl_->period_ms, now_ms};
  return impl_->Take(impl_->buckets.Touch(key, now_ms, fresh), now_ms);
}

size_t TokenBucketLimiter::TrackedKeys() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->buckets.size();
}

struct SlidingWindowLimiter::Impl {
  // Accepted attempts, oldest first; never more than `limit` entries.
  using Log = std::vector<int64_t>;

  const core::Clock& clock;
  int64_t limit;
  int64_t window_ms;
  std::mutex mutex;
  KeyTable<Log> logs;

  RateDecision Record(Log& log, int64_t now_ms) const {
    auto live =
        std::find_if(log.begin(), log.end(), [&](int64_t at) { return now_ms - at < window_ms; });
    log.erase(log.begin(), live);
    if (static_cast<int64_t>(log.size()) < limit) {
      log.push_back(std::max(now_ms, log.empty() ? now_ms : log.back()));
      return RateDecision{};
    }
    return RateDecision{false, RetryAfterSecs(log.front() + window_ms - now_ms)};
  }
};

SlidingWindowLimiter::SlidingWindowLimiter(const core::Clock& clock, int64_t limit,
                                           int64_t window_ms, RateLimiterOptions options) {
  FILAMENT_CHECK(limit >= 1 && window_ms >= 1);
  impl_.reset(new Impl{clock, limit, window_ms, {}, KeyTable<Impl::Log>(options, window_ms)});
}

SlidingWindowLimiter::~SlidingWindowLimiter() = default;

RateDecision SlidingWindowLimiter::Check(std::string_view key) {
  int64_t now_ms = impl_->clock.NowUnixMs();
  std::lock_guard lock(impl_->mutex);
  return impl_->Record(impl_->logs.Touch(key, now_ms, Impl::Log{}), now_ms);
}

size_t SlidingWindowLimiter::TrackedKeys() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->logs.size();
}

}  // namespace filament::api
