#pragma once

// A thread about to wait (on PostgreSQL, on another thread) says so, so that a pool which keeps
// only a few of its threads running at once (http::WorkerPool, ADR 0113) can run another of its
// jobs meanwhile. On a thread no such pool runs, marking a wait does nothing.

namespace filament::core {

// Told by the threads of one pool when they start and stop waiting. Called on that thread.
class BlockingObserver {
 public:
  virtual void OnBlocked() = 0;
  virtual void OnUnblocked() = 0;

 protected:
  ~BlockingObserver() = default;
};

// The observer of the calling thread (nullptr: none). A pool sets it on each of its threads.
void SetBlockingObserver(BlockingObserver* observer);

// Marks the calling thread as waiting for its lifetime. Nests: only the outermost counts.
class ScopedBlocking {
 public:
  ScopedBlocking();
  ~ScopedBlocking();
  ScopedBlocking(const ScopedBlocking&) = delete;
  ScopedBlocking& operator=(const ScopedBlocking&) = delete;

 private:
  BlockingObserver* observer_;
};

}  // namespace filament::core
