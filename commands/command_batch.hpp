#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace filament::commands {

// One caller waiting in a stream's CommandQueue. The command service derives its typed
// command (what to decide, where the answer goes) from it.
struct QueuedCommandBase {
  virtual ~QueuedCommandBase() = default;
  std::condition_variable wake;  // waited on with the queue's mutex held
  bool lead = false;             // this caller runs the next batch
  bool done = false;             // a batch holding this command has finished
};

// Leader/follower group commit on one stream (ADR 0070). Callers enqueue their command; a
// caller that finds no batch running becomes the leader: it takes up to `max` queued commands
// (its own first) and runs them as one batch. When that batch is done the leader answers its
// followers and hands the lead to the first caller still queued, so every caller runs at most
// one batch — its own — and waits for at most the batch ahead of it. While a batch runs, new
// commands queue up: the busier the stream, the larger the next batch.
// Thread-safe.
class CommandQueue {
 public:
  // Runs `cmd` in some caller's batch and returns when that batch is done. `run` is called by
  // the leader, outside the queue's lock, with the batch in queue order; it must not throw.
  template <typename RunBatch>
  void Submit(QueuedCommandBase& cmd, size_t max, RunBatch&& run) {
    std::unique_lock lock(mu_);
    queue_.push_back(&cmd);
    if (!running_) {  // no batch running, so the queue held nothing before `cmd`
      running_ = true;
      cmd.lead = true;
    }
    cmd.wake.wait(lock, [&] { return cmd.done || cmd.lead; });
    if (cmd.done) return;
    std::vector<QueuedCommandBase*> batch;  // `cmd` is at the front
    while (!queue_.empty() && batch.size() < (max == 0 ? 1 : max)) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    run(static_cast<const std::vector<QueuedCommandBase*>&>(batch));
    lock.lock();
    for (QueuedCommandBase* c : batch) {
      c->done = true;
      c->wake.notify_one();  // under the lock: a follower cannot wake and return before this
    }
    if (queue_.empty()) {
      running_ = false;
    } else {
      queue_.front()->lead = true;
      queue_.front()->wake.notify_one();
    }
  }

 private:
  std::mutex mu_;
  std::deque<QueuedCommandBase*> queue_;
  bool running_ = false;  // a leader is running a batch or about to
};

}  // namespace filament::commands
