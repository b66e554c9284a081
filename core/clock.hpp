#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace filament::core {

// Wall-clock time, injected so deciders and tests stay deterministic. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowUnixMs() const = 0;
  int64_t NowUnix() const { return NowUnixMs() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowUnixMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock tests move by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_ms = 1'700'000'000'000) : now_(unix_ms) {}
  int64_t NowUnixMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }
  void Set(int64_t unix_ms) { now_ = unix_ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace filament::core
