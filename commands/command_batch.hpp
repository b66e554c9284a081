#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "core/blocking.hpp"

namespace filament::commands {

// One command waiting in a stream's CommandQueue. The command service derives its typed
// command (what to decide, where the answer goes) from it.
struct QueuedCommandBase {
  virtual ~QueuedCommandBase() = default;
  // A detached command (CommandQueue::SubmitDetached) has no caller waiting for it: the thread
  // that ran its batch calls Finish() once, outside the queue's lock, and forgets it (Finish
  // hands the answer on and may delete the command). Must not throw.
  virtual void Finish() {}
  std::condition_variable wake;  // waited on with the queue's mutex held (waiting callers)
  bool detached = false;
  bool lead = false;  // this caller runs the next batch
  bool done = false;  // a batch holding this command has finished
};

// Leader/follower group commit on one stream (ADR 0070, ADR 0102). A command is queued by a
// caller that either waits for its answer (Submit) or leaves it to be finished by whoever runs
// its batch (SubmitDetached). A caller that finds no batch running becomes the leader: it takes
// up to `max` queued commands (queue order) and runs them as one batch. When a batch is done,
// its waiting callers are woken and its detached commands finished; the lead then passes to the
// first waiting caller still queued, or, when only detached commands are queued, the leader
// runs the next batch itself, until the queue is empty. While a batch runs, new commands queue
// up: the busier the stream, the larger the next batch. So a waiting caller waits for at most
// the batches ahead of it, and a thread runs batches only while no waiting caller can.
// Thread-safe.
class CommandQueue {
 public:
  // Runs `cmd` in some batch and returns when that batch is done. `run` is called by the
  // leader, outside the queue's lock, with the batch in queue order; it must not throw. Every
  // `run` given to one queue must handle any batch of it.
  template <typename RunBatch>
  void Submit(QueuedCommandBase& cmd, size_t max, RunBatch&& run) {
    std::unique_lock lock(mu_);
    queue_.push_back(&cmd);
    if (!running_) {  // no batch running, so the queue held nothing before `cmd`
      running_ = true;
      cmd.lead = true;
    }
    if (!cmd.lead) {
      const core::ScopedBlocking waiting;  // for the leader (ADR 0113)
      cmd.wake.wait(lock, [&] { return cmd.done || cmd.lead; });
    }
    if (cmd.done) return;
    Lead(lock, max, run, &cmd);
  }

  // Queues `cmd` (detached) and returns: at once when a batch is running (its leader will run
  // `cmd`), else after leading batches until the queue is empty or a waiting caller took the
  // lead. `cmd` must stay alive until its Finish().
  template <typename RunBatch>
  void SubmitDetached(QueuedCommandBase& cmd, size_t max, RunBatch&& run) {
    cmd.detached = true;
    std::unique_lock lock(mu_);
    queue_.push_back(&cmd);
    if (running_) return;
    running_ = true;
    Lead(lock, max, run, nullptr);
  }

 private:
  // Runs batches while this thread holds the lead; returns with the lock released. `own` is
  // the waiting caller's command (nullptr for a detached one's): it may sit behind a whole
  // batch when the lead was handed to it, so its thread leads until it is done.
  template <typename RunBatch>
  void Lead(std::unique_lock<std::mutex>& lock, size_t max, RunBatch& run, QueuedCommandBase* own) {
    for (;;) {
      std::vector<QueuedCommandBase*> batch;
      while (!queue_.empty() && batch.size() < (max == 0 ? 1 : max)) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      run(static_cast<const std::vector<QueuedCommandBase*>&>(batch));
      lock.lock();
      std::vector<QueuedCommandBase*> finished;
      for (QueuedCommandBase* c : batch) {
        if (c->detached) {
          finished.push_back(c);
          continue;
        }
        c->done = true;
        c->wake.notify_one();  // under the lock: a waiter cannot wake and return before this
      }
      bool keep_leading = false;
      if (queue_.empty()) {
        running_ = false;
      } else if (own != nullptr && !own->done) {
        keep_leading = true;  // its own command is still queued
      } else if (QueuedCommandBase* waiter = FirstWaiting(); waiter != nullptr) {
        waiter->lead = true;
        waiter->wake.notify_one();
      } else {
        keep_leading = true;  // only detached commands queued: nobody else will run them
      }
      lock.unlock();
      for (QueuedCommandBase* c : finished) c->Finish();
      if (!keep_leading) return;
      lock.lock();
    }
  }

  QueuedCommandBase* FirstWaiting() const {
    for (QueuedCommandBase* c : queue_) {
      if (!c->detached) return c;
    }
    return nullptr;
  }

  std::mutex mu_;
  std::deque<QueuedCommandBase*> queue_;
  bool running_ = false;  // a leader is running a batch or about to
};

}  // namespace filament::commands
