#include "core/periodic_task.hpp"

#include <utility>

#include "core/thread_name.hpp"

namespace filament::core {

PeriodicTask::PeriodicTask(std::chrono::milliseconds first_delay,
                           std::chrono::milliseconds interval, std::function<void()> tick,
                           std::string name)
    : first_delay_(first_delay),
      interval_(interval),
      tick_(std::move(tick)),
      name_(std::move(name)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  thread_ = NamedThread(name_, [this] { Run(); });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool PeriodicTask::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void PeriodicTask::Run() {
  std::unique_lock lock(mu_);
  auto wait = first_delay_;
  while (!wake_.wait_for(lock, wait, [this] { return stopping_; })) {
    wait = interval_;
    lock.unlock();
    tick_();
    lock.lock();
  }
}

}  // namespace filament::core
