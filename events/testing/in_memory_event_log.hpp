#pragma once

#include <memory>
#include <vector>

#include "events/event_log.hpp"

namespace filament::events::testing {

// A thread-safe EventLog held in memory: the in-memory twin of PgEventLog / KafkaEventLog for
// unit tests. It honours the whole port contract: expected-version checks (kAborted, nothing
// written), dense per-partition offsets from 0, atomic batches, and readers whose Poll blocks
// on a condition variable until a record arrives or `wait` runs out. With kAnyVersion the log
// stamps meta.stream_version itself (stream head + 1, + 2, ...), like the adapters.
// Readers share the log's state and stay valid after the log object is destroyed.
class InMemoryEventLog final : public events::EventLog {
 public:
  explicit InMemoryEventLog(int32_t partitions = 4);
  ~InMemoryEventLog() override;

  int32_t Partitions() const override;
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override;
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override;
  core::Result<std::vector<int64_t>> EndOffsets() override;

  // Test hooks.
  // Appends one record that readers will return with `decode_error` set (a record the adapter
  // could not decode), bypassing version checks.
  events::Position AppendUndecodable(const events::LogRecord& record, core::Error decode_error);
  // The next `count` calls to Poll (on any reader) and EndOffsets fail with kUnavailable.
  void FailNextCalls(int count);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace filament::events::testing
