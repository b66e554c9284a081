#include "projections/runner/runner.hpp"

#include <iostream>

#include "core/thread_name.hpp"
#include "projections/runner/projection_worker.hpp"

namespace filament::projections {

ProjectionRunner::ProjectionRunner(events::EventLog& log, std::vector<Projection*> projections,
                                   RunnerOptions options, AppliedObserver* observer,
                                   RunnerMetrics* metrics)
    : log_(log),
      projections_(std::move(projections)),
      options_(std::move(options)),
      observer_(observer),
      metrics_(metrics) {
  if (!options_.log) {
    options_.log = [](const std::string& line) { std::cerr << line << std::endl; };
  }
  for (auto* projection : projections_) {
    statuses_.push_back({std::string(projection->Name()), ProjectionState::kStopped, {}});
  }
}

ProjectionRunner::~ProjectionRunner() { Stop(); }

void ProjectionRunner::Start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stop_ = false;
  for (size_t i = 0; i < projections_.size(); ++i) {
    statuses_[i].state = ProjectionState::kRunning;
    statuses_[i].error.reset();
    threads_.push_back(core::NamedThread("proj-" + std::string(projections_[i]->Name()),
                                         [this, i] { RunOne(i); }));
  }
}

void ProjectionRunner::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  for (auto& thread : threads) thread.join();
}

void ProjectionRunner::RunOne(size_t index) {
  WorkerConfig config;
  config.conninfo = options_.conninfo;
  config.batch_size = options_.batch_size;
  config.poll_wait = options_.poll_wait;
  config.min_backoff = options_.min_backoff;
  config.max_backoff = options_.max_backoff;
  config.async_commit = options_.async_commit;
  config.defer_ignored = options_.defer_ignored;
  config.log = options_.log;
  config.observer = observer_;
  config.metrics = metrics_;
  auto status = RunProjection(log_, *projections_[index], config, stop_);
  if (!status.ok()) options_.log(status.error().message);
  {
    std::lock_guard lock(mu_);
    statuses_[index].state = status.ok() ? ProjectionState::kStopped : ProjectionState::kFailed;
    if (!status.ok()) statuses_[index].error = status.error();
  }
  changed_.notify_all();
}

std::vector<ProjectionStatus> ProjectionRunner::Statuses() const {
  std::lock_guard lock(mu_);
  return statuses_;
}

bool ProjectionRunner::WaitUntilStopped(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    for (const auto& status : statuses_) {
      if (status.state == ProjectionState::kRunning) return false;
    }
    return true;
  });
}

}  // namespace filament::projections
