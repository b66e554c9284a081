#include "projections/search/search_projection.hpp"

#include <future>

#include "core/thread_name.hpp"
#include "projections/search/search_worker.hpp"

namespace filament::projections {
namespace {

core::Error NotRunning() {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, "search worker is not running");
}

core::Error StillRunning(const std::string& what) {
  return core::MakeError(core::ErrorCode::kDeadlineExceeded,
                         "search " + what + " still running (it completes in the background)");
}

}  // namespace

SearchProjection::SearchProjection(events::EventLog& log, SearchProjectionOptions options,
                                   AppliedObserver* observer)
    : log_(log), options_(std::move(options)), observer_(observer) {}

SearchProjection::~SearchProjection() { Stop(); }

core::Status SearchProjection::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || worker_) return core::OkStatus();
  IndexStore store(options_.root_dir);
  auto live = OpenLiveIndex(store, log_.Partitions(), options_);
  if (!live.ok()) return live.error();
  live_ = live->handle;
  worker_ = std::make_unique<Worker>(*this, std::move(*live));
  worker_->Report({});
  state_ = State{.running = true};
  stop_ = false;
  thread_ = core::NamedThread("search-index", [this] { Run(); });
  return core::OkStatus();
}

void SearchProjection::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SearchProjection::Run() {
  auto backoff = options_.min_backoff;
  std::optional<core::Error> failure;
  while (!stop_.load()) {
    std::deque<Job> jobs;
    {
      std::lock_guard lock(mu_);
      jobs.swap(jobs_);
    }
    for (auto& job : jobs) job(worker_.get());
    auto step = worker_->Step();
    if (step.ok()) {
      backoff = options_.min_backoff;
      continue;
    }
    auto code = step.error().code;
    if (code == core::ErrorCode::kInvalidArgument || code == core::ErrorCode::kAborted) {
      failure = step.error();
      break;
    }
    if (options_.log) options_.log("search: " + step.error().message + " (retrying)");
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop_.load();
         slept += std::chrono::milliseconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  if (failure && options_.log) options_.log("search: stopped: " + failure->message);
  worker_->EndRebuild(NotRunning());
  std::deque<Job> orphans;
  {
    std::lock_guard lock(mu_);
    state_.running = false;
    state_.error = failure;
    orphans.swap(jobs_);
  }
  for (auto& job : orphans) job(nullptr);
}

core::Result<std::vector<std::string>> SearchProjection::Query(
    const search::SearchRequest& request) const {
  std::shared_ptr<IndexHandle> live;
  {
    std::lock_guard lock(mu_);
    live = live_;
  }
  if (!live) return core::Unavailable("search index is not open");
  return live->index().Query(request);
}

std::vector<int64_t> SearchProjection::Position() const {
  std::lock_guard lock(mu_);
  return live_ ? live_->index().Position() : std::vector<int64_t>{};
}

SearchProjection::State SearchProjection::Status() const {
  std::lock_guard lock(mu_);
  return state_;
}

core::Status SearchProjection::Submit(Job job) {
  std::lock_guard lock(mu_);
  if (!state_.running) return NotRunning();
  jobs_.push_back(std::move(job));
  return core::OkStatus();
}

core::Status SearchProjection::Rebuild(std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<core::Status>>();
  auto result = done->get_future();
  FILAMENT_RETURN_IF_ERROR(Submit([done](Worker* worker) {
    if (worker == nullptr) return done->set_value(NotRunning());
    worker->StartRebuild(done);
  }));
  if (result.wait_for(timeout) != std::future_status::ready) return StillRunning("rebuild");
  return result.get();
}

core::Result<ReconcileResult> SearchProjection::Reconcile(const std::string& guild_id,
                                                          ExpectedMessagesLoader load,
                                                          size_t max_docs,
                                                          std::chrono::milliseconds timeout) {
  using Out = core::Result<ReconcileResult>;
  auto done = std::make_shared<std::promise<Out>>();
  auto result = done->get_future();
  FILAMENT_RETURN_IF_ERROR(
      Submit([done, guild_id, load = std::move(load), max_docs](Worker* worker) {
        if (worker == nullptr) return done->set_value(Out(NotRunning()));
        done->set_value(worker->Reconcile(guild_id, load, max_docs));
      }));
  if (result.wait_for(timeout) != std::future_status::ready) return StillRunning("reconcile");
  return result.get();
}

}  // namespace filament::projections
