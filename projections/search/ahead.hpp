#pragma once

// Internal to projections/search (and the search benchmark): computes produce(0..n-1) in order
// on a helper thread, ahead of a consumer that takes the results in order. The search index
// has one writer; this lets decoding and analysis use the second core meanwhile (ADR 0047).

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

namespace filament::projections {

template <typename T>
class Ahead {
 public:
  // `produce` runs on the helper thread only, for i = 0, 1, ... n-1; it must not throw.
  Ahead(size_t n, std::function<T(size_t)> produce)
      : slots_(n), produce_(std::move(produce)), thread_([this] { Run(); }) {}
  // Stops the helper (results not taken are dropped here, on the consumer's thread).
  ~Ahead() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }
  Ahead(const Ahead&) = delete;
  Ahead& operator=(const Ahead&) = delete;

  // Waits for result `i` and moves it out. Call once per i, with i increasing (gaps allowed).
  T Take(size_t i) {
    size_t ready = ready_.load(std::memory_order_acquire);
    while (ready <= i) {
      ready_.wait(ready, std::memory_order_acquire);
      ready = ready_.load(std::memory_order_acquire);
    }
    return std::move(*slots_[i]);
  }

 private:
  void Run() {
    for (size_t i = 0; i < slots_.size() && !stop_.load(std::memory_order_relaxed); ++i) {
      slots_[i].emplace(produce_(i));
      ready_.store(i + 1, std::memory_order_release);
      ready_.notify_one();
    }
  }

  std::vector<std::optional<T>> slots_;
  std::function<T(size_t)> produce_;
  std::atomic<size_t> ready_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once everything above is constructed
};

}  // namespace filament::projections
