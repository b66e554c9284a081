#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::commands {

// Several command writers on one log (ADR 0091, on the fence of ADR 0082). Each process that
// writes commands keeps two things here:
//
// - a follower: one thread reading every partition of the log from where the command state's
//   start fold ended and handing each record to `follow` (the CommandService folds what other
//   writers appended; it recognises its own records by their stream versions), so the
//   process's states trail the log by one poll;
// - ownership on demand: a command on a stream of partition P runs only after this process
//   owns P. EnsureOwned(P) acquires P from the log (EventLog::AcquirePartition: the previous
//   owner is fenced from then on, whatever it believes) and waits until the follower has
//   folded everything below the partition's end read after the acquire, which is final: no
//   other writer can append to P any more. Ownership stays until an append is refused as
//   fenced (another process took P: Lost(P)), so a process keeps the partitions it uses and a
//   partition changes hands only when a request for it lands on another process.
//
// Thread-safe. The follower thread runs between Start() and Stop() (or destruction).
class PartitionWriters {
 public:
  using Follow = std::function<core::Status(const events::StoredRecord&)>;
  using LogLine = std::function<void(const std::string&)>;

  // `log` must be open in WriterMode::kFenced; `wait_limit` bounds each catch-up wait.
  PartitionWriters(events::EventLog& log, Follow follow, LogLine log_line,
                   std::chrono::milliseconds wait_limit = std::chrono::seconds(10));
  ~PartitionWriters();
  PartitionWriters(const PartitionWriters&) = delete;
  PartitionWriters& operator=(const PartitionWriters&) = delete;

  // Starts the follower at `from` (index = partition: the start fold's ends).
  core::Status Start(const std::vector<int64_t>& from);
  void Stop();

  // Makes this process the writer of `partition` and folds the partition up to its end (see
  // above). Errors: kUnavailable (the log, or the follower is behind for longer than the
  // wait limit, or has stopped on a record it could not fold), the acquire's errors.
  core::Status EnsureOwned(int32_t partition);
  // Waits until the follower has folded `partition` up to its current end, without taking it
  // (a stream another process created moments ago). Errors as EnsureOwned's.
  core::Status CatchUp(int32_t partition);
  // The same for every partition (a fact whose stream is not known).
  core::Status CatchUpAll();
  // An append to `partition` was refused as fenced: another process owns it now.
  void Lost(int32_t partition);

  bool Owns(int32_t partition) const;
  int32_t OwnedCount() const;
  // Acquisitions and losses since start (metrics and tests).
  int64_t Acquisitions() const { return acquisitions_.load(); }
  int64_t Losses() const { return losses_.load(); }

 private:
  void Run(std::unique_ptr<events::LogReader> reader);
  void FoldBatch(events::LogReader& reader, const std::vector<events::StoredRecord>& records);
  core::Status WaitFollowed(int32_t partition, int64_t end);

  events::EventLog& log_;
  Follow follow_;
  LogLine log_line_;
  const std::chrono::milliseconds wait_limit_;
  const int32_t partitions_;

  std::unique_ptr<std::atomic<bool>[]> owned_;
  std::unique_ptr<std::mutex[]> acquiring_;  // one acquire at a time per partition
  std::atomic<int64_t> acquisitions_{0};
  std::atomic<int64_t> losses_{0};

  mutable std::mutex mutex_;            // guards followed_, failure_, stop_
  std::condition_variable moved_;       // followed_ advanced, or the follower failed/stopped
  std::vector<int64_t> followed_;       // index = partition: records below are folded
  std::optional<core::Error> failure_;  // the follower stopped on this
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace filament::commands
