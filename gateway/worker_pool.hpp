#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace filament::gateway {

// A small fixed pool running posted tasks in FIFO order. Thread-safe.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Stop()s
  // Returns false (and drops the task) after Stop().
  bool Post(std::function<void()> task);
  // Tasks posted and not started yet.
  size_t queued();
  // Finishes running tasks, discards queued ones, joins. Idempotent.
  void Stop();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace filament::gateway
