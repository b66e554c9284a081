#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace filament::core {

// Runs `tick` on a thread of its own: first `first_delay` after Start(), then every `interval`
// after the previous tick ended, until Stop(). For the background sweepers (sessions, orphan
// blobs). A tick that runs long may poll stopping() to end early. `name` names the thread
// (SetThreadName).
class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds first_delay, std::chrono::milliseconds interval,
               std::function<void()> tick, std::string name);
  ~PeriodicTask();  // Stop()s

  // Starts the thread. Call at most once.
  void Start();
  // Wakes the thread and joins it, after a tick in progress returns. Idempotent; thread-safe;
  // may be called from the tick itself (then it does not join).
  void Stop();
  // True once Stop() was called.
  bool stopping() const;

 private:
  void Run();

  const std::chrono::milliseconds first_delay_;
  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace filament::core
