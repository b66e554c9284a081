#pragma once

#include <cstdint>

#include "adapters/pgstore/auth_store.hpp"
#include "core/clock.hpp"
#include "core/periodic_task.hpp"
#include "core/result.hpp"

namespace filament::pgstore {

// Deletes expired refresh sessions (with their used-token records) and used-token records
// past their retention from the auth store, every `interval_ms` on its own thread (LIMITS.md
// §1.3: 60 s; ADR 0020 addendum). A sweep deletes in batches of `batch` rows, at most
// `max_batches` of them, so one sweep holds no lock for long and a backlog drains over
// several sweeps. Safe with several API processes on one database (locked rows are skipped).
// Nothing is appended to the log: an expiry is not a user's mutation. Failures are logged to
// stderr and retried at the next sweep.
class SessionSweeper {
 public:
  struct Options {
    int64_t interval_ms = 60'000;
    int64_t used_retention_secs = 2'592'000 + 3600;  // refresh TTL + 1 h (REST_API.md §4.2)
    int64_t batch = 1000;
    int64_t max_batches = 100;
  };

  // `store` and `clock` must outlive the sweeper.
  SessionSweeper(AuthStore& store, const core::Clock& clock, Options options);
  ~SessionSweeper();  // Stop()s

  // Starts the thread; its first sweep runs one interval from now. Call at most once.
  void Start();
  // Wakes the thread and joins it; a sweep in progress finishes its current batch first.
  // Idempotent; thread-safe.
  void Stop();

  // One sweep at the clock's current time, on the calling thread: batches until one deletes
  // fewer than `batch` rows of each kind, or `max_batches` ran. Returns what it deleted.
  core::Result<SweepCounts> SweepOnce();

 private:
  void Sweep();

  AuthStore& store_;
  const core::Clock& clock_;
  const Options options_;
  core::PeriodicTask task_;
};

}  // namespace filament::pgstore
